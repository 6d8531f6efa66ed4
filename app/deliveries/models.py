from datetime import datetime

from sqlmodel import Field, Index, LargeBinary, UniqueConstraint

from app.core.base import SQLModel, created_at_field, id_field, instant_field


class Delivery(SQLModel, table=True):
    """A prompt given to a couple."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_couple_id_delivered_at", "couple_id", "delivered_at"),)

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    couple_id: str = Field(foreign_key="couples.id", max_length=40)
    prompt_id: str = Field(foreign_key="prompts.id", max_length=40)
    delivered_at: datetime = created_at_field()
    revealed_at: datetime | None = instant_field()


class Answer(SQLModel, table=True):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("delivery_id", "member_id"),)

    id: str = id_field()
    delivery_id: str = Field(foreign_key="deliveries.id", max_length=40)
    member_id: str = Field(foreign_key="members.id", max_length=40, index=True)
    # AES-GCM under the author's data key.
    text_ciphertext: bytes = Field(sa_type=LargeBinary)
    answered_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
