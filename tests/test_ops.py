from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from app.core import migrations
from app.core.database import Database
from app.core.db import make_engine
from app.main import create_app
from tests.conftest import _settings
from tests.factories import TenantWithKeys


class TestHealth:
    def test_healthz(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadiness:
    def test_ready_at_head(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "database": "ok", "migrations": "at_head"}

    def test_not_ready_before_migrations(
        self, fresh_database: Callable[[], str], tmp_path: Path
    ) -> None:
        url = fresh_database()
        settings = _settings(url, tmp_path)
        engine = make_engine(settings)
        try:
            with TestClient(create_app(settings, Database(engine))) as client:
                response = client.get("/readyz")
                assert response.status_code == 503
                assert response.json()["migrations"] == "behind"
                migrations.upgrade(url)
                assert client.get("/readyz").status_code == 200
        finally:
            engine.dispose()

    def test_database_unreachable(self, tmp_path: Path) -> None:
        settings = _settings("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
        engine = make_engine(settings)
        with TestClient(create_app(settings, Database(engine))) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "not_ready",
            "database": "unreachable",
            "migrations": "unknown",
        }


class TestMetrics:
    def test_counts_by_route_template(self, client: TestClient, tenant: TenantWithKeys) -> None:
        client.get("/v1/members/mem_doesnotexist", headers=tenant.headers())
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert 'route="/v1/members/{member_id}"' in text
        assert "mem_doesnotexist" not in text
        assert "rapport_http_request_duration_seconds_bucket" in text
