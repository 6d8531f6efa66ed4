from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"inviter_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e", "ttl_seconds": 259200}]
        }
    )


class InviteAccept(StrictInput):
    member_id: MemberRef | None = Field(
        default=None, description="Required with a secret key; implied for a member token."
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"member_id": "mem_b7xq2m4pnq6w5tyv2cbsd7oaje"}]}
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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "inv_c4mq5zq3a2v6yq7w2xkq3d5hbe",
                    "code": "K7QM-4XPT",
                    "inviter_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                    "inviter_display_name": "Alex",
                    "status": "pending",
                    "expires_at": "2026-11-28T17:30:00Z",
                    "created_at": "2026-11-25T17:30:00Z",
                    "accepted_at": None,
                    "couple_id": None,
                    "livemode": False,
                }
            ]
        }
    )


class CouplePublic(BaseModel):
    id: str = Field(examples=["cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa"])
    members: list[str] = Field(description="Both members' ids.")
    status: CoupleStatus
    paired_at: Timestamp
    dissolved_at: Timestamp | None
    livemode: bool

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa",
                    "members": ["mem_n5tqkq3vy4ydq2vbbqm6pnbp3e", "mem_b7xq2m4pnq6w5tyv2cbsd7oaje"],
                    "status": "active",
                    "paired_at": "2026-11-25T17:42:00Z",
                    "dissolved_at": None,
                    "livemode": False,
                }
            ]
        }
    )
