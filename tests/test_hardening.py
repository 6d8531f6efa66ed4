"""Hardening: production guards, docs exposure, CORS, and what never reaches the logs."""

import io
import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlmodel import Session

from app.core.config import Settings
from app.core.database import Database
from app.core.logging import JsonFormatter
from app.main import create_app
from tests.factories import TenantWithKeys, make_member

STRONG = "x" * 40
KEY_B64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


class TestProductionGuards:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"secret_key": SecretStr("changeme")},
            {"secret_key": SecretStr("short")},
            {"token_secret": SecretStr("")},
            {"encryption_key": SecretStr("")},
            {"encryption_key": SecretStr("not-base64-of-32-bytes-but-long-enough!!")},
        ],
    )
    def test_refuses_development_or_weak_secrets(
        self, overrides: dict[str, object], tmp_path: Path
    ) -> None:
        values: dict[str, object] = {
            "environment": "production",
            "data_dir": tmp_path,
            "secret_key": SecretStr(STRONG),
            "token_secret": SecretStr(STRONG),
            "encryption_key": SecretStr(KEY_B64),
            **overrides,
        }
        with pytest.raises(ValidationError):
            Settings.model_validate(values)
        assert not (tmp_path / "secrets.json").exists()  # nothing generated in production

    def test_starts_with_real_secrets_and_no_docs(
        self, tmp_path: Path, settings: Settings, database: Database
    ) -> None:
        production = Settings.model_validate(
            {
                "environment": "production",
                "data_dir": tmp_path,
                "database_url": settings.database_url,
                "secret_key": SecretStr(STRONG),
                "token_secret": SecretStr(STRONG),
                "encryption_key": SecretStr(KEY_B64),
            }
        )
        with TestClient(create_app(production, database)) as client:
            for path in ("/docs", "/redoc", "/openapi.json"):
                assert client.get(path).status_code == 404
            assert client.get("/healthz").status_code == 200

    def test_docs_can_be_turned_on_or_off(self, settings: Settings, database: Database) -> None:
        off = settings.model_copy(update={"docs_enabled": False})
        with TestClient(create_app(off, database)) as client:
            assert client.get("/docs").status_code == 404
        with TestClient(create_app(settings, database)) as client:
            assert client.get("/docs").status_code == 200


class TestCors:
    def preflight(self, client: TestClient) -> dict[str, str]:
        response = client.options(
            "/v1/members",
            headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
        )
        return dict(response.headers)

    def test_closed_by_default(self, client: TestClient) -> None:
        assert "access-control-allow-origin" not in self.preflight(client)

    def test_open_to_configured_origins(self, settings: Settings, database: Database) -> None:
        configured = settings.model_copy(update={"cors_origins": ["https://app.example"]})
        with TestClient(create_app(configured, database)) as client:
            assert self.preflight(client)["access-control-allow-origin"] == "https://app.example"


class TestLogs:
    def test_no_secret_or_private_text_in_logs(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A whole couple's day, with every log record rendered as the server writes it."""
        note = "a note that must never be logged 7f3a"
        answer_text = "an answer that must never be logged 9c2e"
        key = tenant.headers()
        with caplog.at_level(logging.DEBUG):
            alex = make_member(session, tenant_id=tenant.id)
            blake = make_member(session, tenant_id=tenant.id)
            token = client.post(f"/v1/members/{alex.id}/tokens", headers=key).json()["token"]
            alex_headers = {"Authorization": f"Bearer {token}"}
            code = client.post("/v1/invites", json={"inviter_id": alex.id}, headers=key).json()[
                "code"
            ]
            couple = client.post(
                f"/v1/invites/{code}/accept", json={"member_id": blake.id}, headers=key
            ).json()["id"]
            client.post(
                f"/v1/couples/{couple}/check-ins",
                json={
                    "ratings": {"openness": 4, "listening": 4, "support": 4, "safety": 4},
                    "note": note,
                },
                headers={**alex_headers, "Idempotency-Key": "log-scan"},
            )
            delivery = client.post(f"/v1/couples/{couple}/deliveries", json={}, headers=key).json()[
                "id"
            ]
            client.post(
                f"/v1/deliveries/{delivery}/answers",
                json={"text": answer_text},
                headers=alex_headers,
            )
            client.get(
                f"/v1/couples/{couple}/check-ins", params={"include_notes": True}, headers=key
            )
            client.get(f"/v1/members/{alex.id}/export", headers=key)
            client.get("/v1/members", headers={"Authorization": "Bearer sk_test_wrong"})
        formatter = JsonFormatter()
        rendered = io.StringIO()
        for record in caplog.records:
            if record.name.startswith("httpx"):
                continue  # the test client's own log, not the server's
            rendered.write(formatter.format(record) + "\n")
        text = rendered.getvalue()
        assert "rapport.access" in text  # the scan saw the server's logs
        for secret in (
            tenant.test_secret,
            token,
            note,
            answer_text,
            settings.secret_key.get_secret_value(),
        ):
            assert secret not in text
        for line in text.splitlines():
            json.loads(line)  # every line is one JSON object
