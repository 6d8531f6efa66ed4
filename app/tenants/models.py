from datetime import datetime

from sqlmodel import Field, Index

from app.core.base import SQLModel, created_at_field, id_field, instant_field

# The cache scope (app/core/cache.py) every change to a key's validity bumps.
KEYS_CACHE_SCOPE = "api_keys"


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: str = id_field()
    name: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class ApiKey(SQLModel, table=True):
    """A tenant's secret key. Only its HMAC is stored; the secret is shown once."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_tenant_id_created_at", "tenant_id", "created_at"),)

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    name: str = Field(default="", max_length=100)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    last4: str = Field(max_length=4)
    rate_limit_per_minute: int | None = None
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = instant_field()
    expires_at: datetime | None = instant_field()
    revoked_at: datetime | None = instant_field()
    rotated_from_id: str | None = Field(default=None, max_length=40)
