"""The connection model: pure functions over plain rows (no database, no HTTP).

Every constant here is documented, with its reason, in docs/scoring.md; the simulation in
tests/scoring measures how well the whole holds up against couples with a known truth.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean as mean  # floats throughout: exact Fractions cost 10×
from typing import Any, Literal

from app.scoring import stats

MODEL_VERSION = "2026-11-25.1"

CORE_DIMENSIONS = (
    "openness",
    "listening",
    "vulnerability",
    "support",
    "safety",
    "appreciation",
    "quality_time",
)
DIMENSIONS = (*CORE_DIMENSIONS, "conflict_repair")

HALF_LIFE_DAYS = 7.0  # a check-in a week old weighs half as much as today's
STALE_AFTER_DAYS = 28  # newest check-in older than this: the score is `stale`
TREND_WINDOW_DAYS = 42  # the trend looks back at least six weeks, whatever the window
MIN_TREND_DAYS = 8  # days with data needed before any trend is reported...
MIN_TREND_SPAN_DAYS = 21  # ...spread over at least three weeks
SIGNIFICANCE = 0.05  # Mann–Kendall two-sided p-value below which a trend is real
MIN_CHANGE_POINTS = 10.0  # and the fitted change over the trend window must be at least this
RECENT_DAYS = 14  # what "lately" means for moments and closeness signals
GAP_POINTS = 20.0  # partners this far apart on a dimension on average...
GAP_MIN_SPAN_DAYS = 14  # ...for two weeks or more raise `perception_gap`
GAP_MIN_RATINGS = 4  # each partner's ratings needed before a gap is reported
GAP_MIN_LOWER_BOUND = 4.0  # points: the gap minus two standard errors must reach this
CARRY_OVER_INFLATION = 3**0.5  # standard error × √((1+ρ)/(1−ρ)) for day-to-day ρ ≈ 0.5
SILENCE_DAYS = 7  # a regular partner silent this long raises `participation_drop`
REGULAR_MIN_CHECK_INS = 6  # "regular": this many check-ins in the window before silence
LOW_DIMENSION_POINTS = 40.0  # a dimension this low supports the warning signals
LOW_CLOSENESS = 3.0  # mean closeness (1–7) at or below this: feeling distant
MOMENT_COUNT = 2  # a warning moment reported this often lately raises its signal
LOW_CONFLICT_REPAIR = 2.0  # mean conflict_repair (1–5) at or below this

Direction = Literal["improving", "stable", "declining", "insufficient_data"]
Status = Literal["ok", "forming", "stale", "insufficient_data"]
Severity = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class CheckInRow:
    member_id: str
    local_date: date
    ratings: Mapping[str, int | None]
    closeness: int | None = None
    moments: tuple[str, ...] = ()


def to_points(rating: float) -> float:
    """A 1–5 rating on the 0–100 scale: 1 → 0, 3 → 50, 5 → 100."""
    return (rating - 1.0) * 25.0


def check_in_score(row: CheckInRow) -> float | None:
    """The mean of the core ratings present, in points."""
    values = [v for d in CORE_DIMENSIONS if (v := row.ratings.get(d)) is not None]
    return to_points(float(mean(values))) if values else None


def in_window(rows: Iterable[CheckInRow], as_of: date, window_days: int) -> list[CheckInRow]:
    start = as_of - timedelta(days=window_days - 1)
    return sorted(
        (r for r in rows if start <= r.local_date <= as_of),
        key=lambda r: (r.local_date, r.member_id),
    )


def daily(rows: Sequence[CheckInRow], value: Any = check_in_score) -> dict[date, float]:
    """A day's couple value: the mean of the partners who reported it that day."""
    by_day: dict[date, list[float]] = defaultdict(list)
    for row in rows:
        v = value(row)
        if v is not None:
            by_day[row.local_date].append(v)
    return {d: mean(vs) for d, vs in sorted(by_day.items())}


