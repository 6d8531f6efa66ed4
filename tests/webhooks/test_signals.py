"""`connection.signal_raised`: computed by the worker after a check-in (never in the
check-in request), and sent only for codes newly raised for the couple."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.webhooks import worker as worker_module
from app.webhooks.models import CoupleSignalState, WebhookEvent
from app.webhooks.worker import Worker
from tests.factories import TenantWithKeys
from tests.webhooks.conftest import Receiver, check_in, create_endpoint, pair

LOW = {"openness": 1, "listening": 1, "vulnerability": 1, "support": 1, "safety": 1}
RAISED = ["avoiding_difficult_conversations", "feeling_distant", "struggling_to_share"]


def raised_events(session: Session) -> list[WebhookEvent]:
    return list(
        session.exec(select(WebhookEvent).where(WebhookEvent.type == "connection.signal_raised"))
    )


class TestSignalRaised:
    def test_new_codes_only(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["connection.signal_raised"])
        couple, a, b = pair(client, session, tenant)
        check_in(client, tenant, couple, a, ratings=LOW, closeness=1, note="hard week 9f2e")
        assert raised_events(session) == []  # nothing computed in the request

        report = worker.run_once()
        assert (report.signal_checks, report.signals_raised, report.delivered) == (1, 3, 3)
        bodies = sorted((r.json for r in receiver.received), key=lambda j: j["data"]["code"])
        assert [j["data"]["code"] for j in bodies] == RAISED
        for body in bodies:
            assert body["type"] == "connection.signal_raised"
            assert set(body["data"]) == {"couple_id", "code", "severity"}
            assert body["data"]["couple_id"] == couple
            assert body["data"]["severity"] in ("low", "medium", "high")
        assert b"9f2e" not in b"".join(r.body for r in receiver.received)
        state = session.get(CoupleSignalState, couple)
        assert state is not None
        session.refresh(state)
        assert state.codes == RAISED

        # The partner's check-in keeps the same signals: nothing new to raise.
        check_in(client, tenant, couple, b, ratings=LOW, closeness=1)
        report = worker.run_once()
        assert (report.signal_checks, report.signals_raised) == (1, 0)
        assert len(receiver.received) == 3
        deliveries = client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers()
        ).json()["data"]
        assert {d["event"]["type"] for d in deliveries} == {"connection.signal_raised"}

    def test_dissolved_couple_raises_nothing(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        create_endpoint(client, tenant, receiver.url, ["connection.signal_raised"])
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a, ratings=LOW, closeness=1)
        client.post(f"/v1/couples/{couple}/dissolve", headers=tenant.headers())
        report = worker.run_once()
        assert (report.signal_checks, report.signals_raised) == (1, 0)
        assert receiver.received == []

    def test_a_failing_check_is_dropped_not_retried_forever(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        worker: Worker,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        create_endpoint(client, tenant, "https://hooks.example.com/", ["connection.signal_raised"])
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a)

        def broken(*_args: object) -> int:
            raise RuntimeError("scoring bug")

        monkeypatch.setattr(worker_module, "raise_signals", broken)
        assert worker.run_once().signal_checks == 0
        assert worker.run_once().signal_checks == 0
        [event] = session.exec(select(WebhookEvent)).all()
        session.refresh(event)
        assert event.signals_pending is False
