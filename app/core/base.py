"""What every table shares. Importing this first fixes the constraint naming convention,
so Alembic autogenerate and hand-written migrations name constraints identically."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.db import UtcDateTime, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def id_field() -> Any:
    return Field(primary_key=True, max_length=40)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False)


def instant_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


__all__ = ["SQLModel", "created_at_field", "datetime", "id_field", "instant_field"]