def weighted(points: Mapping[date, float], as_of: date) -> float | None:
    """Exponentially weighted mean: weight 0.5^(age / half-life); missing days are gaps."""
    if not points:
        return None
    weights: dict[date, float] = {d: 0.5 ** ((as_of - d).days / HALF_LIFE_DAYS) for d in points}
    total = sum(weights.values())
    return float(sum(points[d] * w for d, w in weights.items()) / total)


@dataclass(frozen=True)
class Trend:
    direction: Direction
    slope_per_week: float | None
    confidence: float | None
    p_value: float | None
    days: int
    method: str = "theil_sen+mann_kendall(yue_wang)"


def trend(points: Mapping[date, float]) -> Trend:
    days = sorted(points)
    if len(days) < MIN_TREND_DAYS or (days[-1] - days[0]).days < MIN_TREND_SPAN_DAYS - 1:
        return Trend("insufficient_data", None, None, None, len(days))
    origin = days[0]
    xs = [float((d - origin).days) for d in days]
    ys = [points[d] for d in days]
    slope = stats.theil_sen(xs, ys)
    test = stats.mann_kendall(xs, stats.clip_outliers(xs, ys, slope), slope)
    change = slope * (xs[-1] - xs[0])
    direction: Direction = "stable"
    if test.p_value < SIGNIFICANCE and abs(change) >= MIN_CHANGE_POINTS:
        direction = "improving" if slope > 0 else "declining"
    return Trend(
        direction, round(slope * 7, 2), round(1 - test.p_value, 3), test.p_value, len(days)
    )


@dataclass(frozen=True)
class DimensionDetail:
    score: float | None
    direction: Direction
    slope_per_week: float | None
    gap: float | None
    days: int


def _rating_of(dimension: str) -> Any:
    def value(row: CheckInRow) -> float | None:
        r = row.ratings.get(dimension)
        return None if r is None else to_points(r)

    return value


@dataclass(frozen=True)
class Gap:
    points: float  # |mean of one partner's ratings − mean of the other's|, in points
    standard_error: float
    first: date
    last: date


def partner_gap(rows: Sequence[CheckInRow], dimension: str) -> Gap | None:
    """How far apart the partners see a dimension: the difference between their means over
    the period (day-to-day noise averages out; a steady difference in view does not), with
    its standard error, inflated by CARRY_OVER_INFLATION for serially correlated ratings.
    None until each partner has rated it GAP_MIN_RATINGS times."""
    by_member: dict[str, list[float]] = defaultdict(list)
    seen: list[date] = []
    for row in rows:
        r = row.ratings.get(dimension)
        if r is not None:
            by_member[row.member_id].append(to_points(r))
            seen.append(row.local_date)
    if len(by_member) != 2 or min(len(v) for v in by_member.values()) < GAP_MIN_RATINGS:
        return None
    first, second = by_member.values()
    variance = sum(_pvariance(v) / len(v) for v in (first, second))
    return Gap(
        points=abs(mean(first) - mean(second)),
        standard_error=CARRY_OVER_INFLATION * variance**0.5,
        first=min(seen),
        last=max(seen),
    )


def dimension_detail(
    rows: Sequence[CheckInRow], trend_rows: Sequence[CheckInRow], as_of: date
) -> dict[str, DimensionDetail]:
    detail: dict[str, DimensionDetail] = {}
    for dimension in DIMENSIONS:
        points = daily(rows, _rating_of(dimension))
        t = trend(daily(trend_rows, _rating_of(dimension)))
        gap = partner_gap(rows, dimension)
        score = weighted(points, as_of)
        detail[dimension] = DimensionDetail(
            score=None if score is None else round(score, 1),
            direction=t.direction,
            slope_per_week=t.slope_per_week,
            gap=None if gap is None else round(gap.points, 1),
            days=len(points),
        )
    return detail


@dataclass(frozen=True)
class PartnerDetail:
    member_id: str
    score: float | None
    participation: float
    check_ins: int
    last_check_in: date | None
    streak_days: int


