from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic.config import JsonDict

from app.core.schemas import DisplayName, ExternalId, Locale, StrictInput, Timestamp, TimeZoneName

DayStartHour = Annotated[StrictInt, Field(ge=0, le=6)]


MEMBER_EXAMPLE: JsonDict = {
    "id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
    "external_id": "user-42",
    "display_name": "Alex",
    "timezone": "Europe/Paris",
    "day_starts_at_hour": 4,
    "locale": "en",
    "livemode": False,
    "created_at": "2026-11-20T09:12:00Z",
    "updated_at": "2026-11-20T09:12:00Z",
}


class MemberCreate(StrictInput):
    external_id: ExternalId = Field(description="Your own user id; unique in the tenant and mode.")
    display_name: DisplayName = Field(description="Shown to the partner, e.g. on an invite.")
    timezone: TimeZoneName = "UTC"
    day_starts_at_hour: DayStartHour = Field(
        default=4,
        description="Hour (0–6) at which the member's day turns: at 4, a 1 am check-in "
        "counts for the day before.",
    )
    locale: Locale = "en"

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "external_id": "user-42",
                    "display_name": "Alex",
                    "timezone": "Europe/Paris",
                    "day_starts_at_hour": 4,
                    "locale": "en",
                }
            ]
        }
    )


class MemberUpdate(StrictInput):
    display_name: DisplayName | None = None
    timezone: TimeZoneName | None = None
    day_starts_at_hour: DayStartHour | None = None
    locale: Locale | None = None

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"display_name": "Alex M.", "timezone": "America/Chicago"}]}
    )


class MemberPublic(BaseModel):
    id: str = Field(examples=["mem_n5tqkq3vy4ydq2vbbqm6pnbp3e"])
    external_id: str
    display_name: str
    timezone: str
    day_starts_at_hour: int
    locale: str
    livemode: bool
    created_at: Timestamp
    updated_at: Timestamp

    model_config = ConfigDict(json_schema_extra={"examples": [MEMBER_EXAMPLE]})


class MemberTokenCreate(StrictInput):
    ttl_seconds: Annotated[StrictInt, Field(ge=60, le=86400)] | None = Field(
        default=None, description="Lifetime in seconds (60 to 86,400); default 3,600."
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"ttl_seconds": 3600}]})


class MemberToken(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    member_id: str
    expires_at: Timestamp

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtZW1fbjV0cWtx"
                    "M3Z5NHlkcTJ2YmJxbTZwbmJwM2UifQ.c2lnbmF0dXJl",
                    "token_type": "Bearer",
                    "member_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                    "expires_at": "2026-11-25T18:30:00Z",
                }
            ]
        }
    )


class MemberExport(BaseModel):
    """Everything held about a member. Each domain adds its own section as data arrives."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "exported_at": "2026-11-25T17:30:00Z",
                    "member": MEMBER_EXAMPLE,
                    "couples": [],
                    "invites": [],
                    "check_ins": [],
                    "answers": [],
                }
            ]
        },
    )

    exported_at: Timestamp
    member: MemberPublic
