from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, Index

from app.core.base import SQLModel, created_at_field, id_field, instant_field


class WebhookEndpoint(SQLModel, table=True):
    """A URL a tenant subscribed, in one mode, to some event types. Its signing secret is
    stored as it is: the worker must sign with it, so only a reversible form would do."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index(
            "ix_webhook_endpoints_tenant_id_livemode_created_at",
            "tenant_id",
            "livemode",
            "created_at",
        ),
    )

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    url: str = Field(max_length=2048)
    description: str = Field(default="", max_length=500)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=100)
    # During a rotation, the secret being retired: deliveries are signed with both.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = instant_field()
    disabled_at: datetime | None = instant_field()
    disabled_reason: str | None = Field(default=None, max_length=16)
    # The first failed attempt since the last success; the endpoint is disabled when it
    # has been failing for too long.
    failing_since: datetime | None = instant_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WebhookEvent(SQLModel, table=True):
    """The outbox: one row per event that some endpoint wanted, written in the transaction
    of the change itself. `payload` is the exact body every delivery of it sends."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_created_at", "created_at"),
        Index("ix_webhook_events_signals_pending", "signals_pending"),
    )

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    type: str = Field(max_length=64)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    payload: str = Field(sa_type=Text)
    # A check-in whose couple's signals a worker still has to recompute.
    signals_pending: bool = False
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event on its way to one endpoint: the unit a worker claims, sends and retries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
        Index("ix_webhook_deliveries_next_attempt_at", "next_attempt_at"),
    )

    id: str = id_field()
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", max_length=40)
    event_id: str = Field(foreign_key="webhook_events.id", max_length=40, index=True)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    # Due time while pending; null once delivered or failed, so the claim index stays small.
    next_attempt_at: datetime | None = instant_field()
    # A worker's claim: nobody else takes the delivery before `locked_until`.
    locked_until: datetime | None = instant_field()
    lease: str | None = Field(default=None, max_length=40)
    last_attempt_at: datetime | None = instant_field()
    last_response_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = instant_field()
    created_at: datetime = created_at_field()


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery, as the partner's engineer needs it to debug."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_delivery_id_attempted_at", "delivery_id", "attempted_at"),
    )

    id: str = id_field()
    delivery_id: str = Field(foreign_key="webhook_deliveries.id", max_length=40)
    number: int
    attempted_at: datetime = created_at_field()
    duration_ms: int
    response_status: int | None = None
    response_body: str | None = Field(default=None, max_length=1024)
    error: str | None = Field(default=None, max_length=500)


class CoupleSignalState(SQLModel, table=True):
    """The signal codes last seen for a couple, so only newly raised ones become events."""

    __tablename__ = "webhook_couple_signals"

    couple_id: str = Field(primary_key=True, foreign_key="couples.id", max_length=40)
    codes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = created_at_field()