def streak(days: set[date], as_of: date) -> int:
    """Consecutive days with a check-in, ending today or yesterday (today may still come)."""
    day = as_of if as_of in days else as_of - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def partner_detail(
    rows: Sequence[CheckInRow],
    member_ids: Sequence[str],
    as_of: date,
    window_days: int,
    streak_rows: Sequence[CheckInRow] = (),
) -> list[PartnerDetail]:
    """Per partner; streaks count within `streak_rows` (the trend window: at least six
    weeks), so reading them never reaches into a couple's whole history."""
    out = []
    for member_id in member_ids:
        own = [r for r in rows if r.member_id == member_id]
        own_days = {r.local_date for r in own}
        score = weighted(daily(own), as_of)
        out.append(
            PartnerDetail(
                member_id=member_id,
                score=None if score is None else round(score, 1),
                participation=round(len(own_days) / window_days, 3),
                check_ins=len(own),
                last_check_in=max(own_days, default=None),
                streak_days=streak(
                    {r.local_date for r in streak_rows if r.member_id == member_id} | own_days,
                    as_of,
                ),
            )
        )
    return out


@dataclass(frozen=True)
class Signal:
    code: str
    severity: Severity
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _recent(rows: Sequence[CheckInRow], as_of: date) -> list[CheckInRow]:
    return [r for r in rows if (as_of - r.local_date).days < RECENT_DAYS]


def _moment_dates(rows: Sequence[CheckInRow], moment: str) -> list[str]:
    """The days a moment was reported (by either partner: a day counts once)."""
    return sorted({r.local_date.isoformat() for r in rows if moment in r.moments})


def _low(detail: Mapping[str, DimensionDetail], *dimensions: str) -> dict[str, float]:
    return {
        d: s for d in dimensions if (s := detail[d].score) is not None and s < LOW_DIMENSION_POINTS
    }


def _severity(strength: int) -> Severity:
    return "high" if strength >= 3 else "medium" if strength == 2 else "low"


