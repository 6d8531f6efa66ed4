from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.catalog.vocabulary import CORE_DIMENSIONS
from app.core.schemas import StrictInput, Timestamp

MIN_CORE_RATINGS = 4
Rating = Annotated[StrictInt, Field(ge=1, le=5)]
NoteVisibility = Literal["private", "shared"]
NoteText = Annotated[str, StringConstraints(max_length=2000)]


class Moment(StrEnum):
    deep_conversation = "deep_conversation"
    quality_time = "quality_time"
    expressed_appreciation = "expressed_appreciation"
    felt_heard = "felt_heard"
    felt_supported = "felt_supported"
    conflict_resolved = "conflict_resolved"
    conflict_unresolved = "conflict_unresolved"
    felt_distant = "felt_distant"
    avoided_topic = "avoided_topic"
    held_back_feelings = "held_back_feelings"


def _distinct_moments(values: list[Moment]) -> list[Moment]:
    if len(set(values)) != len(values):
        raise ValueError("moments must not repeat")
    return values


Moments = Annotated[list[Moment], Field(max_length=len(Moment)), AfterValidator(_distinct_moments)]


class Ratings(StrictInput):
    """Each dimension 1–5; at least four of the seven core ones. `conflict_repair` only when
    there was a disagreement: how respectfully it was handled."""

    openness: Rating | None = None
    listening: Rating | None = None
    vulnerability: Rating | None = None
    support: Rating | None = None
    safety: Rating | None = None
    appreciation: Rating | None = None
    quality_time: Rating | None = None
    conflict_repair: Rating | None = None

    @model_validator(mode="after")
    def _enough_core(self) -> "Ratings":
        present = sum(getattr(self, d.value) is not None for d in CORE_DIMENSIONS)
        if present < MIN_CORE_RATINGS:
            raise ValueError(f"rate at least {MIN_CORE_RATINGS} of the seven core dimensions")
        return self


class CheckInFields(StrictInput):
    ratings: Ratings
    closeness: Annotated[StrictInt, Field(ge=1, le=7)] | None = Field(
        default=None, description="How close the member felt: 1 far apart … 7 completely close."
    )
    moments: Moments = Field(default_factory=list)
    note: NoteText | None = None
    note_visibility: NoteVisibility = "private"


class CheckInCreate(CheckInFields):
    member_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="Required with a secret key; implied for a member token."
    )
    local_date: date | None = Field(
        default=None,
        description="The member's day; default today in its time zone and day start.",
    )

    @field_validator("local_date", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise ValueError("give the date as text, YYYY-MM-DD")
        return value

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                    "ratings": {
                        "openness": 4,
                        "listening": 3,
                        "vulnerability": 4,
                        "support": 5,
                        "safety": 5,
                    },
                    "closeness": 6,
                    "moments": ["felt_heard"],
                    "note": "Long walk, good talk.",
                    "note_visibility": "private",
                }
            ]
        }
    )


class CheckInReplace(CheckInFields):
    """Everything but the member and the date, which never change."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ratings": {"openness": 4, "listening": 4, "support": 4, "quality_time": 3},
                    "closeness": 5,
                    "moments": ["quality_time"],
                    "note": "Cooked together.",
                    "note_visibility": "shared",
                }
            ]
        }
    )


class RatingsPublic(BaseModel):
    openness: int | None
    listening: int | None
    vulnerability: int | None
    support: int | None
    safety: int | None
    appreciation: int | None
    quality_time: int | None
    conflict_repair: int | None


class CheckInPublic(BaseModel):
    id: str = Field(examples=["chk_q3m7x2c5ztk4p6vb2wyn5d7hle"])
    couple_id: str
    member_id: str
    local_date: date
    revealed: bool = Field(
        description="False when a member token sees its partner's check-in for a date it has "
        "not checked in for itself: then only that the partner checked in is shown."
    )
    ratings: RatingsPublic | None
    closeness: int | None
    moments: list[Moment] | None
    note: str | None = Field(description="Only where the caller may read it.")
    note_visibility: NoteVisibility | None
    livemode: bool
    created_at: Timestamp
    updated_at: Timestamp

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "chk_q3m7x2c5ztk4p6vb2wyn5d7hle",
                    "couple_id": "cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa",
                    "member_id": "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e",
                    "local_date": "2026-11-25",
                    "revealed": True,
                    "ratings": {
                        "openness": 4,
                        "listening": 3,
                        "vulnerability": 4,
                        "support": 5,
                        "safety": 5,
                        "appreciation": None,
                        "quality_time": None,
                        "conflict_repair": None,
                    },
                    "closeness": 6,
                    "moments": ["felt_heard"],
                    "note": "Long walk, good talk.",
                    "note_visibility": "private",
                    "livemode": False,
                    "created_at": "2026-11-25T17:30:00Z",
                    "updated_at": "2026-11-25T17:30:00Z",
                }
            ]
        }
    )
