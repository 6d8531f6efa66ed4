from datetime import datetime

from sqlmodel import Field, Index, UniqueConstraint

from app.core.base import SQLModel, created_at_field, id_field, instant_field


class Member(SQLModel, table=True):
    """A partner app's user, as Rapport knows them: no email, no real name required."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "livemode", "external_id"),
        Index("ix_members_tenant_id_livemode_created_at", "tenant_id", "livemode", "created_at"),
    )

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    external_id: str = Field(max_length=255)
    display_name: str = Field(max_length=100)
    timezone: str = Field(max_length=64)
    day_starts_at_hour: int
    locale: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # Member tokens issued before this instant are refused (revocation by issue time).
    tokens_valid_after: datetime | None = instant_field()
