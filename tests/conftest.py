"""Tests run on a real database built by the real migrations: SQLite by default, PostgreSQL
when DATABASE_URL names one. Each test runs inside a transaction that is rolled back, with
the app's commits turned into savepoints, so tests never see each other's rows."""

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.catalog import content
from app.core import migrations
from app.core.config import Settings, get_settings
from app.core.database import Database
from app.core.db import make_engine, session_scope
from app.main import create_app
from tests import factories

CONTENT_DIR = migrations.ROOT / "content"
TEST_SECRET = SecretStr("test-secret-" + "x" * 40)


def _base_url() -> str:
    return os.environ.get("DATABASE_URL", "")


@dataclass
class DatabaseServer:
    """Makes fresh, empty databases: files for SQLite, `CREATE DATABASE` for PostgreSQL."""

    base_url: str
    workdir: Path

    @property
    def is_postgres(self) -> bool:
        return self.base_url.startswith("postgresql")

    def create(self) -> str:
        name = f"rapport_test_{uuid.uuid4().hex[:12]}"
        if not self.is_postgres:
            return f"sqlite:///{self.workdir / (name + '.db')}"
        admin = make_engine(_settings(self.base_url, self.workdir))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(self.base_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if not self.is_postgres:
            return
        name = make_url(url).database
        admin = make_engine(_settings(self.base_url, self.workdir))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "token_secret": SecretStr("token-secret-" + "y" * 40),
        "encryption_key": SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
        "db_pool_size": 5,
        "db_max_overflow": 5,
        # Strict: versions are read before every cached lookup, so a change made in a test's
        # own session is seen at once. tests/test_cache.py covers the default bound.
        "cache_max_staleness_seconds": 0,
    }
    return Settings.model_validate({**values, **overrides})


@pytest.fixture(scope="session")
def database_server(tmp_path_factory: pytest.TempPathFactory) -> DatabaseServer:
    return DatabaseServer(_base_url(), tmp_path_factory.mktemp("databases"))


@pytest.fixture(scope="session")
def fresh_database(database_server: DatabaseServer) -> Iterator[Callable[[], str]]:
    """Hands out new empty databases; drops them when the session ends."""
    created: list[str] = []

    def make() -> str:
        url = database_server.create()
        created.append(url)
        return url

    yield make
    for url in created:
        database_server.drop(url)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def migrated_url(fresh_database: Callable[[], str], data_dir: Path) -> str:
    """The shared test database: migrated, with the built-in content loaded and committed."""
    url = fresh_database()
    migrations.upgrade(url)
    engine = make_engine(_settings(url, data_dir))
    with session_scope(engine) as session:
        content.load(session, content.read_directory(CONTENT_DIR))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def settings(migrated_url: str, data_dir: Path) -> Settings:
    return _settings(migrated_url, data_dir)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()


class TransactionalDatabase(Database):
    """Every session joins one outer transaction; their commits become savepoints."""

    def __init__(self, engine: Engine, connection: Connection) -> None:
        super().__init__(engine)
        self.connection = connection

    def session(self, *, write: bool) -> Session:
        return Session(
            bind=self.connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def database(engine: Engine, connection: Connection) -> TransactionalDatabase:
    return TransactionalDatabase(engine, connection)


@pytest.fixture
def session(database: TransactionalDatabase) -> Iterator[Session]:
    with database.session(write=True) as session:
        yield session


@pytest.fixture
def app(settings: Settings, database: TransactionalDatabase) -> FastAPI:
    return create_app(settings, database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def tenant(session: Session, settings: Settings) -> factories.TenantWithKeys:
    return factories.make_tenant(session, settings, name="Acme Couples")


@pytest.fixture
def other_tenant(session: Session, settings: Settings) -> factories.TenantWithKeys:
    return factories.make_tenant(session, settings, name="Other App")


@pytest.fixture
def cli_database(
    fresh_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty, committed database that `rapport` commands (and get_settings) point at."""
    url = fresh_database()
    settings = _settings(url, tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT", "test")
    for name in ("secret_key", "token_secret", "encryption_key"):
        monkeypatch.setenv(name.upper(), getattr(settings, name).get_secret_value())
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@dataclass
class LiveServer:
    """The real app served by uvicorn on loopback, on its own committed database."""

    base_url: str
    settings: Settings
    engine: Engine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(fresh_database: Callable[[], str], data_dir: Path) -> Iterator[LiveServer]:
    url = fresh_database()
    migrations.upgrade(url)
    settings = _settings(url, data_dir, db_pool_size=20, db_max_overflow=20)
    engine = make_engine(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, Database(engine)),
            host="127.0.0.1",
            port=port,
            log_config=None,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", settings, engine)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def tenant_on_server(live_server: LiveServer) -> factories.TenantWithKeys:
    with session_scope(live_server.engine) as session:
        return factories.make_tenant(session, live_server.settings, name="Racing App")


def race(
    base_url: str,
    headers: dict[str, str] | list[dict[str, str]],
    posts: list[tuple[str, dict[str, object]]],
) -> list[httpx.Response]:
    """Send every POST at the same instant, each on its own thread and connection."""
    barrier = threading.Barrier(len(posts))
    results: list[httpx.Response | None] = [None] * len(posts)

    def run(index: int) -> None:
        path, body = posts[index]
        these = headers[index] if isinstance(headers, list) else headers
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            results[index] = client.post(path, json=body, headers=these)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


@contextmanager
def served(
    settings: Settings, *, workers: int = 1, **env_overrides: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`rapport serve` as its own process (what operators run), on `settings`' database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "ENVIRONMENT": "test",
        "SECRET_KEY": settings.secret_key.get_secret_value(),
        "TOKEN_SECRET": settings.token_secret.get_secret_value(),
        "ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
        "LOAD_CONTENT_ON_START": "false",
        "LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("rapport serve did not start")
            time.sleep(0.2)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)
