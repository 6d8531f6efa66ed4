"""The per-process caches (app/core/cache.py) answer what the database would: prompt pages
equal the SQL they replace, a change is seen at once by the process that made it and within
the staleness bound by every other, and a cached connection answer never outlives the data
it was computed from."""

import time
from collections.abc import Callable
from datetime import timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.catalog import content
from app.catalog.models import Prompt, PromptDimension
from app.core import migrations
from app.core.cache import Cache, Versions, bump
from app.core.config import Settings
from app.core.database import Database
from app.core.db import make_engine, session_scope
from app.core.pagination import decode_cursor
from app.main import create_app
from app.tenants import service as tenants
from tests.conftest import CONTENT_DIR, _settings
from tests.factories import TenantWithKeys, make_tenant
from tests.test_connection_api import Paired

# ---- prompt pages equal the SQL they replace ----------------------------------------------


def sql_page_ids(
    session: Session, tenant_id: str, filters: dict[str, str], cursor: str | None, limit: int
) -> list[str]:
    """The query `GET /v1/prompts` ran before its answers were cached: the reference."""
    statement = select(Prompt).where(
        col(Prompt.archived_at).is_(None),
        or_(
            col(Prompt.tenant_id).is_(None),
            and_(col(Prompt.tenant_id) == tenant_id, col(Prompt.livemode).is_(False)),
        ),
    )
    for name in ("catalog_id", "category", "depth", "kind", "locale"):
        if name in filters:
            statement = statement.where(getattr(Prompt, name) == filters[name])
    if "dimension" in filters:
        statement = statement.where(
            col(Prompt.id).in_(
                select(PromptDimension.prompt_id).where(
                    PromptDimension.dimension == filters["dimension"]
                )
            )
        )
    if cursor:
        value, row_id = decode_cursor(cursor)
        statement = statement.where(
            or_(
                col(Prompt.created_at) < value,
                and_(col(Prompt.created_at) == value, col(Prompt.id) < row_id),
            )
        )
    statement = statement.order_by(col(Prompt.created_at).desc(), col(Prompt.id).desc())
    return [p.id for p in session.exec(statement.limit(limit)).all()]


