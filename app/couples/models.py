from datetime import datetime

from sqlmodel import Field, Index

from app.core.base import SQLModel, created_at_field, id_field, instant_field


class Invite(SQLModel, table=True):
    __tablename__ = "invites"
    __table_args__ = (Index("ix_invites_inviter_id_created_at", "inviter_id", "created_at"),)

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    # Stored without the dash, upper case; unique for all time, so a code names one invite.
    code: str = Field(max_length=8, unique=True)
    inviter_id: str = Field(foreign_key="members.id", max_length=40)
    created_at: datetime = created_at_field()
    expires_at: datetime = created_at_field()
    accepted_at: datetime | None = instant_field()
    accepted_by_id: str | None = Field(default=None, max_length=40)
    couple_id: str | None = Field(default=None, max_length=40)
    revoked_at: datetime | None = instant_field()


class Couple(SQLModel, table=True):
    """Two members, paired. Member ids stay after an erasure (the couple stays readable by
    the tenant); `active_pairings` is what says who is paired now."""

    __tablename__ = "couples"
    __table_args__ = (
        Index("ix_couples_tenant_id_livemode_paired_at", "tenant_id", "livemode", "paired_at"),
    )

    id: str = id_field()
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    livemode: bool
    member_a_id: str = Field(max_length=40, index=True)
    member_b_id: str = Field(max_length=40, index=True)
    invite_id: str | None = Field(default=None, max_length=40)
    paired_at: datetime = created_at_field()
    dissolved_at: datetime | None = instant_field()


class ActivePairing(SQLModel, table=True):
    """One row per member in an active couple. The primary key on `member_id` is how the
    database itself guarantees a member is in at most one active couple, on every engine."""

    __tablename__ = "active_pairings"

    member_id: str = Field(primary_key=True, foreign_key="members.id", max_length=40)
    couple_id: str = Field(foreign_key="couples.id", max_length=40, index=True)


class InviteAttempt(SQLModel, table=True):
    """A failed lookup of an invite code (accept or preview), counted to stop guessing."""

    __tablename__ = "invite_attempts"
    __table_args__ = (Index("ix_invite_attempts_subject_failed_at", "subject", "failed_at"),)

    id: str = id_field()
    subject: str = Field(max_length=48)
    failed_at: datetime = created_at_field()
