from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Index, LargeBinary, UniqueConstraint

from app.core.base import SQLModel, created_at_field, id_field


class CheckIn(SQLModel, table=True):
    """One member's ratings for one local date. Ratings are columns (not a JSON blob) so
    the score can read a couple's window with one indexed query and aggregate in SQL."""

    __tablename__ = "check_ins"
    __table_args__ = (
        UniqueConstraint("member_id", "local_date"),
        Index("ix_check_ins_couple_id_local_date", "couple_id", "local_date"),
    )

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    couple_id: str = Field(foreign_key="couples.id", max_length=40)
    member_id: str = Field(foreign_key="members.id", max_length=40)
    local_date: date
    openness: int | None = None
    listening: int | None = None
    vulnerability: int | None = None
    support: int | None = None
    safety: int | None = None
    appreciation: int | None = None
    quality_time: int | None = None
    conflict_repair: int | None = None
    closeness: int | None = None
    moments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # AES-GCM under the author's data key; NULL when there is no note.
    note_ciphertext: bytes | None = Field(default=None, sa_type=LargeBinary)
    note_visibility: str = Field(default="private", max_length=16)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
