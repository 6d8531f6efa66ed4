"""The authorization matrix (OWASP API1, API3, API5): every route in the OpenAPI document ×
every kind of caller, each cell with its expected status. Pairing and couples routes have
their table in test_pairing_authz.py; every other route has its row here, and a route in
neither table fails `test_every_route_has_a_row`."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth import tokens
from app.catalog.content import builtin_id
from app.checkins import dates
from app.core.config import Settings
from app.core.db import utcnow
from app.tenants import service as tenants
from app.webhooks.models import WebhookDelivery
from tests import test_pairing_authz
from tests.factories import TenantWithKeys, bearer, make_member, make_tenant, member_token

# Callers whose credential is refused before anything else: always 401.
REFUSED = (
    "none",
    "malformed",
    "revoked_key",
    "expired_token",
    "foreign_signed_token",
    "alg_none_token",
)
# Callers who are someone: the expected status depends on the route.
ACTORS = (
    "owner_key",
    "own_token",
    "partner_token",
    "stranger_token",
    "other_tenant_key",
    "other_mode_key",
)
PARTNER_SECRET_NOTE = "blake's private note, never for alex 5d1c"


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]
    yesterday: str
    other_couple_id: str


Body = Callable[[World, str], dict[str, object] | None]


def none(_: World, __: str) -> dict[str, object] | None:
    return None


def fixed(body: Mapping[str, object]) -> Body:
    return lambda _w, _c: dict(body)


def as_alex(extra: dict[str, object] | None = None) -> Body:
    """Secret keys name Alex; member tokens act for themselves."""

    def body(world: World, caller: str) -> dict[str, object] | None:
        data = dict(extra or {})
        if caller.endswith("_key"):
            data["member_id"] = world.ids["alex"]
        return data

    return body


def check_in_body(world: World, caller: str) -> dict[str, object] | None:
    data: dict[str, object] = {
        "local_date": world.yesterday,
        "ratings": {"openness": 3, "listening": 3, "support": 3, "safety": 3},
    }
    if caller.endswith("_key"):
        data["member_id"] = world.ids["alex"]
    return data


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    # owner_key, own_token, partner_token, stranger_token, other_tenant_key, other_mode_key
    expected: tuple[int, int, int, int, int, int]
    body: Body = none
    public: bool = False  # no credential needed (operations)
    mutable_fields: tuple[str, ...] = field(default=())


RATINGS: dict[str, object] = {"ratings": {"openness": 3, "listening": 3, "support": 3, "safety": 3}}
PROMPT = {
    "text": "Which small ritual shall we keep?",
    "category": "improving_intimacy",
    "dimensions": ["quality_time"],
    "depth": "light",
    "kind": "question",
}
WEBHOOK = {"url": "https://hooks.example.com/rapport", "events": ["check_in.created"]}

TABLE = [
    # expected: owner key, own token, partner token, stranger token, other tenant, other mode
    Row("GET", "/healthz", (200, 200, 200, 200, 200, 200), public=True),
    Row("GET", "/readyz", (200, 200, 200, 200, 200, 200), public=True),
    Row("GET", "/metrics", (200, 200, 200, 200, 200, 200), public=True),
    Row(
        "POST",
        "/v1/members",
        (201, 403, 403, 403, 201, 201),
        fixed({"external_id": "new-one", "display_name": "New"}),
    ),
    Row("GET", "/v1/members", (200, 403, 403, 403, 200, 200)),
    Row("GET", "/v1/members/{alex}", (200, 200, 404, 404, 404, 404)),
    Row(
        "PATCH", "/v1/members/{alex}", (200, 403, 403, 403, 404, 404), fixed({"display_name": "Al"})
    ),
    Row("DELETE", "/v1/members/{alex}", (204, 403, 403, 403, 404, 404)),
    Row("GET", "/v1/members/{alex}/export", (200, 403, 403, 403, 404, 404)),
    Row("POST", "/v1/members/{alex}/tokens", (201, 403, 403, 403, 404, 404)),
    Row("POST", "/v1/members/{alex}/tokens/revoke", (204, 403, 403, 403, 404, 404)),
    Row("GET", "/v1/catalogs", (200, 200, 200, 200, 200, 200)),
    Row("POST", "/v1/catalogs", (201, 403, 403, 403, 201, 201), fixed({"title": "Ours"})),
    Row("GET", "/v1/catalogs/{catalog}", (200, 200, 200, 200, 404, 404)),
    Row(
        "PATCH",
        "/v1/catalogs/{catalog}",
        (200, 403, 403, 403, 404, 404),
        fixed({"title": "Renamed"}),
    ),
    Row("DELETE", "/v1/catalogs/{catalog}", (204, 403, 403, 403, 404, 404)),
    Row("GET", "/v1/prompts", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/v1/prompts/{prompt}", (200, 200, 200, 200, 404, 404)),
    Row("POST", "/v1/catalogs/{catalog}/prompts", (201, 403, 403, 403, 404, 404), fixed(PROMPT)),
    Row(
        "PATCH",
        "/v1/prompts/{prompt}",
        (200, 403, 403, 403, 404, 404),
        fixed({"text": "Changed, kindly?"}),
    ),
    Row("DELETE", "/v1/prompts/{prompt}", (204, 403, 403, 403, 404, 404)),
    Row("POST", "/v1/couples/{couple}/check-ins", (201, 201, 201, 404, 404, 404), check_in_body),
    Row("GET", "/v1/couples/{couple}/check-ins", (200, 200, 200, 404, 404, 404)),
    Row("GET", "/v1/check-ins/{check_in}", (200, 200, 200, 404, 404, 404)),
    Row("PUT", "/v1/check-ins/{check_in}", (200, 200, 403, 404, 404, 404), fixed(RATINGS)),
    Row("DELETE", "/v1/check-ins/{check_in}", (204, 204, 403, 404, 404, 404)),
    Row("POST", "/v1/couples/{couple}/deliveries", (201, 403, 403, 403, 404, 404), fixed({})),
    Row("GET", "/v1/couples/{couple}/deliveries", (200, 200, 200, 404, 404, 404)),
    Row("GET", "/v1/deliveries/{delivery}", (200, 200, 200, 404, 404, 404)),
    Row(
        "POST",
        "/v1/deliveries/{delivery}/answers",
        (201, 201, 201, 404, 404, 404),
        as_alex({"text": "Mine."}),
    ),
    Row("GET", "/v1/couples/{couple}/connection", (200, 200, 200, 404, 404, 404)),
    Row("GET", "/v1/couples/{couple}/connection/series", (200, 200, 200, 404, 404, 404)),
    Row("POST", "/v1/webhook-endpoints", (201, 403, 403, 403, 201, 201), fixed(WEBHOOK)),
    Row("GET", "/v1/webhook-endpoints", (200, 403, 403, 403, 200, 200)),
    Row("GET", "/v1/webhook-endpoints/{webhook}", (200, 403, 403, 403, 404, 404)),
    Row(
        "PATCH",
        "/v1/webhook-endpoints/{webhook}",
        (200, 403, 403, 403, 404, 404),
        fixed({"description": "Renamed"}),
    ),
    Row("DELETE", "/v1/webhook-endpoints/{webhook}", (204, 403, 403, 403, 404, 404)),
    Row(
        "POST",
        "/v1/webhook-endpoints/{webhook}/rotate-secret",
        (200, 403, 403, 403, 404, 404),
        fixed({"grace_hours": 1}),
    ),
    Row("GET", "/v1/webhook-endpoints/{webhook}/deliveries", (200, 403, 403, 403, 404, 404)),
    Row(
        "GET",
        "/v1/webhook-endpoints/{webhook}/deliveries/{webhook_delivery}",
        (200, 403, 403, 403, 404, 404),
    ),
    Row(
        "GET",
        "/v1/webhook-endpoints/{webhook}/deliveries/{webhook_delivery}/attempts",
        (200, 403, 403, 403, 404, 404),
    ),
    Row(
        "POST",
        "/v1/webhook-endpoints/{webhook}/deliveries/{webhook_delivery}/retry",
        (200, 403, 403, 403, 404, 404),
    ),
]

PLACEHOLDERS = {
    "{alex}": "{member_id}",
    "{catalog}": "{catalog_id}",
    "{prompt}": "{prompt_id}",
    "{couple}": "{couple_id}",
    "{check_in}": "{check_in_id}",
    "{delivery}": "{delivery_id}",
    "{webhook}": "{endpoint_id}",
    "{webhook_delivery}": "{delivery_id}",
}


def spec_path(path: str) -> str:
    for ours, theirs in PLACEHOLDERS.items():
        path = path.replace(ours, theirs)
    return path


def refused_headers(
    settings: Settings, world_member_id: str, tenant_id: str, revoked_secret: str
) -> dict[str, dict[str, str]]:
    now = int(time.time())
    claims = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": world_member_id,
        "ten": tenant_id,
        "livemode": False,
        "iat": now - 7200,
        "exp": now - 3600,
        "jti": "tok_expired",
    }
    expired = jwt.encode(claims, settings.token_secret.get_secret_value(), algorithm="HS256")
    fresh = {**claims, "iat": now, "exp": now + 600}
    foreign = jwt.encode(fresh, "another service's signing key, 40 chars long!!", algorithm="HS256")
    alg_none = jwt.encode(fresh, key="", algorithm="none")
    return {
        "none": {},
        "malformed": {"Authorization": "Bearer sk_test_tooshort"},
        "revoked_key": bearer(revoked_secret),
        "expired_token": bearer(expired),
        "foreign_signed_token": bearer(foreign),
        "alg_none_token": bearer(alg_none),
    }


def build_world(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> World:
    """Alex and Blake paired, each with today's check-in (Blake's with a private note); a
    delivery; a tenant catalog with a prompt; Carol a stranger; another couple elsewhere."""
    key = tenant.headers()
    alex = make_member(session, tenant_id=tenant.id, display_name="Alex")
    blake = make_member(session, tenant_id=tenant.id, display_name="Blake")
    carol = make_member(session, tenant_id=tenant.id, display_name="Carol")
    dana = make_member(session, tenant_id=tenant.id)
    eve = make_member(session, tenant_id=tenant.id)

    def pair(a: str, b: str) -> str:
        code = client.post("/v1/invites", json={"inviter_id": a}, headers=key).json()["code"]
        return str(
            client.post(f"/v1/invites/{code}/accept", json={"member_id": b}, headers=key).json()[
                "id"
            ]
        )

    webhook = client.post("/v1/webhook-endpoints", json=WEBHOOK, headers=key).json()["id"]
    couple = pair(alex.id, blake.id)
    other_couple = pair(dana.id, eve.id)
    check_in = client.post(
        f"/v1/couples/{couple}/check-ins", json={"member_id": alex.id, **RATINGS}, headers=key
    ).json()["id"]
    client.post(
        f"/v1/couples/{couple}/check-ins",
        json={"member_id": blake.id, **RATINGS, "note": PARTNER_SECRET_NOTE},
        headers=key,
    )
    delivery = client.post(
        f"/v1/couples/{couple}/deliveries",
        json={"prompt_id": builtin_id("prm", "listening-fix-versus-hear")},
        headers=key,
    ).json()["id"]
    catalog = client.post("/v1/catalogs", json={"title": "House"}, headers=key).json()["id"]
    prompt = client.post(f"/v1/catalogs/{catalog}/prompts", json=PROMPT, headers=key).json()["id"]
    webhook_delivery = session.exec(
        select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == webhook)
    ).first()
    assert webhook_delivery is not None
    other = make_tenant(session, settings, name="Elsewhere")
    revoked = tenants.create_key(
        session,
        settings.secret_key.get_secret_value().encode(),
        tenant_id=tenant.id,
        livemode=False,
    )
    tenants.revoke_key(session, revoked.id)
    headers = {
        "owner_key": key,
        "own_token": bearer(member_token(settings, alex)),
        "partner_token": bearer(member_token(settings, blake)),
        "stranger_token": bearer(member_token(settings, carol)),
        "other_tenant_key": other.headers(),
        "other_mode_key": tenant.headers(livemode=True),
        **refused_headers(settings, alex.id, tenant.id, revoked.secret),
    }
    yesterday = dates.local_today(utcnow(), "UTC", 4) - timedelta(days=1)
    return World(
        headers=headers,
        ids={
            "alex": alex.id,
            "catalog": catalog,
            "prompt": prompt,
            "couple": couple,
            "check_in": check_in,
            "delivery": delivery,
            "webhook": webhook,
            "webhook_delivery": webhook_delivery,
        },
        yesterday=yesterday.isoformat(),
        other_couple_id=other_couple,
    )


def concrete(path: str, world: World) -> str:
    for name, value in world.ids.items():
        path = path.replace("{" + name + "}", value)
    return path


def call(client: TestClient, world: World, row: Row, caller: str) -> list[str]:
    """One cell: what is wrong with the answer, if anything."""
    expected = (
        (row.expected[0] if row.public else 401)
        if caller in REFUSED
        else row.expected[ACTORS.index(caller)]
    )
    response = client.request(
        row.method,
        concrete(row.path, world),
        json=row.body(world, caller),
        headers=world.headers[caller],
    )
    problems = []
    if response.status_code != expected:
        problems.append(f"{caller}: {response.status_code} != {expected}: {response.text[:200]}")
    if (
        response.status_code >= 400
        and response.headers["content-type"] != "application/problem+json"
    ):
        problems.append(f"{caller}: error is not problem+json")
    if response.status_code == 401 and "www-authenticate" not in response.headers:
        problems.append(f"{caller}: 401 without WWW-Authenticate")
    # Property level: Alex (and a stranger) never see Blake's private note; no member token
    # ever sees another couple's data.
    if caller in ("own_token", "stranger_token") and PARTNER_SECRET_NOTE in response.text:
        problems.append(f"{caller}: saw the partner's private note")
    if caller.endswith("_token") and world.other_couple_id in response.text:
        problems.append(f"{caller}: saw another couple")
    return problems


@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"{r.method} {r.path}")
def test_matrix(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys, row: Row
) -> None:
    """Every caller on one route. Callers that are refused (and every caller of a read)
    share one world; each caller whose write succeeds gets a world of its own."""

    def succeeds(caller: str) -> bool:
        status = row.expected[ACTORS.index(caller)] if caller in ACTORS else 401
        return row.method != "GET" and status < 400

    callers = ACTORS + REFUSED
    shared = build_world(client, session, settings, tenant)
    problems = [p for c in callers if not succeeds(c) for p in call(client, shared, row, c)]
    for caller in filter(succeeds, callers):
        problems += call(client, build_world(client, session, settings, tenant), row, caller)
    assert problems == []


WRITES_WITH_BODY = [r for r in TABLE if r.method in ("POST", "PATCH", "PUT") and r.body is not none]


@pytest.mark.parametrize("field_name", ["tenant_id", "livemode", "id", "score"])
@pytest.mark.parametrize("row", WRITES_WITH_BODY, ids=lambda r: f"{r.method} {r.path}")
def test_bodies_cannot_set_protected_fields(
    client: TestClient,
    session: Session,
    settings: Settings,
    tenant: TenantWithKeys,
    row: Row,
    field_name: str,
) -> None:
    world = build_world(client, session, settings, tenant)
    body = dict(row.body(world, "owner_key") or {})
    body[field_name] = (
        True if field_name == "livemode" else 99 if field_name == "score" else "forged"
    )
    response = client.request(
        row.method, concrete(row.path, world), json=body, headers=world.headers["owner_key"]
    )
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errors"][0]["pointer"] == f"#/{field_name}"


def test_every_route_has_a_row(app: FastAPI) -> None:
    spec = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    ours = {(r.method, spec_path(r.path)) for r in TABLE}
    pairing = {(r.method, r.path) for r in test_pairing_authz.TABLE}
    assert spec == ours | pairing
    cells = len(TABLE) * (len(ACTORS) + len(REFUSED)) + len(pairing) * len(
        test_pairing_authz.CALLERS
    )
    assert cells >= 400


@pytest.mark.parametrize("caller", REFUSED)
@pytest.mark.parametrize("row", test_pairing_authz.TABLE, ids=lambda r: f"{r.method} {r.path}")
def test_pairing_routes_refuse_bad_credentials(
    client: TestClient,
    session: Session,
    settings: Settings,
    tenant: TenantWithKeys,
    row: test_pairing_authz.Row,
    caller: str,
) -> None:
    """The pairing table covers who may act; bad credentials are refused there too."""
    member = make_member(session, tenant_id=tenant.id)
    revoked = tenants.create_key(
        session,
        settings.secret_key.get_secret_value().encode(),
        tenant_id=tenant.id,
        livemode=False,
    )
    tenants.revoke_key(session, revoked.id)
    headers = refused_headers(settings, member.id, tenant.id, revoked.secret)[caller]
    path = row.path.replace("{code}", "ABCD-EFGH").replace("{couple_id}", "cpl_any")
    response = client.request(row.method, path, json={}, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