def test_prompt_pages_equal_the_sql(
    client: TestClient, session: Session, tenant: TenantWithKeys
) -> None:
    headers = tenant.headers()
    catalog = client.post(
        "/v1/catalogs", json={"title": "Ours", "locale": "en"}, headers=headers
    ).json()
    for n, (dimension, depth) in enumerate(product(["listening", "safety"], ["light", "deep"])):
        created = client.post(
            f"/v1/catalogs/{catalog['id']}/prompts",
            json={
                "text": f"Our own prompt number {n}: what helped you feel heard this week?",
                "category": "building_intimacy",
                "dimensions": [dimension],
                "depth": depth,
                "kind": "question",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
    cases: list[dict[str, str]] = [
        {},
        {"dimension": "listening"},
        {"category": "warning_signs", "depth": "deep"},
        {"kind": "activity", "dimension": "quality_time"},
        {"catalog_id": catalog["id"]},
        {"locale": "en", "dimension": "safety", "depth": "deep"},
        {"locale": "fr"},
    ]
    for filters in cases:
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, str | int] = {**filters, "limit": 37}
            if cursor:
                params["cursor"] = cursor
            body = client.get("/v1/prompts", params=params, headers=headers).json()
            expected = sql_page_ids(session, tenant.tenant.id, filters, cursor, 37)
            assert [p["id"] for p in body["data"]] == expected, (filters, pages)
            pages += 1
            cursor = body["next_cursor"]
            assert body["has_more"] == (cursor is not None)
            if cursor is None:
                break
        assert pages >= 1


# ---- the staleness bound across processes ---------------------------------------------------


@pytest.fixture
def committed(fresh_database: Callable[[], str], data_dir: Path) -> Settings:
    """A database of its own, with everything committed (as separate processes see it)."""
    url = fresh_database()
    migrations.upgrade(url)
    settings = _settings(url, data_dir, cache_max_staleness_seconds=0.3)
    engine = make_engine(settings)
    with session_scope(engine) as session:
        content.load(session, content.read_directory(CONTENT_DIR))
    engine.dispose()
    return settings


def app_on(settings: Settings) -> FastAPI:
    return create_app(settings, Database(make_engine(settings)))


def seconds_until(check: Callable[[], bool], limit: float) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit, f"not seen within {limit} s"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_change_reaches_other_processes_within_the_bound(committed: Settings) -> None:
    engine = make_engine(committed)
    with session_scope(engine) as session:
        tenant = make_tenant(session, committed)
    headers = tenant.headers()
    bound = committed.cache_max_staleness_seconds
    with TestClient(app_on(committed)) as a, TestClient(app_on(committed)) as b:
        first = b.get("/v1/prompts", params={"limit": 1}, headers=headers).json()["data"]
        catalog = a.post("/v1/catalogs", json={"title": "New", "locale": "en"}, headers=headers)
        prompt = a.post(
            f"/v1/catalogs/{catalog.json()['id']}/prompts",
            json={
                "text": "What is one small thing your partner did lately that you noticed?",
                "category": "building_intimacy",
                "dimensions": ["appreciation"],
                "depth": "light",
                "kind": "question",
            },
            headers=headers,
        ).json()

        def newest(client: TestClient) -> str:
            body = client.get("/v1/prompts", params={"limit": 1}, headers=headers).json()
            return str(body["data"][0]["id"])

        assert newest(a) == prompt["id"]  # the writing process: at once
        assert seconds_until(lambda: newest(b) == prompt["id"], bound + 0.5) <= bound + 0.2
        assert first[0]["id"] != prompt["id"]

        with session_scope(engine) as session:  # a third process: the operator's CLI
            tenants.revoke_key(session, tenant.test_key_id)

        def refused(client: TestClient) -> Callable[[], bool]:
            return lambda: client.get("/v1/prompts", headers=headers).status_code == 401

        for client in (a, b):
            assert seconds_until(refused(client), bound + 0.5) <= bound + 0.2
    engine.dispose()


# ---- the cache itself -------------------------------------------------------------------


def test_entries_are_rebuilt_after_a_bump_and_bounded(session: Session) -> None:
    versions = Versions(lambda: session, max_staleness=0)
    cache = Cache(versions, max_entries=2)
    builds: list[str] = []

    def build(name: str) -> Callable[[Session], str]:
        def make(_s: Session) -> str:
            builds.append(name)
            return name

        return make

    scopes = ("test:scope",)
    assert cache.get_or_build("k", scopes, build("first"), session) == "first"
    assert cache.get_or_build("k", scopes, build("second"), session) == "first"
    bump(session, "test:scope")
    assert cache.get_or_build("k", scopes, build("third"), session) == "third"
    for key in ("x", "y"):
        cache.get_or_build(key, scopes, build(key), session)
    assert cache.get_or_build("k", scopes, build("fourth"), session) == "fourth"  # evicted
    assert builds == ["first", "third", "x", "y", "fourth"]


# ---- cached connection answers follow the data -----------------------------------------------


@pytest.fixture
def couple(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> Paired:
    return Paired(client, session, settings, tenant)


def test_connection_answer_follows_every_write(client: TestClient, couple: Paired) -> None:
    today = couple.history(20, listening=2, others=4)
    path = f"/v1/couples/{couple.id}/connection"

    def connection() -> dict[str, Any]:
        body: dict[str, Any] = client.get(path, headers=couple.key).json()
        return body

    before = connection()
    assert connection() == before  # the cached answer
    # A new check-in (a day the history left empty) is a new answer at once.
    posted = client.post(
        f"/v1/couples/{couple.id}/check-ins",
        json={
            "member_id": couple.alex.id,
            "local_date": str(today - timedelta(days=25)),
            "ratings": dict.fromkeys(("openness", "listening", "safety", "support"), 5),
        },
        headers=couple.key,
    )
    assert posted.status_code == 201, posted.text
    after_post = connection()
    assert after_post["data_points"] == before["data_points"] + 1
    # Replacing today's check-in changes the score.
    mine = client.get(
        f"/v1/couples/{couple.id}/check-ins",
        params={"member_id": couple.alex.id, "limit": 1},
        headers=couple.key,
    ).json()["data"][0]
    replaced = client.put(
        f"/v1/check-ins/{mine['id']}",
        json={"ratings": dict.fromkeys(("openness", "listening", "safety", "support"), 1)},
        headers=couple.key,
    )
    assert replaced.status_code == 200, replaced.text
    after_put = connection()
    assert after_put["score"] != after_post["score"]
    # A prompt given to the couple leaves the recommendations.
    recommended = [r["prompt"]["id"] for r in after_put["recommendations"]]
    assert recommended
    given = client.post(
        f"/v1/couples/{couple.id}/deliveries",
        json={"prompt_id": recommended[0]},
        headers=couple.key,
    )
    assert given.status_code == 201, given.text
    after_delivery = connection()
    assert recommended[0] not in [r["prompt"]["id"] for r in after_delivery["recommendations"]]
