"""The operator's command line, run in-process against a real, committed database."""

import base64
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app import cli
from app.audit.models import AuditEvent
from app.core import migrations
from app.core.config import get_settings
from app.core.database import Database
from app.core.db import make_engine, session_scope
from app.encryption import service as encryption
from app.encryption.keyring import Keyring
from app.main import create_app
from app.models import ApiKey, Tenant
from tests.conftest import _settings
from tests.factories import bearer, make_member, make_tenant


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = cli.main([*argv, "--json"])
    lines = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(lines[-1]) if lines else {}


def count(url: str, model: type) -> int:
    engine = make_engine(_settings(url, Path("/tmp")))
    with Session(engine) as session:
        n = session.exec(select(func.count()).select_from(model)).one()
    engine.dispose()
    return n


def refused_within(client: TestClient, secret: str, bound: float) -> float:
    """Seconds until the key is refused (401), polling for at most `bound` + 1 s."""
    started = time.monotonic()
    while time.monotonic() - started < bound + 1.0:
        status = client.get("/v1/members", headers=bearer(secret)).status_code
        if status == 401:
            return time.monotonic() - started
        assert status == 200
        time.sleep(0.02)
    raise AssertionError(f"the key still worked {bound + 1.0} s after its revocation")


class TestCli:
    def test_full_key_lifecycle(
        self, cli_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, migrated = run(capsys, "migrate")
        assert code == 0 and migrated["migrated_to"] == migrations.head_revision()

        code, tenant = run(capsys, "tenants", "create", "Acme")
        assert code == 0 and str(tenant["id"]).startswith("ten_")
        code, listed = run(capsys, "tenants", "list")
        rows = listed["data"]
        assert isinstance(rows, list)
        assert [t["id"] for t in rows] == [tenant["id"]]

        code, key = run(
            capsys,
            "keys",
            "create",
            "--tenant",
            str(tenant["id"]),
            "--mode",
            "test",
            "--name",
            "backend",
            "--rate-limit-per-minute",
            "0",
        )
        assert code == 0
        secret = str(key["secret"])
        assert secret.startswith("sk_test_") and key["rate_limit_per_minute"] == 0

        settings = get_settings()
        engine = make_engine(settings)
        try:
            with TestClient(create_app(settings, Database(engine))) as client:
                created = client.post(
                    "/v1/members",
                    json={"external_id": "e", "display_name": "E"},
                    headers=bearer(secret),
                )
                assert created.status_code == 201

                code, rotated = run(capsys, "keys", "rotate", str(key["id"]), "--grace-hours", "0")
                assert code == 0 and rotated["rotated_from_id"] == key["id"]
                # Another process's change reaches a running server's cache within its bound.
                bound = settings.cache_max_staleness_seconds
                assert refused_within(client, secret, bound) <= bound + 0.2
                new_secret = str(rotated["secret"])
                assert client.get("/v1/members", headers=bearer(new_secret)).status_code == 200

                code, revoked = run(capsys, "keys", "revoke", str(rotated["id"]))
                assert code == 0 and revoked["revoked_at"] is not None
                assert refused_within(client, new_secret, bound) <= bound + 0.2
        finally:
            engine.dispose()

        code, keys = run(capsys, "keys", "list", "--tenant", str(tenant["id"]))
        listed_keys = keys["data"]
        assert isinstance(listed_keys, list) and len(listed_keys) == 2
        assert all("secret" not in k and "key_hash" not in k for k in listed_keys)
        engine = make_engine(_settings(cli_database, Path("/tmp")))
        with Session(engine) as session:
            actions = session.exec(
                select(AuditEvent.action).order_by(col(AuditEvent.created_at))
            ).all()
        engine.dispose()
        assert actions == [
            "tenant.created",
            "api_key.created",
            "api_key.created",
            "api_key.rotated",
            "api_key.revoked",
        ]

    def test_unknown_tenant_exits_2_and_writes_nothing(
        self, cli_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrations.upgrade(cli_database)
        capsys.readouterr()
        code = cli.main(["keys", "create", "--tenant", "ten_missing", "--mode", "live"])
        captured = capsys.readouterr()
        assert code == 2
        assert captured.err.count("\n") == 1 and "ten_missing" in captured.err
        assert count(cli_database, ApiKey) == 0

    @pytest.mark.parametrize(
        "argv",
        [
            ["keys", "create", "--tenant", "t", "--mode", "prod"],
            ["keys", "create", "--mode", "live"],
            ["keys", "rotate"],
            ["nonsense"],
            ["keys", "create", "--tenant", "t", "--mode", "live", "--rate-limit-per-minute", "x"],
        ],
    )
    def test_bad_arguments_one_line_exit_2(
        self, argv: list[str], cli_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as exited:
            cli.main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("rapport: error: ") and err.count("\n") == 1

    def test_negative_rate_limit_and_blank_name(
        self, cli_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrations.upgrade(cli_database)
        assert cli.main(["tenants", "create", "  "]) == 2
        assert (
            cli.main(
                [
                    "keys",
                    "create",
                    "--tenant",
                    "t",
                    "--mode",
                    "live",
                    "--rate-limit-per-minute",
                    "-1",
                ]
            )
            == 2
        )
        assert count(cli_database, Tenant) == 0

    def test_development_bootstrap_once(
        self, cli_database: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrations.upgrade(cli_database)
        settings = get_settings().model_copy(update={"environment": "development"})
        first = cli.bootstrap_development(settings, cli.Output(as_json=False))
        assert first is not None and str(first["secret"]).startswith("sk_test_")
        assert first["secret"] in capsys.readouterr().out
        assert cli.bootstrap_development(settings, cli.Output(as_json=False)) is None
        assert count(cli_database, Tenant) == 1

    def test_openapi_written(
        self, cli_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "spec.json"
        code, result = run(capsys, "openapi", "--output", str(target))
        assert code == 0 and result["path"] == str(target)
        assert json.loads(target.read_text())["info"]["title"] == "Rapport API"


class TestEncryptionRotate:
    def test_rewraps_under_the_new_key(
        self, cli_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        migrations.upgrade(cli_database)
        old_settings = get_settings()
        engine = make_engine(old_settings)
        with session_scope(engine) as session:
            tenant = make_tenant(session, old_settings, name="Rotating")
            member = make_member(session, tenant_id=tenant.id)
            sealed = encryption.encrypt(
                session, encryption.keyring(old_settings), member.id, "kept", "ctx"
            )
            member_id = member.id
        new_key = base64.urlsafe_b64encode(b"k" * 32).decode()
        monkeypatch.setenv("ENCRYPTION_KEY", new_key)
        monkeypatch.setenv(
            "ENCRYPTION_KEY_PREVIOUS",
            json.dumps([old_settings.encryption_key.get_secret_value()]),
        )
        get_settings.cache_clear()
        capsys.readouterr()
        code, result = run(capsys, "encryption", "rotate")
        assert code == 0
        assert result["rewrapped"] == 1
        only_new = Keyring(current=b"k" * 32)
        with Session(engine) as session:
            assert encryption.decrypt(session, only_new, member_id, sealed, "ctx") == "kept"
        engine.dispose()

    def test_bad_key_exits_2(
        self, cli_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("ENCRYPTION_KEY_PREVIOUS", '["not-a-key"]')
        get_settings.cache_clear()
        capsys.readouterr()
        assert cli.main(["encryption", "rotate"]) == 2
        assert "32 random bytes" in capsys.readouterr().err