def signals(
    rows: Sequence[CheckInRow],
    trend_rows: Sequence[CheckInRow],
    member_ids: Sequence[str],
    as_of: date,
    overall: Trend,
    detail: Mapping[str, DimensionDetail],
) -> list[Signal]:
    """The article's warning signs, and what else the data shows, each with its evidence."""
    found: list[Signal] = []
    recent = _recent(rows, as_of)

    distant_dates = _moment_dates(recent, "felt_distant")
    closeness = [r.closeness for r in recent if r.closeness is not None]
    # On the 0–100 scale (1 → 0, 7 → 100), so the trend's thresholds mean the same thing.
    closeness_points = daily(
        rows, lambda r: None if r.closeness is None else (r.closeness - 1) * 100 / 6
    )
    closeness_trend = trend(closeness_points)
    reasons = []
    evidence: dict[str, Any] = {}
    if closeness and mean(closeness) <= LOW_CLOSENESS:
        reasons.append(
            f"closeness averaged {mean(closeness):.1f} of 7 over the last {RECENT_DAYS} days"
        )
        evidence["mean_closeness"] = round(mean(closeness), 2)
    if closeness_trend.direction == "declining":
        reasons.append(f"closeness is falling ({closeness_trend.slope_per_week} per week)")
        evidence["closeness_slope_per_week"] = closeness_trend.slope_per_week
    if len(distant_dates) >= MOMENT_COUNT:
        reasons.append(f"'felt distant' was reported {len(distant_dates)} times lately")
        evidence["felt_distant_dates"] = distant_dates
    if reasons:
        found.append(
            Signal("feeling_distant", _severity(len(reasons)), "; ".join(reasons), evidence)
        )

    for code, moment, dims, words in (
        (
            "avoiding_difficult_conversations",
            "avoided_topic",
            ("openness", "safety"),
            "avoided a topic",
        ),
        (
            "struggling_to_share",
            "held_back_feelings",
            ("vulnerability", "openness"),
            "held back feelings",
        ),
    ):
        dates_ = _moment_dates(recent, moment)
        low = _low(detail, *dims)
        if len(dates_) >= MOMENT_COUNT or low:
            parts = []
            if len(dates_) >= MOMENT_COUNT:
                parts.append(f"partners {words} {len(dates_)} times lately")
            parts += [f"{d} is low ({s:.0f}/100)" for d, s in low.items()]
            found.append(
                Signal(
                    code,
                    _severity(len(parts)),
                    "; ".join(parts),
                    {
                        f"{moment}_dates": dates_,
                        "low_dimensions": {d: round(s, 1) for d, s in low.items()},
                    },
                )
            )

    for dimension in DIMENSIONS:
        gap = partner_gap(trend_rows, dimension)
        if (
            gap is not None
            and gap.points >= GAP_POINTS
            # and clearly not noise: two standard errors below it is still a gap
            and gap.points - 2 * gap.standard_error >= GAP_MIN_LOWER_BOUND
            and (gap.last - gap.first).days >= GAP_MIN_SPAN_DAYS - 1
        ):
            found.append(
                Signal(
                    "perception_gap",
                    "high"
                    if gap.points >= 2 * GAP_POINTS
                    else "medium"
                    if gap.points >= 1.5 * GAP_POINTS
                    else "low",
                    f"partners see {dimension.replace('_', ' ')} {gap.points:.0f} points apart "
                    f"({gap.first} to {gap.last})",
                    {
                        "dimension": dimension,
                        "gap": round(gap.points, 1),
                        "standard_error": round(gap.standard_error, 1),
                        "from": gap.first.isoformat(),
                        "to": gap.last.isoformat(),
                    },
                )
            )

    for member_id in member_ids:
        own = sorted({r.local_date for r in rows if r.member_id == member_id})
        if len(own) >= REGULAR_MIN_CHECK_INS and (as_of - own[-1]).days >= SILENCE_DAYS:
            silent = (as_of - own[-1]).days
            found.append(
                Signal(
                    "participation_drop",
                    "high" if silent >= 2 * SILENCE_DAYS else "medium",
                    f"a partner who checked in {len(own)} times has been silent for {silent} days",
                    {
                        "member_id": member_id,
                        "last_check_in": own[-1].isoformat(),
                        "silent_days": silent,
                        "check_ins_before": len(own),
                    },
                )
            )

    if overall.direction == "declining":
        found.append(
            Signal(
                "declining_trend",
                "high" if (overall.slope_per_week or 0) <= -5 else "medium",
                f"the score is falling about {abs(overall.slope_per_week or 0):.1f} points a week",
                {
                    "slope_per_week": overall.slope_per_week,
                    "p_value": round(overall.p_value or 0, 4),
                    "days": overall.days,
                },
            )
        )

    unresolved = _moment_dates(recent, "conflict_unresolved")
    repair = [v for r in recent if (v := r.ratings.get("conflict_repair")) is not None]
    if len(unresolved) >= MOMENT_COUNT or (repair and mean(repair) <= LOW_CONFLICT_REPAIR):
        parts = []
        if len(unresolved) >= MOMENT_COUNT:
            parts.append(f"a conflict was left unresolved {len(unresolved)} times lately")
        if repair and mean(repair) <= LOW_CONFLICT_REPAIR:
            parts.append(f"disagreements were rated {mean(repair):.1f} of 5 for respect")
        found.append(
            Signal(
                "conflict_unresolved",
                _severity(len(parts)),
                "; ".join(parts),
                {
                    "conflict_unresolved_dates": unresolved,
                    "mean_conflict_repair": round(mean(repair), 2) if repair else None,
                },
            )
        )
    return found


def trend_days(window_days: int) -> int:
    """How far back the trend looks: the window, but never less than six weeks."""
    return max(window_days, TREND_WINDOW_DAYS)


@dataclass(frozen=True)
class Connection:
    score: float | None
    status: Status
    trend: Trend
    dimensions: dict[str, DimensionDetail]
    partners: list[PartnerDetail]
    signals: list[Signal]
    data_points: int
    window_start: date
    window_end: date
    model_version: str = MODEL_VERSION


