"""Workers as operators run them, on a committed database: killed mid-delivery, several
at once, from the command line, and inside `rapport serve`."""

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook

from app.cli import main
from app.core import migrations
from app.core.config import Settings, get_settings
from app.core.database import Database
from app.core.db import make_engine, session_scope, utcnow
from app.webhooks import service as webhooks_service
from app.webhooks import signing
from app.webhooks import worker as worker_module
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.conftest import _settings, served
from tests.factories import TenantWithKeys, make_member, make_tenant
from tests.webhooks.conftest import Receiver, wait_for


@dataclass
class Committed:
    settings: Settings
    engine: Engine


@pytest.fixture
def committed(fresh_database: Callable[[], str], tmp_path: Path) -> Iterator[Committed]:
    url = fresh_database()
    migrations.upgrade(url)
    settings = _settings(url, tmp_path, webhook_lease_seconds=2, webhook_poll_seconds=0.1)
    engine = make_engine(settings)
    yield Committed(settings, engine)
    engine.dispose()


def setup_events(
    committed: Committed, url: str, count: int
) -> tuple[TenantWithKeys, str, list[str]]:
    """A tenant, an endpoint at `url` and `count` events for it, committed."""
    with session_scope(committed.engine) as session:
        tenant = make_tenant(session, committed.settings, name="Workers")
        endpoint = WebhookEndpoint(
            id="whe_" + tenant.id[4:],
            tenant_id=tenant.id,
            livemode=False,
            url=url,
            events=["member.erased"],
            secret=signing.new_secret(),
        )
        session.add(endpoint)
        session.flush()
        ids = []
        for i in range(count):
            event = webhooks_service.record(
                session,
                tenant_id=tenant.id,
                livemode=False,
                type="member.erased",
                data={"member_id": f"mem_{i:04d}"},
            )
            assert event is not None
            ids.append(event.id)
        secret = endpoint.secret
    return tenant, secret, ids


def statuses(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery.status)))


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "ENVIRONMENT": "test",
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "TOKEN_SECRET": settings.token_secret.get_secret_value(),
        "ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
        "WEBHOOK_LEASE_SECONDS": "2",
        "WEBHOOK_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
    }


def spawn_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_killed_worker_loses_nothing(committed: Committed, receiver: Receiver) -> None:
    """SIGKILL a `rapport worker` while its receiver holds the first request; a new worker
    delivers every event, and the one sent twice carries the same webhook-id and body."""
    _, secret, event_ids = setup_events(committed, receiver.url, 5)
    receiver.hold()
    first = spawn_worker(committed.settings)
    try:
        assert receiver.held.wait(30), "the first worker never sent"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    receiver.release()
    assert len(receiver.received) == 1
    second = spawn_worker(committed.settings)
    try:
        wait_for(lambda: statuses(committed.engine) == ["delivered"] * 5, timeout=60)
    finally:
        second.terminate()
        assert second.wait(20) == 0  # SIGTERM stops it cleanly
    by_id = receiver.by_id()
    assert sorted(by_id) == sorted(event_ids)
    twice = {k: v for k, v in by_id.items() if len(v) > 1}
    assert list(twice) == [receiver.received[0].webhook_id]
    [(held, again)] = twice.values()
    assert held.body == again.body
    for request in receiver.received:
        Webhook(secret).verify(request.body, request.headers)
    with Session(committed.engine) as session:
        delivery = session.exec(
            select(WebhookDelivery)
            .join(WebhookAttempt, col(WebhookAttempt.delivery_id) == col(WebhookDelivery.id))
            .where(WebhookDelivery.attempts == 2)
        ).one()
        assert delivery.status == "delivered"


@pytest.mark.slow
def test_two_workers_never_send_one_delivery_at_once(
    committed: Committed, receiver: Receiver
) -> None:
    _, _, event_ids = setup_events(committed, receiver.url, 30)
    receiver.delay = 0.02
    barrier = threading.Barrier(2)
    reports: list[worker_module.Report] = []

    def run() -> None:
        worker = worker_module.Worker(Database(committed.engine), committed.settings)
        try:
            barrier.wait()
            reports.append(worker.run_once())
        finally:
            worker.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert receiver.overlaps == []
    assert sorted(r.webhook_id for r in receiver.received) == sorted(event_ids)
    assert sum(r.delivered for r in reports) == 30
    assert all(r.delivered > 0 for r in reports), [r.as_dict() for r in reports]
    assert statuses(committed.engine) == ["delivered"] * 30


def test_worker_once_from_the_command_line(
    committed: Committed,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_events(committed, receiver.url, 2)
    for name, value in worker_env(committed.settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert main(["worker", "--once", "--json"]) == 0
    finally:
        get_settings.cache_clear()
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["delivered"] == 2
    assert result["failed"] == 0
    assert len(receiver.received) == 2


def test_worker_thread_delivers_until_stopped(committed: Committed, receiver: Receiver) -> None:
    setup_events(committed, receiver.url, 1)
    halt = worker_module.start_in_thread(Database(committed.engine), committed.settings)
    try:
        wait_for(lambda: statuses(committed.engine) == ["delivered"])
    finally:
        halt()
    assert len(receiver.received) == 1


def test_old_finished_events_are_pruned(committed: Committed, receiver: Receiver) -> None:
    setup_events(committed, receiver.url, 2)
    worker = worker_module.Worker(Database(committed.engine), committed.settings)
    try:
        worker.run_once()
        assert statuses(committed.engine) == ["delivered", "delivered"]
        worker.clock = lambda: utcnow() + timedelta(days=31)
        worker._last_prune = None
        assert worker.run_once().pruned_events == 2
    finally:
        worker.close()
    assert statuses(committed.engine) == []


@pytest.mark.slow
def test_serve_delivers_in_process(committed: Committed, receiver: Receiver) -> None:
    with session_scope(committed.engine) as session:
        tenant = make_tenant(session, committed.settings, name="Served")
        a = make_member(session, tenant_id=tenant.id).id
        b = make_member(session, tenant_id=tenant.id).id
    with served(committed.settings, WEBHOOK_POLL_SECONDS="0.1") as (base, _server):
        key = tenant.headers()
        with httpx.Client(base_url=base, headers=key, timeout=10) as api:
            created = api.post(
                "/v1/webhook-endpoints", json={"url": receiver.url, "events": ["couple.paired"]}
            )
            assert created.status_code == 201, created.text
            code = api.post("/v1/invites", json={"inviter_id": a}).json()["code"]
            couple = api.post(f"/v1/invites/{code}/accept", json={"member_id": b}).json()
        wait_for(lambda: len(receiver.received) == 1)
    [request] = receiver.received
    Webhook(created.json()["secret"]).verify(request.body, request.headers)
    assert request.json["data"] == {"couple_id": couple["id"], "member_ids": [a, b]}
