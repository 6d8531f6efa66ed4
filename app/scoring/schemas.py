from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.catalog.schemas import PROMPT_EXAMPLE, PromptPublic

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


ALEX = "mem_n5tqkq3vy4ydq2vbbqm6pnbp3e"
BLAKE = "mem_b7xq2m4pnq6w5tyv2cbsd7oaje"
COUPLE = "cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa"


def _dimension(score: float, direction: str, slope: float, gap: float) -> JsonDict:
    return {"score": score, "direction": direction, "slope_per_week": slope, "gap": gap}


CONNECTION_EXAMPLE: JsonDict = {
    "couple_id": COUPLE,
    "as_of": "2026-11-25",
    "score": 71.4,
    "status": "ok",
    "trend": {
        "direction": "stable",
        "slope_per_week": 0.8,
        "confidence": 0.41,
        "method": "theil_sen+mann_kendall(yue_wang)",
    },
    "dimensions": {
        "openness": _dimension(76.0, "stable", 0.5, 6.3),
        "listening": _dimension(58.0, "stable", -0.4, 21.5),
        "vulnerability": _dimension(70.5, "improving", 2.1, 8.0),
        "support": _dimension(81.0, "stable", 0.2, 4.5),
        "safety": _dimension(84.5, "stable", 0.0, 3.1),
        "appreciation": _dimension(66.0, "stable", 0.9, 10.2),
        "quality_time": _dimension(62.5, "stable", -0.7, 12.5),
    },
    "partners": [
        {
            "member_id": ALEX,
            "score": 74.2,
            "participation": 0.86,
            "check_ins": 24,
            "last_check_in": "2026-11-25",
            "streak_days": 9,
        },
        {
            "member_id": BLAKE,
            "score": 68.6,
            "participation": 0.79,
            "check_ins": 22,
            "last_check_in": "2026-11-25",
            "streak_days": 4,
        },
    ],
    "signals": [
        {
            "code": "perception_gap",
            "severity": "low",
            "detail": "partners see listening 22 points apart (2026-11-06 to 2026-11-25)",
            "evidence": {
                "dimension": "listening",
                "gap": 21.5,
                "standard_error": 4.2,
                "from": "2026-11-06",
                "to": "2026-11-25",
            },
        }
    ],
    "recommendations": [
        {
            "prompt": PROMPT_EXAMPLE,
            "dimension": "listening",
            "reason": "listening is among your lowest lately (58/100)",
        }
    ],
    "data_points": 46,
    "window": {"from": "2026-10-29", "to": "2026-11-25", "days": 28},
    "model_version": "2026-11-25.1",
    "livemode": False,
}


class ConnectionPublic(BaseModel):
    """A self-reflection figure for the couple, not a diagnosis."""

    model_config = ConfigDict(json_schema_extra={"examples": [CONNECTION_EXAMPLE]})

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "couple_id": COUPLE,
                    "granularity": "week",
                    "from": "2026-11-02",
                    "to": "2026-11-22",
                    "points": [
                        {"period": "2026-11-02", "score": 66.1, "smoothed": 67.0, "check_ins": 11},
                        {"period": "2026-11-09", "score": 70.3, "smoothed": 68.4, "check_ins": 13},
                        {"period": "2026-11-16", "score": 72.8, "smoothed": 70.2, "check_ins": 12},
                    ],
                    "model_version": "2026-11-25.1",
                    "livemode": False,
                }
            ]
        }
    )

    couple_id: str
    granularity: Literal["day", "week"]
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    points: list[SeriesPointPublic]
    model_version: str
    livemode: bool
