"""Managing webhook endpoints over the API: CRUD, secrets, isolation, validation and the
guard against private destinations."""

import base64
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.core.config import Settings
from app.main import create_app
from app.webhooks.models import WebhookEndpoint
from tests.conftest import TransactionalDatabase, _settings
from tests.factories import TenantWithKeys, bearer, make_member, member_token
from tests.webhooks.conftest import create_endpoint

URL = "https://hooks.example.com/rapport"
PUBLIC_KEYS = {
    "id",
    "url",
    "description",
    "events",
    "status",
    "disabled_reason",
    "disabled_at",
    "previous_secret_expires_at",
    "livemode",
    "created_at",
    "updated_at",
}


class TestCreateWebhookEndpoint:
    def test_valid(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/webhook-endpoints",
            json={"url": URL, "events": ["couple.paired"], "description": "Ours"},
            headers=tenant.headers(),
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == PUBLIC_KEYS | {"secret"}
        assert body["id"].startswith("whe_")
        assert body["url"] == URL
        assert body["events"] == ["couple.paired"]
        assert body["status"] == "enabled"
        assert body["livemode"] is False
        assert body["secret"].startswith("whsec_")
        assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32
        row = session.get(WebhookEndpoint, body["id"])
        assert row is not None
        assert row.tenant_id == tenant.id
        assert row.secret == body["secret"]

    def test_idempotent_replay(self, client: TestClient, tenant: TenantWithKeys) -> None:
        headers = {**tenant.headers(), "Idempotency-Key": "hook-1"}
        body = {"url": URL, "events": ["couple.paired"]}
        first = client.post("/v1/webhook-endpoints", json=body, headers=headers)
        again = client.post("/v1/webhook-endpoints", json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        listed = client.get("/v1/webhook-endpoints", headers=tenant.headers()).json()
        assert [e["id"] for e in listed["data"]] == [first.json()["id"]]

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"url": "ftp://hooks.example.com/x", "events": ["couple.paired"]}, "#/url"),
            ({"url": "not a url", "events": ["couple.paired"]}, "#/url"),
            ({"url": "https://user:pw@hooks.example.com/", "events": ["couple.paired"]}, "#/url"),
            ({"url": "https://hooks.example.com:99999/", "events": ["couple.paired"]}, "#/url"),
            ({"url": "https://hooks.example.com/#x", "events": ["couple.paired"]}, "#/url"),
            ({"url": "https://" + "a" * 2048 + ".com/", "events": ["couple.paired"]}, "#/url"),
            ({"url": URL, "events": ["couple.exploded"]}, "#/events/0"),
            ({"url": URL, "events": []}, "#/events"),
            ({"url": URL, "events": ["couple.paired", "couple.paired"]}, "#/events"),
            ({"url": URL}, "#/events"),
            ({"url": URL, "events": ["couple.paired"], "secret": "whsec_mine"}, "#/secret"),
        ],
    )
    def test_invalid(
        self, client: TestClient, tenant: TenantWithKeys, body: dict[str, object], pointer: str
    ) -> None:
        response = client.post("/v1/webhook-endpoints", json=body, headers=tenant.headers())
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"][0]["pointer"] == pointer

    def test_member_token_refused(
        self, client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.post(
            "/v1/webhook-endpoints",
            json={"url": URL, "events": ["couple.paired"]},
            headers=bearer(member_token(settings, member)),
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden_for_member_token"

    def test_loopback_allowed_in_test(self, client: TestClient, tenant: TenantWithKeys) -> None:
        body = create_endpoint(client, tenant, "http://127.0.0.1:9/hooks")
        assert body["url"] == "http://127.0.0.1:9/hooks"


@pytest.fixture
def production_client(settings: Settings, database: TransactionalDatabase) -> Iterator[TestClient]:
    production = _settings(
        settings.database_url, settings.data_dir, environment="production", docs_enabled=True
    )
    app: FastAPI = create_app(production, database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


class TestUrlGuardInProduction:
    @pytest.mark.parametrize(
        "url",
        [
            "https://127.0.0.1/hooks",
            "https://localhost/hooks",
            "https://10.1.2.3/hooks",
            "https://192.168.0.10/hooks",
            "https://172.16.5.4/hooks",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/hooks",
            "https://[::1]/hooks",
            "https://[fd00::1]/hooks",
            "https://[::ffff:127.0.0.1]/hooks",
            "https://0.0.0.0/hooks",
            "https://224.0.0.1/hooks",
            "https://0x7f000001/hooks",
        ],
    )
    def test_private_refused(
        self, production_client: TestClient, tenant: TenantWithKeys, url: str
    ) -> None:
        response = production_client.post(
            "/v1/webhook-endpoints",
            json={"url": url, "events": ["couple.paired"]},
            headers=tenant.headers(),
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "webhook_url_not_allowed"
        assert problem["errors"] == [{"pointer": "#/url", "detail": problem["detail"]}]

    def test_plain_http_refused(
        self, production_client: TestClient, tenant: TenantWithKeys
    ) -> None:
        response = production_client.post(
            "/v1/webhook-endpoints",
            json={"url": "http://93.184.216.34/hooks", "events": ["couple.paired"]},
            headers=tenant.headers(),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "webhook_url_not_allowed"
        assert "https" in response.json()["detail"]

    def test_unresolvable_refused(
        self, production_client: TestClient, tenant: TenantWithKeys
    ) -> None:
        response = production_client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://no-such-host.invalid/hooks", "events": ["couple.paired"]},
            headers=tenant.headers(),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "webhook_url_unresolvable"

    def test_public_address_allowed(
        self, production_client: TestClient, tenant: TenantWithKeys
    ) -> None:
        response = production_client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://93.184.216.34/hooks", "events": ["couple.paired"]},
            headers=tenant.headers(),
        )
        assert response.status_code == 201, response.text

    def test_update_checked_too(
        self, production_client: TestClient, tenant: TenantWithKeys
    ) -> None:
        created = production_client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://93.184.216.34/hooks", "events": ["couple.paired"]},
            headers=tenant.headers(),
        ).json()
        response = production_client.patch(
            f"/v1/webhook-endpoints/{created['id']}",
            json={"url": "https://127.0.0.1/hooks"},
            headers=tenant.headers(),
        )
        assert response.status_code == 422
        assert response.json()["code"] == "webhook_url_not_allowed"


class TestListWebhookEndpoints:
    def test_pages_newest_first_without_secrets(
        self, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        ids = [create_endpoint(client, tenant, f"{URL}/{i}")["id"] for i in range(3)]
        first = client.get("/v1/webhook-endpoints?limit=2", headers=tenant.headers()).json()
        assert first["has_more"] is True
        second = client.get(
            f"/v1/webhook-endpoints?limit=2&cursor={first['next_cursor']}",
            headers=tenant.headers(),
        ).json()
        listed = [e["id"] for e in first["data"] + second["data"]]
        assert sorted(listed) == sorted(ids)
        assert len(set(listed)) == 3
        assert second["has_more"] is False
        assert all(set(e) == PUBLIC_KEYS for e in first["data"] + second["data"])

    def test_scoped_to_tenant_and_mode(
        self, client: TestClient, tenant: TenantWithKeys, other_tenant: TenantWithKeys
    ) -> None:
        test_one = create_endpoint(client, tenant, URL)
        live_one = create_endpoint(client, tenant, URL, livemode=True)
        create_endpoint(client, other_tenant, URL)
        test_list = client.get("/v1/webhook-endpoints", headers=tenant.headers()).json()
        live_list = client.get(
            "/v1/webhook-endpoints", headers=tenant.headers(livemode=True)
        ).json()
        assert [e["id"] for e in test_list["data"]] == [test_one["id"]]
        assert [e["id"] for e in live_list["data"]] == [live_one["id"]]
        assert live_list["data"][0]["livemode"] is True
        for headers in (tenant.headers(livemode=True), other_tenant.headers()):
            response = client.get(f"/v1/webhook-endpoints/{test_one['id']}", headers=headers)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"


class TestGetWebhookEndpoint:
    def test_no_secret(self, client: TestClient, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        response = client.get(f"/v1/webhook-endpoints/{created['id']}", headers=tenant.headers())
        assert response.status_code == 200
        assert response.json() == {k: v for k, v in created.items() if k != "secret"}

    def test_unknown(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.get("/v1/webhook-endpoints/whe_nope", headers=tenant.headers())
        assert response.status_code == 404


class TestUpdateWebhookEndpoint:
    def test_fields(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        response = client.patch(
            f"/v1/webhook-endpoints/{created['id']}",
            json={"url": URL + "/v2", "events": ["member.erased"], "description": "v2"},
            headers=tenant.headers(),
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["url"], body["events"], body["description"]) == (
            URL + "/v2",
            ["member.erased"],
            "v2",
        )
        row = session.get(WebhookEndpoint, created["id"])
        assert row is not None
        assert row.events == ["member.erased"]

    def test_disable_and_enable(self, client: TestClient, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        path = f"/v1/webhook-endpoints/{created['id']}"
        disabled = client.patch(path, json={"status": "disabled"}, headers=tenant.headers())
        assert disabled.json()["status"] == "disabled"
        assert disabled.json()["disabled_reason"] == "manual"
        assert disabled.json()["disabled_at"] is not None
        enabled = client.patch(path, json={"status": "enabled"}, headers=tenant.headers())
        assert enabled.json()["status"] == "enabled"
        assert enabled.json()["disabled_reason"] is None

    def test_invalid(self, client: TestClient, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        response = client.patch(
            f"/v1/webhook-endpoints/{created['id']}",
            json={"events": ["nope"]},
            headers=tenant.headers(),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/events/0"


class TestAudit:
    def test_endpoint_changes_are_audited(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        created = create_endpoint(client, tenant, URL)
        path = f"/v1/webhook-endpoints/{created['id']}"
        client.patch(path, json={"description": "x"}, headers=tenant.headers())
        client.post(f"{path}/rotate-secret", headers=tenant.headers())
        client.delete(path, headers=tenant.headers())
        rows = session.exec(select(AuditEvent).where(AuditEvent.object_id == created["id"])).all()
        assert sorted(r.action for r in rows) == [
            "webhook_endpoint.created",
            "webhook_endpoint.deleted",
            "webhook_endpoint.secret_rotated",
            "webhook_endpoint.updated",
        ]
        assert {(r.actor_type, r.actor_id, r.tenant_id) for r in rows} == {
            ("key", tenant.test_key_id, tenant.id)
        }
        assert all(created["secret"] not in str(r.model_dump()) for r in rows)


class TestDeleteWebhookEndpoint:
    def test_gone(self, client: TestClient, session: Session, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        path = f"/v1/webhook-endpoints/{created['id']}"
        assert client.delete(path, headers=tenant.headers()).status_code == 204
        assert client.get(path, headers=tenant.headers()).status_code == 404
        assert (
            session.exec(select(WebhookEndpoint).where(WebhookEndpoint.id == created["id"])).first()
            is None
        )


class TestRotateWebhookSecret:
    def test_new_secret_with_grace(self, client: TestClient, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        response = client.post(
            f"/v1/webhook-endpoints/{created['id']}/rotate-secret",
            json={"grace_hours": 2},
            headers=tenant.headers(),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["secret"].startswith("whsec_")
        assert body["secret"] != created["secret"]
        assert body["previous_secret_expires_at"] is not None

    def test_without_body_or_grace(self, client: TestClient, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        path = f"/v1/webhook-endpoints/{created['id']}/rotate-secret"
        assert client.post(path, headers=tenant.headers()).json()["previous_secret_expires_at"]
        now = client.post(path, json={"grace_hours": 0}, headers=tenant.headers()).json()
        assert now["previous_secret_expires_at"] is None

    def test_grace_out_of_range(self, client: TestClient, tenant: TenantWithKeys) -> None:
        created = create_endpoint(client, tenant, URL)
        response = client.post(
            f"/v1/webhook-endpoints/{created['id']}/rotate-secret",
            json={"grace_hours": 1000},
            headers=tenant.headers(),
        )
        assert response.status_code == 422
