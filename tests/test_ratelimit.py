"""Rate limits: per key and per member token, the IETF draft headers, 429 past the limit,
and counts shared across workers through Redis."""

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import migrations, ratelimit
from app.core.config import Settings
from app.core.db import make_engine, session_scope
from app.core.security import Principal
from app.tenants.models import ApiKey
from tests.conftest import _settings, served
from tests.factories import TenantWithKeys, bearer, make_member, make_tenant, member_token

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
KEY = Principal(tenant_id="ten_x", livemode=False, kind="key", key_id="key_x")


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Pin the limiter's clock, so a test never straddles a minute boundary."""
    now = [1_800_000_000.0 + 10]
    monkeypatch.setattr(ratelimit, "now", lambda: now[0])

    def set_to(value: float) -> None:
        now[0] = value

    return set_to


class TestLimiter:
    def test_fixed_minute_windows(self) -> None:
        limiter = ratelimit.RateLimiter(ratelimit.MemoryCounter(), key_default=3, token_default=1)
        start = 1_800_000_000.0  # a multiple of 60: a window starts here
        decisions = [limiter.check(KEY, start + 5) for _ in range(4)]
        assert [d.allowed for d in decisions if d] == [True, True, True, False]
        assert [d.remaining for d in decisions if d] == [2, 1, 0, 0]
        assert decisions[0] is not None and decisions[0].reset_seconds == 55
        assert decisions[0].headers() == {
            "RateLimit-Policy": '"default";q=3;w=60',
            "RateLimit": '"default";r=2;t=55',
        }
        fresh = limiter.check(KEY, start + 61)
        assert fresh is not None and fresh.allowed and fresh.remaining == 2

    def test_own_limit_and_unlimited(self) -> None:
        limiter = ratelimit.RateLimiter(ratelimit.MemoryCounter(), key_default=3, token_default=1)
        own = Principal(
            tenant_id="t", livemode=False, kind="key", key_id="k2", rate_limit_per_minute=10
        )
        assert limiter.limit_for(own) == 10
        unlimited = Principal(
            tenant_id="t", livemode=False, kind="key", key_id="k3", rate_limit_per_minute=0
        )
        assert limiter.check(unlimited) is None
        member = Principal(tenant_id="t", livemode=False, kind="member", member_id="mem_1")
        assert limiter.limit_for(member) == 1

    def test_redis_outage_lets_requests_through(self) -> None:
        limiter = ratelimit.make_limiter("redis://127.0.0.1:1/0", 1, 1)
        assert limiter.check(KEY) is None


def set_key_limit(session: Session, key_id: str, limit: int | None) -> None:
    key = session.get(ApiKey, key_id)
    assert key is not None
    key.rate_limit_per_minute = limit
    session.add(key)
    session.flush()


class TestApi:
    def test_headers_then_429(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        frozen_clock: Callable[[float], None],
    ) -> None:
        set_key_limit(session, tenant.test_key_id, 3)
        answers = [client.get("/v1/members", headers=tenant.headers()) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["ratelimit"] for a in answers] == [
            '"default";r=2;t=50',
            '"default";r=1;t=50',
            '"default";r=0;t=50',
            '"default";r=0;t=50',
        ]
        assert all(a.headers["ratelimit-policy"] == '"default";q=3;w=60' for a in answers)
        refused = answers[-1]
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "50"
        # The next minute starts afresh.
        frozen_clock(1_800_000_000.0 + 61)
        assert client.get("/v1/members", headers=tenant.headers()).status_code == 200

    def test_limits_are_per_key(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        frozen_clock: Callable[[float], None],
    ) -> None:
        set_key_limit(session, tenant.test_key_id, 1)
        assert client.get("/v1/members", headers=tenant.headers()).status_code == 200
        assert client.get("/v1/members", headers=tenant.headers()).status_code == 429
        assert client.get("/v1/members", headers=tenant.headers(livemode=True)).status_code == 200

    def test_member_tokens_have_their_own_limit(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        frozen_clock: Callable[[float], None],
    ) -> None:
        client.app.state.rate_limiter.token_default = 2  # type: ignore[attr-defined]
        member = make_member(session, tenant_id=tenant.id)
        headers = bearer(member_token(settings, member))
        statuses = [
            client.get(f"/v1/members/{member.id}", headers=headers).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        assert client.get("/v1/members", headers=tenant.headers()).status_code == 200

    def test_unlimited_key_has_no_headers(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        set_key_limit(session, tenant.test_key_id, 0)
        response = client.get("/v1/members", headers=tenant.headers())
        assert "ratelimit" not in response.headers


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def two_workers(fresh_database: Callable[[], str], tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`rapport serve --workers 2` with Redis-backed limits, and a key limited to 20/min."""
    if not _redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (.ci/run starts it)")
    url = fresh_database()
    migrations.upgrade(url)
    settings = _settings(url, tmp_path)
    engine = make_engine(settings)
    with session_scope(engine) as session:
        tenant = make_tenant(session, settings, name="Two workers")
        set_key_limit(session, tenant.test_key_id, 20)
    engine.dispose()
    with served(settings, workers=2, RATE_LIMIT_STORAGE_URL=REDIS_URL) as (base, _):
        yield base, tenant.test_secret


@pytest.mark.slow
def test_limits_hold_across_two_workers(two_workers: tuple[str, str]) -> None:
    base, secret = two_workers
    # Start well inside a minute, so the burst cannot straddle two windows.
    while time.time() % 60 > 50:
        time.sleep(0.5)

    def call(_: int) -> int:
        with httpx.Client(base_url=base) as client:  # a new connection each time
            return client.get("/v1/members", headers=bearer(secret)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(call, range(40)))
    assert statuses == {200: 20, 429: 20}
