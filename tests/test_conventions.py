"""The cross-cutting rules every endpoint follows: problem+json, request ids, headers,
body limits and idempotency."""

import logging
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.core.db import utcnow
from app.core.idempotency import LOCK_TIMEOUT, REPLAY_WINDOW, IdempotencyRecord, fingerprint
from app.members.models import Member
from tests.factories import TenantWithKeys, make_member

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id"}


def member_count(session: Session, tenant_id: str) -> int:
    return session.exec(
        select(func.count()).select_from(Member).where(col(Member.tenant_id) == tenant_id)
    ).one()


class TestProblemDetails:
    def test_unknown_route(self, client: TestClient) -> None:
        response = client.get("/v1/nothing-here")
        assert response.status_code in (401, 404)
        response = client.get("/nothing-here")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert set(body) >= PROBLEM_KEYS
        assert body["code"] == "not_found"
        assert body["request_id"] == response.headers["x-request-id"]

    def test_method_not_allowed_lists_every_method_of_the_path(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        member = make_member(session, tenant_id=tenant.id)
        response = client.put(f"/v1/members/{member.id}", headers=tenant.headers())
        assert response.status_code == 405
        assert response.headers["allow"] == "DELETE, GET, PATCH"
        assert response.json()["code"] == "method_not_allowed"

    def test_body_over_64_kib_is_413(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        body = '{"external_id": "a", "display_name": "' + "x" * 70_000 + '"}'
        response = client.post(
            "/v1/members",
            content=body,
            headers={**tenant.headers(), "content-type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["code"] == "payload_too_large"
        assert member_count(session, tenant.id) == 0

    def test_malformed_json(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members",
            content=b'{"external_id": ',
            headers={**tenant.headers(), "content-type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_validation_lists_every_error_with_pointer(
        self, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        response = client.post(
            "/v1/members", json={"display_name": 5, "locale": "english"}, headers=tenant.headers()
        )
        assert response.status_code == 422
        pointers = sorted(e["pointer"] for e in response.json()["errors"])
        assert pointers == ["#/display_name", "#/external_id", "#/locale"]

    def test_unexpected_error_hides_internals(
        self, app: FastAPI, caplog: pytest.LogCaptureFixture
    ) -> None:
        @app.get("/boom")
        def boom() -> None:
            raise RuntimeError("SELECT secret FROM internals")

        with (
            TestClient(app, raise_server_exceptions=False) as client,
            caplog.at_level(logging.ERROR),
        ):
            response = client.get("/boom", headers={"X-Request-ID": "trace-me-1"})
        assert response.status_code == 500
        body = response.json()
        assert body["code"] == "internal_error"
        assert "SELECT" not in response.text
        assert response.headers["x-request-id"] == "trace-me-1"
        logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
        assert [getattr(r, "request_id", None) for r in logged] == ["trace-me-1"]


class TestRequestIds:
    def test_sane_client_id_is_kept(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "abc-123_x.y:z"})
        assert response.headers["x-request-id"] == "abc-123_x.y:z"

    def test_insane_client_id_is_replaced(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
        assert response.headers["x-request-id"].startswith("req_")

    def test_generated_when_absent(self, client: TestClient) -> None:
        first = client.get("/healthz").headers["x-request-id"]
        second = client.get("/healthz").headers["x-request-id"]
        assert first.startswith("req_") and first != second


class TestSecurityHeaders:
    def test_on_success_and_error(self, client: TestClient) -> None:
        for response in (client.get("/healthz"), client.get("/v1/members")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert "default-src 'none'" in response.headers["content-security-policy"]


class TestIdempotency:
    def post(
        self, client: TestClient, tenant: TenantWithKeys, key: str, **body: object
    ) -> "object":
        payload = {"external_id": "idem", "display_name": "Idem", **body}
        return client.post(
            "/v1/members", json=payload, headers={**tenant.headers(), "Idempotency-Key": key}
        )

    def test_replays_first_answer(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        headers = {**tenant.headers(), "Idempotency-Key": "k-1"}
        body = {"external_id": "idem", "display_name": "Idem"}
        first = client.post("/v1/members", json=body, headers=headers)
        second = client.post("/v1/members", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert "idempotent-replayed" not in first.headers
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json() == first.json()
        assert member_count(session, tenant.id) == 1

    def test_same_body_other_key_order_still_replays(
        self, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        headers = {
            **tenant.headers(),
            "Idempotency-Key": "k-order",
            "content-type": "application/json",
        }
        first = client.post(
            "/v1/members", content=b'{"external_id":"o","display_name":"O"}', headers=headers
        )
        second = client.post(
            "/v1/members",
            content=b'{"display_name": "O", "external_id": "o"}',
            headers=headers,
        )
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json()["id"] == first.json()["id"]

    def test_reuse_with_other_body_is_422(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        headers = {**tenant.headers(), "Idempotency-Key": "k-2"}
        client.post("/v1/members", json={"external_id": "a", "display_name": "A"}, headers=headers)
        response = client.post(
            "/v1/members", json={"external_id": "b", "display_name": "B"}, headers=headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert member_count(session, tenant.id) == 1

    def test_in_flight_duplicate_is_409(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        body = b'{"external_id":"f","display_name":"F"}'
        session.add(
            IdempotencyRecord(
                tenant_id=tenant.id,
                livemode=False,
                key="k-3",
                fingerprint=fingerprint("POST", "/v1/members", body),
                locked_at=utcnow(),
            )
        )
        session.flush()
        response = client.post(
            "/v1/members",
            content=body,
            headers={
                **tenant.headers(),
                "Idempotency-Key": "k-3",
                "content-type": "application/json",
            },
        )
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_in_use"
        assert member_count(session, tenant.id) == 0

    @pytest.mark.parametrize(
        ("completed", "age"),
        [(False, LOCK_TIMEOUT + timedelta(seconds=5)), (True, REPLAY_WINDOW + timedelta(hours=1))],
        ids=["claim-of-a-dead-request", "answer-past-the-replay-window"],
    )
    def test_stale_key_is_taken_over(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        completed: bool,
        age: timedelta,
    ) -> None:
        body = b'{"external_id":"g","display_name":"G"}'
        then = utcnow() - age
        session.add(
            IdempotencyRecord(
                tenant_id=tenant.id,
                livemode=False,
                key="k-stale",
                fingerprint=fingerprint("POST", "/v1/members", body),
                completed=completed,
                response_status=201 if completed else None,
                response_body='{"id":"mem_old"}' if completed else None,
                created_at=then,
                locked_at=then,
            )
        )
        session.flush()
        headers = {
            **tenant.headers(),
            "Idempotency-Key": "k-stale",
            "content-type": "application/json",
        }
        response = client.post("/v1/members", content=body, headers=headers)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
        assert member_count(session, tenant.id) == 1
        again = client.post("/v1/members", content=body, headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == response.json()

    def test_error_answer_releases_the_key(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        headers = {**tenant.headers(), "Idempotency-Key": "k-4"}
        bad = client.post("/v1/members", json={"external_id": "x"}, headers=headers)
        assert bad.status_code == 422
        good = client.post(
            "/v1/members", json={"external_id": "x", "display_name": "X"}, headers=headers
        )
        assert good.status_code == 201
        assert "idempotent-replayed" not in good.headers

    def test_keys_are_scoped_to_the_tenant(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
    ) -> None:
        for owner in (tenant, other_tenant):
            response = client.post(
                "/v1/members",
                json={"external_id": "s", "display_name": "S"},
                headers={**owner.headers(), "Idempotency-Key": "shared"},
            )
            assert response.status_code == 201
            assert "idempotent-replayed" not in response.headers

    def test_overlong_key(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members",
            json={"external_id": "l", "display_name": "L"},
            headers={**tenant.headers(), "Idempotency-Key": "k" * 256},
        )
        assert response.status_code == 422


class TestStrictQueries:
    def test_unknown_query_parameter_is_refused(
        self, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        response = client.get("/v1/members", params={"limt": 5}, headers=tenant.headers())
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"pointer": "#/query/limt", "detail": "Unknown query parameter 'limt'."}
        ]

    def test_known_parameters_of_dependencies_are_accepted(
        self, client: TestClient, tenant: TenantWithKeys
    ) -> None:
        response = client.get(
            "/v1/members", params={"limit": 5, "external_id": "x"}, headers=tenant.headers()
        )
        assert response.status_code == 200

    def test_undecodable_body_is_422(self, client: TestClient, tenant: TenantWithKeys) -> None:
        response = client.post(
            "/v1/members",
            content=b"\xff\xfe\x00",
            headers={**tenant.headers(), "content-type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_nul_characters_are_refused_everywhere(
        self, client: TestClient, session: Session, tenant: TenantWithKeys
    ) -> None:
        """PostgreSQL cannot store U+0000; every engine refuses it the same way (found by
        schema fuzzing)."""
        body = client.post(
            "/v1/members",
            json={"external_id": "a\u0000b", "display_name": "N"},
            headers=tenant.headers(),
        )
        path = client.get("/v1/members/mem_%00x", headers=tenant.headers())
        query = client.get(
            "/v1/members", params={"external_id": "a\u0000"}, headers=tenant.headers()
        )
        for response in (body, path, query):
            assert response.status_code == 422
            assert response.json()["detail"] == "Text may not contain NUL (U+0000) characters."
        assert member_count(session, tenant.id) == 0
