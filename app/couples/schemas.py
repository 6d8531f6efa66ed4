from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt

from app.core.schemas import StrictInput, Timestamp

MIN_INVITE_TTL = 3600
MAX_INVITE_TTL = 14 * 24 * 3600
DEFAULT_INVITE_TTL = 72 * 3600

InviteStatus = Literal["pending", "accepted", "revoked", "expired"]
CoupleStatus = Literal["active", "dissolved"]
MemberRef = Annotated[str, Field(min_length=1, max_length=64)]


class InviteCreate(StrictInput):
    inviter_id: MemberRef | None = Field(
        default=None, description="Required with a secret key; implied for a member token."
    )
    ttl_seconds: Annotated[StrictInt, Field(ge=MIN_INVITE_TTL, le=MAX_INVITE_TTL)] = Field(
        default=DEFAULT_INVITE_TTL,
        description="How long the code stays valid: 1 hour to 14 days; default 72 hours.",
    )


class InviteAccept(StrictInput):
    member_id: MemberRef | None = Field(
        default=None, description="Required with a secret key; implied for a member token."
    )


class InvitePublic(BaseModel):
    id: str = Field(examples=["inv_c4mq5zq3a2v6yq7w2xkq3d5hbe"])
    code: str = Field(
        examples=["K7QM-4XPT"], description="Shown as XXXX-XXXX; any case, dash optional."
    )
    inviter_id: str
    inviter_display_name: str
    status: InviteStatus
    expires_at: Timestamp
    created_at: Timestamp
    accepted_at: Timestamp | None
    couple_id: str | None
    livemode: bool


class CouplePublic(BaseModel):
    id: str = Field(examples=["cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa"])
    members: list[str] = Field(description="Both members' ids.")
    status: CoupleStatus
    paired_at: Timestamp
    dissolved_at: Timestamp | None
    livemode: bool
