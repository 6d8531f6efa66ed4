"""Deliveries to a real HTTP receiver on loopback, verified with the `standardwebhooks`
package (a verifier we did not write); retries run on a clock the tests move."""

import random
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core.config import Settings
from app.webhooks import service as webhooks_service
from app.webhooks import worker as worker_module
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.worker import Worker
from tests.conftest import TransactionalDatabase, _settings
from tests.factories import TenantWithKeys
from tests.webhooks.conftest import Clock, Receiver, create_endpoint, pair


def deliveries_of(
    client: TestClient, tenant: TenantWithKeys, endpoint_id: str
) -> list[dict[str, Any]]:
    response = client.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=tenant.headers()
    )
    assert response.status_code == 200
    return list(response.json()["data"])


def attempts_of(
    client: TestClient, tenant: TenantWithKeys, endpoint_id: str, delivery_id: str
) -> list[dict[str, Any]]:
    response = client.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts",
        headers=tenant.headers(),
    )
    assert response.status_code == 200
    return list(response.json()["data"])


class TestSignedDelivery:
    def test_verified_by_standard_webhooks(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        couple, a, b = pair(client, session, tenant)
        report = worker.run_once()
        assert report.delivered == 1
        [request] = receiver.received
        assert request.path == "/hooks"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "Rapport-Webhooks/1.0"
        assert request.webhook_id.startswith("evt_")
        signature = request.headers["webhook-signature"]
        assert signature.startswith("v1,")
        assert " " not in signature
        assert abs(int(request.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 60
        verified = Webhook(endpoint["secret"]).verify(request.body, request.headers)
        assert verified == request.json
        assert set(request.json) == {"type", "timestamp", "data"}
        assert request.json["type"] == "couple.paired"
        assert request.json["data"] == {"couple_id": couple, "member_ids": [a, b]}
        assert b"Private" not in request.body
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "QUJD" * 8).verify(request.body, request.headers)

        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == 1
        assert delivery["next_attempt_at"] is None
        assert delivery["last_response_status"] == 200
        assert delivery["event"]["id"] == request.webhook_id
        assert delivery["event"]["data"] == request.json["data"]
        one = client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}",
            headers=tenant.headers(),
        )
        assert one.json() == delivery
        [attempt] = attempts_of(client, tenant, endpoint["id"], delivery["id"])
        assert attempt["number"] == 1
        assert attempt["response_status"] == 200
        assert attempt["response_body"] == "ok"
        assert attempt["error"] is None
        assert attempt["duration_ms"] >= 0

    def test_nothing_due_nothing_sent(self, worker: Worker, receiver: Receiver) -> None:
        assert worker.run_once().as_dict()["delivered"] == 0
        assert receiver.received == []

    def test_filter_by_status(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        worker.run_once()
        pair(client, session, tenant)
        path = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
        for status, count in (("delivered", 1), ("pending", 1), ("failed", 0)):
            listed = client.get(f"{path}?status={status}", headers=tenant.headers()).json()
            assert [d["status"] for d in listed["data"]] == [status] * count

    def test_other_endpoint_delivery_is_404(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, receiver: Receiver
    ) -> None:
        first = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        second = create_endpoint(client, tenant, receiver.url, ["member.erased"])
        pair(client, session, tenant)
        [delivery] = deliveries_of(client, tenant, first["id"])
        response = client.get(
            f"/v1/webhook-endpoints/{second['id']}/deliveries/{delivery['id']}",
            headers=tenant.headers(),
        )
        assert response.status_code == 404


class TestRetries:
    def test_500_then_200_backs_off_with_the_same_id(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        receiver.answer((500, {}, b'{"error": "down"}'))
        report = worker.run_once()
        assert report.retrying == 1
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        assert delivery["status"] == "pending"
        assert delivery["attempts"] == 1
        assert delivery["last_response_status"] == 500
        due = datetime.fromisoformat(delivery["next_attempt_at"])
        # 5 s ± 10% after the attempt (the API shows whole seconds).
        assert clock.now + timedelta(seconds=3) <= due <= clock.now + timedelta(seconds=6)

        assert worker.run_once().delivered == 0  # not due yet
        clock.advance(timedelta(seconds=6))
        assert worker.run_once().delivered == 1
        first, second = receiver.received
        assert first.webhook_id == second.webhook_id
        assert first.body == second.body
        attempts = attempts_of(client, tenant, endpoint["id"], delivery["id"])
        assert [(a["number"], a["response_status"]) for a in attempts] == [(2, 200), (1, 500)]
        assert attempts[1]["response_body"] == '{"error": "down"}'
        row = session.get(WebhookEndpoint, endpoint["id"])
        assert row is not None
        session.refresh(row)
        assert row.failing_since is None

    @pytest.mark.parametrize("status", [429, 503])
    def test_retry_after_honoured(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
        status: int,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        receiver.answer((status, {"Retry-After": "120"}, b""))
        worker.run_once()
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        due = datetime.fromisoformat(delivery["next_attempt_at"])
        assert clock.now + timedelta(seconds=119) <= due <= clock.now + timedelta(seconds=121)
        clock.advance(timedelta(seconds=60))
        assert worker.run_once().delivered == 0
        clock.advance(timedelta(seconds=61))
        assert worker.run_once().delivered == 1

    def test_retry_after_forms(self) -> None:
        now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        parse = worker_module._retry_after
        assert parse("30", now) == timedelta(seconds=30)
        assert parse("Wed, 25 Nov 2026 12:02:00 GMT", now) == timedelta(minutes=2)
        assert parse("Wed, 25 Nov 2026 11:00:00 GMT", now) == timedelta(0)
        assert parse("soon", now) is None
        assert parse(None, now) is None

    def test_schedule_is_about_three_days(self) -> None:
        rng = random.Random(1)
        total = sum((webhooks_service.retry_delay(n, None, rng) for n in range(1, 11)), timedelta())
        assert timedelta(hours=64) < total < timedelta(hours=79)
        assert webhooks_service.MAX_ATTEMPTS == 11
        capped = webhooks_service.retry_delay(1, timedelta(days=9), rng)
        assert capped == timedelta(hours=24)

    def test_410_disables_the_endpoint(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        pair(client, session, tenant)
        receiver.answer((410, {}, b"gone"))
        report = worker.run_once()
        assert report.failed == 1  # the other pending delivery failed with the endpoint
        assert len(receiver.received) == 1
        got = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers())
        assert got.json()["status"] == "disabled"
        assert got.json()["disabled_reason"] == "gone"
        statuses = [d["status"] for d in deliveries_of(client, tenant, endpoint["id"])]
        assert statuses == ["failed", "failed"]
        pair(client, session, tenant)  # no new delivery for a disabled endpoint
        assert len(deliveries_of(client, tenant, endpoint["id"])) == 2

    def test_sustained_failure_disables_after_about_three_days(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        start = clock.now
        receiver.answer(*[(500, {}, b"no")] * 20)
        for _ in range(40):
            worker.run_once()
            [delivery] = deliveries_of(client, tenant, endpoint["id"])
            if delivery["status"] != "pending":
                break
            clock.now = datetime.fromisoformat(delivery["next_attempt_at"]) + timedelta(seconds=1)
        assert delivery["status"] == "failed"
        assert delivery["attempts"] == 11
        assert len(receiver.received) == 11
        assert len({r.webhook_id for r in receiver.received}) == 1
        assert timedelta(hours=64) < clock.now - start < timedelta(hours=80)
        got = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers())
        assert got.json()["status"] == "disabled"
        assert got.json()["disabled_reason"] == "failing"
        attempts = attempts_of(client, tenant, endpoint["id"], delivery["id"])
        assert [a["number"] for a in attempts[:10]] == list(range(11, 1, -1))

    def test_one_success_keeps_the_endpoint(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        """An exhausted delivery disables only when nothing succeeded meanwhile."""
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        receiver.answer((500, {}, b"no"))
        worker.run_once()
        failing = receiver.received[0].webhook_id
        receiver.respond = lambda r: (500, {}, b"no") if r.webhook_id == failing else (200, {}, b"")
        pair(client, session, tenant)
        for _ in range(40):
            clock.advance(timedelta(hours=17))
            worker.run_once()
        got = client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers())
        assert got.json()["status"] == "enabled"
        statuses = sorted(d["status"] for d in deliveries_of(client, tenant, endpoint["id"]))
        assert statuses == ["delivered", "failed"]

    def test_redirect_not_followed_and_body_truncated(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        receiver.answer((302, {"Location": "http://127.0.0.1:9/elsewhere"}, b"x" * 5000))
        worker.run_once()
        assert len(receiver.received) == 1
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        assert delivery["status"] == "pending"
        assert delivery["last_response_status"] == 302
        [attempt] = attempts_of(client, tenant, endpoint["id"], delivery["id"])
        assert attempt["response_body"] == "x" * 1024

    def test_connection_refused_recorded(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, worker: Worker
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        endpoint = create_endpoint(client, tenant, f"http://127.0.0.1:{port}/", ["couple.paired"])
        pair(client, session, tenant)
        assert worker.run_once().retrying == 1
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        [attempt] = attempts_of(client, tenant, endpoint["id"], delivery["id"])
        assert attempt["response_status"] is None
        assert attempt["error"].startswith("ConnectError")
        assert delivery["last_error"] == attempt["error"]


class TestSecretRotation:
    def test_both_signatures_during_grace(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
        clock: Clock,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        old = endpoint["secret"]
        rotated = client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
            json={"grace_hours": 1},
            headers=tenant.headers(),
        ).json()
        new = rotated["secret"]
        pair(client, session, tenant)
        worker.run_once()
        [during] = receiver.received
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        for secret in (old, new):
            Webhook(secret).verify(during.body, during.headers)

        clock.advance(timedelta(hours=2))
        pair(client, session, tenant)
        worker.run_once()
        after = receiver.received[1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        Webhook(new).verify(after.body, after.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(after.body, after.headers)


class TestUrlGuardAtDelivery:
    def test_private_address_refused_in_production(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        database: TransactionalDatabase,
        settings: Settings,
    ) -> None:
        """A URL accepted earlier (here in test mode, as if DNS changed since) is checked
        again before each request."""
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        production = _settings(settings.database_url, settings.data_dir, environment="production")
        strict = Worker(database, production)
        try:
            assert strict.run_once().retrying == 1
        finally:
            strict.close()
        assert receiver.received == []
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        [attempt] = attempts_of(client, tenant, endpoint["id"], delivery["id"])
        assert attempt["response_status"] is None
        assert "https" in attempt["error"]


class TestRetryWebhookDelivery:
    def test_sends_again_with_the_same_id(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        receiver: Receiver,
        worker: Worker,
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        worker.run_once()
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        response = client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry",
            headers=tenant.headers(),
        )
        assert response.status_code == 200
        assert response.json()["status"] == "pending"
        assert worker.run_once().delivered == 1
        first, again = receiver.received
        assert first.webhook_id == again.webhook_id
        [after] = deliveries_of(client, tenant, endpoint["id"])
        assert (after["status"], after["attempts"]) == ("delivered", 2)

    def test_disabled_endpoint(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, receiver: Receiver
    ) -> None:
        endpoint = create_endpoint(client, tenant, receiver.url, ["couple.paired"])
        pair(client, session, tenant)
        [delivery] = deliveries_of(client, tenant, endpoint["id"])
        client.patch(
            f"/v1/webhook-endpoints/{endpoint['id']}",
            json={"status": "disabled"},
            headers=tenant.headers(),
        )
        response = client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/retry",
            headers=tenant.headers(),
        )
        assert response.status_code == 409
        assert response.json()["code"] == "webhook_endpoint_disabled"
        assert deliveries_of(client, tenant, endpoint["id"])[0]["status"] == "failed"


class TestLeases:
    def test_endpoint_deleted_mid_delivery(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        database: TransactionalDatabase,
        clock: Clock,
    ) -> None:
        endpoint = create_endpoint(client, tenant, "http://127.0.0.1:9/", ["couple.paired"])
        pair(client, session, tenant)
        with database.session(write=True) as claiming:
            [job] = webhooks_service.claim(claiming, clock(), timedelta(seconds=30))
            claiming.commit()
        with database.session(write=True) as again:
            assert webhooks_service.claim(again, clock(), timedelta(seconds=30)) == []
        client.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers())
        outcome = webhooks_service.Outcome(clock(), 5, status_code=200, body="ok")
        with database.session(write=True) as finishing:
            status = webhooks_service.finish(finishing, job, outcome, clock(), random.Random(1))
        assert status is None

    def test_expired_lease_is_claimed_again(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        database: TransactionalDatabase,
        clock: Clock,
    ) -> None:
        create_endpoint(client, tenant, "http://127.0.0.1:9/", ["couple.paired"])
        pair(client, session, tenant)
        with database.session(write=True) as first:
            [job] = webhooks_service.claim(first, clock(), timedelta(seconds=30))
            first.commit()
        clock.advance(timedelta(seconds=31))
        with database.session(write=True) as second:
            [retaken] = webhooks_service.claim(second, clock(), timedelta(seconds=30))
            second.commit()
        assert retaken.delivery_id == job.delivery_id
        assert retaken.event_id == job.event_id
        assert retaken.attempt == 2
        late = webhooks_service.Outcome(clock(), 5, status_code=200, body="ok")
        with database.session(write=True) as finishing:
            assert webhooks_service.finish(finishing, job, late, clock(), random.Random(1)) is None
        row = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id)
        ).one()
        session.refresh(row)
        assert row.lease == retaken.lease
