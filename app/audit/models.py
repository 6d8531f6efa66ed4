from datetime import datetime

from sqlmodel import Field, Index

from app.core.base import SQLModel, created_at_field, id_field


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what to which object, when, in which request. Never content."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_id_created_at", "tenant_id", "created_at"),)

    id: str = id_field()
    tenant_id: str | None = Field(default=None, max_length=40)
    livemode: bool | None = None
    actor_type: str = Field(max_length=16)
    actor_id: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=64)
    object_id: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = created_at_field()
