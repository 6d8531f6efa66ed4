"""Who may call each pairing endpoint: every endpoint × every kind of caller, one table.
A pairing or couples route without a row here fails `test_every_route_has_a_row`."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import Settings
from tests.factories import TenantWithKeys, bearer, make_member, make_tenant, member_token

CALLERS = (
    "owner_key",
    "own_token",
    "partner_token",
    "stranger_token",
    "other_tenant_key",
    "other_mode_key",
    "none",
)


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    alex_id: str
    blake_id: str
    code: str
    couple_id: str


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    # status per caller, in CALLERS order
    expected: tuple[int, int, int, int, int, int, int]
    body: Callable[[World, str], dict[str, object] | None] = lambda w, caller: None


def as_member(field: str, who: str) -> Callable[[World, str], dict[str, object] | None]:
    """Keys must name the member; tokens act for themselves."""

    def body(world: World, caller: str) -> dict[str, object] | None:
        if caller.endswith("_key"):
            return {field: world.alex_id if who == "alex" else world.blake_id}
        return {}

    return body


TABLE = [
    #            owner own  partner stranger other-tenant other-mode none
    Row(
        "POST", "/v1/invites", (201, 201, 201, 201, 404, 404, 401), as_member("inviter_id", "alex")
    ),
    Row("GET", "/v1/invites/{code}", (200, 200, 200, 200, 404, 404, 401)),
    Row(
        "POST",
        "/v1/invites/{code}/accept",
        (201, 422, 201, 201, 404, 404, 401),
        as_member("member_id", "blake"),
    ),
    Row("DELETE", "/v1/invites/{code}", (204, 204, 404, 404, 404, 404, 401)),
    Row("GET", "/v1/couples", (200, 403, 403, 403, 200, 200, 401)),
    Row("GET", "/v1/couples/{couple_id}", (200, 200, 200, 404, 404, 404, 401)),
    Row("POST", "/v1/couples/{couple_id}/dissolve", (200, 200, 200, 404, 404, 404, 401)),
]


@pytest.fixture
def world(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> World:
    """Alex (`own`), Blake (`partner`) and Carol (`stranger`) in the tenant, and a tenant
    elsewhere; `prepare` then sets up the invite or the couple the row's route needs."""
    alex = make_member(session, tenant_id=tenant.id, display_name="Alex")
    blake = make_member(session, tenant_id=tenant.id, display_name="Blake")
    carol = make_member(session, tenant_id=tenant.id, display_name="Carol")
    other = make_tenant(session, settings, name="Elsewhere")
    headers = {
        "owner_key": tenant.headers(),
        "own_token": bearer(member_token(settings, alex)),
        "partner_token": bearer(member_token(settings, blake)),
        "stranger_token": bearer(member_token(settings, carol)),
        "other_tenant_key": other.headers(),
        "other_mode_key": tenant.headers(livemode=True),
        "none": {},
    }
    return World(headers=headers, alex_id=alex.id, blake_id=blake.id, code="", couple_id="")


def prepare(client: TestClient, tenant: TenantWithKeys, world: World, row: Row) -> None:
    """Invite routes: Alex holds a pending invite. Couple routes: Alex and Blake are paired."""
    created = client.post(
        "/v1/invites", json={"inviter_id": world.alex_id}, headers=tenant.headers()
    )
    world.code = created.json()["code"]
    if "couple" in row.path:
        couple = client.post(
            f"/v1/invites/{world.code}/accept",
            json={"member_id": world.blake_id},
            headers=tenant.headers(),
        )
        world.couple_id = couple.json()["id"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"{r.method} {r.path}")
def test_matrix(
    client: TestClient, tenant: TenantWithKeys, world: World, row: Row, caller: str
) -> None:
    prepare(client, tenant, world, row)
    path = row.path.replace("{code}", world.code).replace("{couple_id}", world.couple_id)
    response = client.request(
        row.method, path, json=row.body(world, caller), headers=world.headers[caller]
    )
    expected = row.expected[CALLERS.index(caller)]
    assert response.status_code == expected, (caller, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    if row.path == "/v1/couples" and expected == 200:
        listed = {c["id"] for c in response.json()["data"]}
        assert (world.couple_id in listed) == (caller == "owner_key")


def test_every_route_has_a_row(app: FastAPI) -> None:
    routes = {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
        if {"pairing", "couples"} & set(operation.get("tags", []))
    }
    assert routes == {(r.method, r.path) for r in TABLE}
