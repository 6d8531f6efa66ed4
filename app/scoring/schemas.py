from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.catalog.schemas import PromptPublic

Direction = Literal["improving", "stable", "declining", "insufficient_data"]


class TrendPublic(BaseModel):
    direction: Direction
    slope_per_week: float | None = Field(description="Points per week (Theil–Sen).")
    confidence: float | None = Field(description="1 − the Mann–Kendall p-value.")
    method: str


class DimensionPublic(BaseModel):
    score: float | None
    direction: Direction
    slope_per_week: float | None
    gap: float | None = Field(description="How far apart the partners see it, in points.")


class PartnerPublic(BaseModel):
    member_id: str
    score: float | None
    participation: float = Field(description="Share of the window's days with a check-in.")
    check_ins: int
    last_check_in: date | None
    streak_days: int = Field(description="Consecutive days with a check-in up to today.")


class SignalPublic(BaseModel):
    code: Literal[
        "feeling_distant",
        "avoiding_difficult_conversations",
        "struggling_to_share",
        "perception_gap",
        "participation_drop",
        "declining_trend",
        "conflict_unresolved",
    ]
    severity: Literal["low", "medium", "high"]
    detail: str
    evidence: dict[str, Any]


class RecommendationPublic(BaseModel):
    prompt: PromptPublic
    dimension: str
    reason: str


class WindowPublic(BaseModel):
    start: date = Field(alias="from", serialization_alias="from")
    end: date = Field(alias="to", serialization_alias="to")
    days: int

    model_config = {"populate_by_name": True}


class ConnectionPublic(BaseModel):
    """A self-reflection figure for the couple, not a diagnosis."""

    couple_id: str
    as_of: date
    score: float | None = Field(description="0–100, or null without data.")
    status: Literal["ok", "forming", "stale", "insufficient_data"]
    trend: TrendPublic
    dimensions: dict[str, DimensionPublic]
    partners: list[PartnerPublic]
    signals: list[SignalPublic]
    recommendations: list[RecommendationPublic]
    data_points: int
    window: WindowPublic
    model_version: str
    livemode: bool


class SeriesPointPublic(BaseModel):
    period: date = Field(description="The day, or the Monday that starts the week.")
    score: float | None
    smoothed: float | None = Field(description="The weighted score as of the period's end.")
    check_ins: int


class SeriesPublic(BaseModel):
    couple_id: str
    granularity: Literal["day", "week"]
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    points: list[SeriesPointPublic]
    model_version: str
    livemode: bool