def connection(
    rows: Iterable[CheckInRow],
    member_ids: Sequence[str],
    as_of: date,
    window_days: int,
    newest: date | None = None,
) -> Connection:
    """`newest`: the couple's newest check-in date up to `as_of`, when it may lie before
    the rows given (it tells `stale` from `insufficient_data`)."""
    rows = list(rows)
    window = in_window(rows, as_of, window_days)
    trend_rows = in_window(rows, as_of, trend_days(window_days))
    points = daily(window)
    score = weighted(points, as_of)
    overall = trend(daily(trend_rows))
    detail = dimension_detail(window, trend_rows, as_of)
    newest = max([d for d in (newest, max(points, default=None)) if d is not None], default=None)
    status: Status
    if newest is not None and (as_of - newest).days > STALE_AFTER_DAYS:
        status = "stale"
    elif score is None:
        status = "insufficient_data"
    elif (as_of - max(points)).days > STALE_AFTER_DAYS:
        status = "stale"
    elif overall.direction == "insufficient_data":
        status = "forming"
    else:
        status = "ok"
    return Connection(
        score=None if score is None else round(score, 1),
        status=status,
        trend=overall,
        dimensions=detail,
        partners=partner_detail(window, member_ids, as_of, window_days, trend_rows),
        signals=signals(window, trend_rows, member_ids, as_of, overall, detail)
        if score is not None
        else [],
        data_points=len(window),
        window_start=as_of - timedelta(days=window_days - 1),
        window_end=as_of,
    )


def weakest_dimensions(result: Connection, count: int = 3) -> list[tuple[str, str]]:
    """The dimensions to work on, weakest (and falling) first, each with its reason."""
    ranked = []
    for dimension in CORE_DIMENSIONS:
        d = result.dimensions[dimension]
        if d.score is None:
            continue
        urgency = (100 - d.score) + (15 if d.direction == "declining" else 0)
        if d.direction == "declining":
            reason = (
                f"{dimension.replace('_', ' ')} has been falling ({d.slope_per_week} points a week)"
            )
        else:
            reason = (
                f"{dimension.replace('_', ' ')} is among your lowest lately ({d.score:.0f}/100)"
            )
        ranked.append((urgency, dimension, reason))
    ranked.sort(key=lambda t: (-t[0], t[1]))
    return [(dimension, reason) for _, dimension, reason in ranked[:count]]


def dimension_weights(result: Connection) -> dict[str, float]:
    """How strongly to favor each dimension when choosing a prompt: 1 at 100 points, 5 at 0."""
    return {
        dimension: 1.0 + (100.0 - d.score) / 25.0
        for dimension, d in result.dimensions.items()
        if d.score is not None
    }


@dataclass(frozen=True)
class SeriesPoint:
    period: date
    score: float | None
    smoothed: float | None
    check_ins: int


def series(
    rows: Iterable[CheckInRow], start: date, end: date, granularity: Literal["day", "week"]
) -> list[SeriesPoint]:
    """Points for charts: each period's mean day score, and the weighted score as of its end."""
    ordered = sorted((r for r in rows if start <= r.local_date <= end), key=lambda r: r.local_date)
    points = daily(ordered)
    counts: dict[date, int] = defaultdict(int)
    for row in ordered:
        counts[row.local_date] += 1
    step = timedelta(days=1 if granularity == "day" else 7)
    period = start if granularity == "day" else start - timedelta(days=start.weekday())
    out = []
    while period <= end:
        period_end = min(period + step - timedelta(days=1), end)
        inside = [v for d, v in points.items() if period <= d <= period_end]
        history = {d: v for d, v in points.items() if d <= period_end}
        smoothed = weighted(history, period_end)
        out.append(
            SeriesPoint(
                period=period,
                score=round(mean(inside), 1) if inside else None,
                smoothed=None if smoothed is None else round(smoothed, 1),
                check_ins=sum(c for d, c in counts.items() if period <= d <= period_end),
            )
        )
        period += step
    return out


def _pvariance(values: Sequence[float]) -> float:
    centre = mean(values)
    return mean([(v - centre) ** 2 for v in values])
