from datetime import datetime

from sqlmodel import Field, LargeBinary

from app.core.base import SQLModel, created_at_field


class MemberKey(SQLModel, table=True):
    """A member's data key, wrapped (AES-GCM) by the service's master key. Deleting this row
    is what makes the member's stored text unreadable, in the database and in backups."""

    __tablename__ = "member_keys"

    member_id: str = Field(primary_key=True, foreign_key="members.id", max_length=40)
    wrapped_key: bytes = Field(sa_type=LargeBinary)
    # Which master key wrapped it (a fingerprint, never the key), so rotation can find them.
    master_key_id: str = Field(max_length=16, index=True)
    created_at: datetime = created_at_field()
