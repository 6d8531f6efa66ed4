"""The schema comes only from migrations; they must round-trip and agree with the models."""

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.core import migrations
from app.core.db import make_engine
from app.models import metadata
from tests.conftest import _settings


def test_upgrade_downgrade_upgrade_matches_models(
    fresh_database: Callable[[], str], tmp_path: object
) -> None:
    url = fresh_database()
    from pathlib import Path

    engine = make_engine(_settings(url, Path(str(tmp_path))))
    try:
        migrations.upgrade(url)
        tables = set(inspect(engine).get_table_names())
        assert {"members", "api_keys", "tenants", "audit_events"} <= tables

        migrations.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrations.upgrade(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": metadata}
            )
            assert context.get_current_revision() == migrations.head_revision()
            diff = compare_metadata(context, metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        engine.dispose()
