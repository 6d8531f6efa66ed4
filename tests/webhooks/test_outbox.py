"""Events are written by the change that causes them, in its transaction: one per change,
none when the change fails, none when nobody listens, ids only."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlmodel import Session, col, func, select

from app.catalog.content import builtin_id
from app.checkins import service as checkins_service
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.conftest import TransactionalDatabase
from tests.factories import TenantWithKeys, make_member
from tests.webhooks.conftest import ALL_EVENTS, check_in, create_endpoint, pair

URL = "https://hooks.example.com/rapport"
SECRET_NOTE = "our private note 7f3a"
SECRET_ANSWER = "my private answer 2c9d"


def events(session: Session, type: str | None = None) -> list[WebhookEvent]:
    statement = select(WebhookEvent).order_by(col(WebhookEvent.created_at))
    if type is not None:
        statement = statement.where(WebhookEvent.type == type)
    return list(session.exec(statement))


def deliveries(session: Session, event_id: str) -> list[WebhookDelivery]:
    return list(session.exec(select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)))


def body_of(event: WebhookEvent) -> Any:
    return json.loads(event.payload)


class TestEventsRecorded:
    def test_couple_lifecycle(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        endpoint = create_endpoint(client, tenant, URL)
        couple, a, b = pair(client, session, tenant)
        [paired] = events(session, "couple.paired")
        assert paired.data == {"couple_id": couple, "member_ids": [a, b]}
        assert body_of(paired) == {
            "type": "couple.paired",
            "timestamp": paired.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": {"couple_id": couple, "member_ids": [a, b]},
        }
        [delivery] = deliveries(session, paired.id)
        assert delivery.endpoint_id == endpoint["id"]
        assert delivery.status == "pending"
        assert delivery.next_attempt_at is not None

        response = client.post(f"/v1/couples/{couple}/dissolve", headers=tenant.headers())
        assert response.status_code == 200
        [dissolved] = events(session, "couple.dissolved")
        assert dissolved.data == {"couple_id": couple, "member_ids": [a, b]}

    def test_check_in_and_reveal(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        create_endpoint(client, tenant, URL)
        couple, a, b = pair(client, session, tenant)
        first = check_in(client, tenant, couple, a, note=SECRET_NOTE)
        [created] = events(session, "check_in.created")
        assert created.data == {"check_in_id": first["id"], "couple_id": couple, "member_id": a}
        assert created.signals_pending is True  # the endpoint also wants signals

        key = tenant.headers()
        delivery = client.post(
            f"/v1/couples/{couple}/deliveries",
            json={"prompt_id": builtin_id("prm", "listening-fix-versus-hear")},
            headers=key,
        ).json()
        for member in (a, b):
            response = client.post(
                f"/v1/deliveries/{delivery['id']}/answers",
                json={"member_id": member, "text": SECRET_ANSWER},
                headers=key,
            )
            assert response.status_code == 201
        [revealed] = events(session, "delivery.revealed")
        assert revealed.data == {
            "delivery_id": delivery["id"],
            "couple_id": couple,
            "prompt_id": delivery["prompt"]["id"],
        }

    def test_erasure(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        create_endpoint(client, tenant, URL)
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a, note=SECRET_NOTE)
        assert client.delete(f"/v1/members/{a}", headers=tenant.headers()).status_code == 204
        types = [e.type for e in events(session)]
        assert types[-2:] == ["couple.dissolved", "member.erased"]
        [erased] = events(session, "member.erased")
        assert erased.data == {"member_id": a}

    def test_ids_only(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        """No names, notes or answers in any payload, whatever happened."""
        create_endpoint(client, tenant, URL)
        couple, a, b = pair(client, session, tenant)
        check_in(client, tenant, couple, a, note=SECRET_NOTE, note_visibility="shared")
        client.delete(f"/v1/members/{b}", headers=tenant.headers())
        payloads = " ".join(e.payload for e in events(session))
        for text in (SECRET_NOTE, "Alex Private", "Blake Private", "openness"):
            assert text not in payloads
        assert len(events(session)) >= 4


class TestNobodyListening:
    def test_no_endpoint_writes_nothing(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a)
        assert events(session) == []

    def test_only_subscribed_types_and_endpoints(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
    ) -> None:
        wants_pairs = create_endpoint(client, tenant, URL, ["couple.paired"])
        create_endpoint(client, tenant, URL, ["check_in.created"], livemode=True)
        create_endpoint(client, other_tenant, URL, ALL_EVENTS)
        disabled = create_endpoint(client, tenant, URL, ["couple.paired"])
        client.patch(
            f"/v1/webhook-endpoints/{disabled['id']}",
            json={"status": "disabled"},
            headers=tenant.headers(),
        )
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a)
        [paired] = events(session)
        assert paired.type == "couple.paired"
        assert [d.endpoint_id for d in deliveries(session, paired.id)] == [wants_pairs["id"]]

    def test_signals_only_keeps_the_check_in_without_deliveries(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        create_endpoint(client, tenant, URL, ["connection.signal_raised"])
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a)
        [created] = events(session)
        assert created.type == "check_in.created"
        assert created.signals_pending is True
        assert deliveries(session, created.id) == []

    def test_hot_path_is_one_query(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        database: TransactionalDatabase,
    ) -> None:
        session.flush()
        statements: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            statements.append(statement)

        sa_event.listen(database.connection, "before_cursor_execute", count)
        try:
            assert (
                webhooks_service.record(
                    session,
                    tenant_id=tenant.id,
                    livemode=False,
                    type="check_in.created",
                    data={"check_in_id": "chk_x"},
                )
                is None
            )
        finally:
            sa_event.remove(database.connection, "before_cursor_execute", count)
        assert len(statements) == 1
        assert "webhook_endpoints" in statements[0]


class TestAtomicity:
    def test_failed_request_records_nothing(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A failure after the change (here, while shaping the answer) rolls back the
        check-in and its event together; the retry records exactly one."""
        create_endpoint(client, tenant, URL)
        couple, a, _ = pair(client, session, tenant)
        before = len(events(session))

        def broken(*_args: object, **_kwargs: object) -> object:
            raise RuntimeError("boom")

        with monkeypatch.context() as patched:
            patched.setattr(checkins_service, "present", broken)
            body = {
                "member_id": a,
                "ratings": {"openness": 4, "listening": 4, "support": 4, "safety": 4},
            }
            response = client.post(
                f"/v1/couples/{couple}/check-ins", json=body, headers=tenant.headers()
            )
        assert response.status_code == 500
        assert len(events(session)) == before
        check_in(client, tenant, couple, a)
        assert len(events(session, "check_in.created")) == 1

    def test_refused_request_records_nothing(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        create_endpoint(client, tenant, URL)
        couple, a, _ = pair(client, session, tenant)
        check_in(client, tenant, couple, a)
        again = client.post(
            f"/v1/couples/{couple}/check-ins",
            json={
                "member_id": a,
                "ratings": {"openness": 4, "listening": 4, "support": 4, "safety": 4},
            },
            headers=tenant.headers(),
        )
        assert again.status_code == 409
        assert len(events(session, "check_in.created")) == 1

    def test_rolled_back_session_records_nothing(
        self, database: TransactionalDatabase, tenant: TenantWithKeys, session: Session
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        endpoint = WebhookEndpoint(
            id="whe_atomic",
            tenant_id=tenant.id,
            livemode=False,
            url=URL,
            events=["member.erased"],
            secret="whsec_AAAA",
        )
        session.add(endpoint)
        session.flush()
        with database.session(write=True) as other:
            webhooks_service.record(
                other,
                tenant_id=tenant.id,
                livemode=False,
                type="member.erased",
                data={"member_id": member.id},
            )
            other.flush()
            assert other.exec(select(func.count()).select_from(WebhookEvent)).one() == 1
            other.rollback()
        assert events(session) == []
