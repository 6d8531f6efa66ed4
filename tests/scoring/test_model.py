"""The connection model and its statistics, checked against values worked out by hand.

Every scenario is built without noise, so each expected number below can be recomputed
on paper: a rating r is (r - 1) x 25 points, a day d days old weighs 0.5^(d / 7), and
Mann-Kendall on n strictly ordered points has S = +-n(n - 1)/2 and variance n(n - 1)(2n + 5)/18.
The property tests at the end generate arbitrary couples and check what must always hold."""

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.scoring import model, stats
from app.scoring.model import (
    CORE_DIMENSIONS,
    DIMENSIONS,
    CheckInRow,
    Connection,
    Signal,
    Trend,
    check_in_score,
    connection,
    daily,
    dimension_weights,
    partner_detail,
    series,
    streak,
    to_points,
    trend,
    weakest_dimensions,
    weighted,
)

AS_OF = date(2026, 11, 25)  # a Wednesday
A, B = "mem_a", "mem_b"
MEMBERS = (A, B)


def day(days_ago: int) -> date:
    return AS_OF - timedelta(days=days_ago)


def iso(days_ago: int) -> str:
    return day(days_ago).isoformat()


def row(
    member: str,
    days_ago: int,
    rating: int = 4,
    *,
    closeness: int | None = 6,
    moments: tuple[str, ...] = (),
    **ratings: int | None,
) -> CheckInRow:
    """A check-in rating every core dimension `rating`, except those named in `ratings`."""
    values: dict[str, int | None] = dict.fromkeys(CORE_DIMENSIONS, rating)
    values.update(ratings)
    return CheckInRow(member, day(days_ago), values, closeness, moments)


def calm(days: int = 42, *, closeness: int | None = 6, **ratings: int | None) -> list[CheckInRow]:
    """Both partners, every day for `days` days up to today, always the same answers: 4
    on every core dimension except those named in `ratings`."""
    values = {**dict.fromkeys(CORE_DIMENSIONS, 4), **ratings}
    return [CheckInRow(m, day(n), values, closeness) for n in range(days) for m in MEMBERS]


def amend(
    rows: Iterable[CheckInRow],
    keys: Iterable[tuple[str, int]],
    *,
    moment: str | None = None,
    **ratings: int | None,
) -> list[CheckInRow]:
    """The rows with a moment added and/or ratings changed on the (member, days_ago) given."""
    targets = {(m, day(n)) for m, n in keys}
    out = []
    for r in rows:
        if (r.member_id, r.local_date) in targets:
            moments = r.moments if moment is None else (*r.moments, moment)
            r = replace(r, ratings={**r.ratings, **ratings}, moments=moments)
        out.append(r)
    return out


def run(rows: Iterable[CheckInRow], window_days: int = 28) -> Connection:
    return connection(rows, MEMBERS, AS_OF, window_days)


def codes(result: Connection) -> list[str]:
    return [s.code for s in result.signals]


def only_signal(result: Connection, code: str) -> Signal:
    found = [s for s in result.signals if s.code == code]
    assert len(found) == 1, result.signals
    return found[0]


def decay(days_ago: int) -> float:
    return float(0.5 ** (days_ago / 7))


def line(days: int, start: float, per_day: float) -> dict[date, float]:
    """Day scores on a straight line, oldest first, ending today."""
    return {day(days - 1 - i): start + per_day * i for i in range(days)}


# ---------------------------------------------------------------------------------------
# stats
# ---------------------------------------------------------------------------------------


class TestTheilSen:
    def test_exact_line(self) -> None:
        xs = [0.0, 1.0, 2.0, 3.0, 4.0]
        assert stats.theil_sen(xs, [3 - 0.5 * x for x in xs]) == -0.5
        assert stats.theil_sen(xs, [7.0] * 5) == 0.0

    def test_one_outlier_does_not_move_the_slope(self) -> None:
        xs = [float(x) for x in range(10)]
        ys = [2 * x + 1 for x in xs]
        ys[5] = 100.0  # 36 of the 45 pair slopes are still exactly 2
        assert stats.theil_sen(xs, ys) == 2.0

    def test_pairs_with_the_same_x_are_skipped(self) -> None:
        # slopes: (0,0)-(1,2) = 2, (0,5)-(1,2) = -3; the median of the two is -0.5
        assert stats.theil_sen([0.0, 0.0, 1.0], [0.0, 5.0, 2.0]) == -0.5
        assert stats.theil_sen([3.0, 3.0], [1.0, 9.0]) == 0.0


class TestMannKendall:
    XS = [float(x) for x in range(10)]

    def test_strictly_increasing(self) -> None:
        result = stats.mann_kendall(self.XS, self.XS, 1.0)
        n = 10
        assert result.s == n * (n - 1) // 2 == 45
        assert result.variance == n * (n - 1) * (2 * n + 5) / 18 == 125.0
        assert result.correction == 1.0  # residuals from the true slope are all 0
        z = (45 - 1) / math.sqrt(125)
        assert result.z == pytest.approx(z)
        assert result.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
        assert result.p_value < 1e-4

    def test_constant_series(self) -> None:
        result = stats.mann_kendall(self.XS, [3.0] * 10, 0.0)
        assert (result.s, result.variance, result.z, result.p_value) == (0, 0.0, 0.0, 1.0)

    def test_direction_is_symmetric(self) -> None:
        up = stats.mann_kendall(self.XS, self.XS, 1.0)
        down = stats.mann_kendall(self.XS, [-x for x in self.XS], -1.0)
        assert down.s == -up.s
        assert down.z == -up.z
        assert down.p_value == up.p_value

    def test_ties_reduce_the_variance(self) -> None:
        # ys 0,0,1,1,...: S counts only the 40 untied pairs; two-way ties remove 5 x 2·1·9
        ys = [float(x // 2) for x in range(10)]
        result = stats.mann_kendall(self.XS, ys, 0.5)
        assert result.s == 40
        # residuals from slope 0.5 alternate 0, -0.5: negative carry-over counts as none
        assert result.correction == 1.0
        assert result.variance == (10 * 9 * 25 - 5 * 2 * 1 * 9) / 18 == 120.0

    def test_carry_over_inflates_the_variance(self) -> None:
        # Detrended with the wrong slope (0), the residuals are a smooth ramp: strongly
        # autocorrelated, so the effective sample is smaller and the p-value larger.
        corrected = stats.mann_kendall(self.XS, self.XS, 0.0)
        plain = stats.mann_kendall(self.XS, self.XS, 1.0)
        assert corrected.correction > 1.0
        assert corrected.s == plain.s
        assert corrected.p_value > plain.p_value


class TestLag1Autocorrelation:
    def test_white_noise_is_about_zero(self) -> None:
        rng = random.Random(7)
        noise = [rng.gauss(0, 1) for _ in range(200)]
        assert abs(stats.lag1_autocorrelation(list(range(200)), noise)) < 0.15

    def test_smooth_series_is_clearly_positive(self) -> None:
        smooth = [math.sin(i / 8) for i in range(50)]
        assert stats.lag1_autocorrelation(list(range(50)), smooth) > 0.8

    def test_clamped_below_one(self) -> None:
        ramp = [float(i) for i in range(30)]
        assert stats.lag1_autocorrelation(list(range(30)), ramp) == 0.99

    def test_needs_three_consecutive_pairs(self) -> None:
        # every other day: no pair of consecutive days at all
        assert stats.lag1_autocorrelation([0, 2, 4, 6, 8], [1.0, 2.0, 3.0, 4.0, 5.0]) == 0.0
        assert stats.lag1_autocorrelation([0, 1, 2, 3], [1.0, 2.0, 3.0, 4.0]) != 0.0

    def test_constant_residuals(self) -> None:
        assert stats.lag1_autocorrelation(list(range(10)), [5.0] * 10) == 0.0


class TestClipOutliers:
    def test_pulls_a_single_extreme_point_toward_the_line(self) -> None:
        xs = [float(x) for x in range(10)]
        ys = [2 * x + 1 + (1 if i % 2 == 0 else -1) for i, x in enumerate(xs)]
        ys[6] += 50  # 13 + 1 + 50 = 64
        slope = stats.theil_sen(xs, ys)
        assert slope == 2.0
        clipped = stats.clip_outliers(xs, ys, slope)
        # y - 2x: 2,0,2,0,2,0,52,0,2,0 -> intercept (median) 1; residuals ±1 and 51;
        # centre 0, MAD 1, limit 3 x 1.4826: the outlier goes to 1 + 2·6 + 4.4478.
        assert clipped[6] == pytest.approx(1 + 2 * 6 + 3 * 1.4826)
        assert clipped[:6] == ys[:6]
        assert clipped[7:] == ys[7:]

    def test_exact_line_is_left_alone(self) -> None:
        xs = [float(x) for x in range(6)]
        ys = [10.0 - x for x in xs]
        clipped = stats.clip_outliers(xs, ys, -1.0)
        assert clipped == ys
        assert clipped is not ys


# ---------------------------------------------------------------------------------------
# model: building blocks
# ---------------------------------------------------------------------------------------


def test_to_points() -> None:
    assert [to_points(r) for r in (1, 2, 3, 4, 5)] == [0.0, 25.0, 50.0, 75.0, 100.0]


class TestCheckInScore:
    def test_mean_of_core_dimensions_present(self) -> None:
        ratings = {"openness": 5, "listening": 3, "vulnerability": None, "conflict_repair": 1}
        assert check_in_score(CheckInRow(A, AS_OF, ratings)) == 75.0  # mean(5, 3) = 4

    def test_conflict_repair_is_ignored(self) -> None:
        low = row(A, 0, 4, conflict_repair=1)
        high = row(A, 0, 4, conflict_repair=5)
        assert check_in_score(low) == check_in_score(high) == 75.0

    def test_no_core_rating(self) -> None:
        assert check_in_score(CheckInRow(A, AS_OF, {"conflict_repair": 3})) is None
        assert check_in_score(CheckInRow(A, AS_OF, dict.fromkeys(CORE_DIMENSIONS))) is None


def test_daily_averages_partners_per_day() -> None:
    rows = [
        row(A, 0, 5),  # 100
        row(B, 0, 3),  # 50
        row(A, 1, 2),  # 25
        CheckInRow(B, day(2), {"conflict_repair": 4}),  # no core rating: no day
    ]
    assert daily(rows) == {day(1): 25.0, day(0): 75.0}
    assert list(daily(rows)) == [day(1), day(0)]  # oldest first
    closeness = daily([row(A, 0, closeness=2), row(B, 0, closeness=5)], lambda r: r.closeness)
    assert closeness == {day(0): 3.5}


class TestWeighted:
    def test_a_week_old_day_weighs_half(self) -> None:
        # weights 1 and 0.5: (100·1 + 40·0.5) / 1.5 = 80
        assert weighted({AS_OF: 100.0, day(7): 40.0}, AS_OF) == 80.0

    def test_two_weeks_weigh_a_quarter(self) -> None:
        # (0·1 + 100·0.25) / 1.25 = 20
        assert weighted({AS_OF: 0.0, day(14): 100.0}, AS_OF) == 20.0

    def test_missing_days_are_gaps_not_zeros(self) -> None:
        assert weighted({day(3): 60.0}, AS_OF) == pytest.approx(60.0)

    def test_empty(self) -> None:
        assert weighted({}, AS_OF) is None


class TestTrend:
    def test_too_few_days(self) -> None:
        points = {day(n): 50.0 + n for n in range(0, 35, 5)}  # 7 days over 30
        assert trend(points) == Trend("insufficient_data", None, None, None, 7)

    def test_span_too_short(self) -> None:
        points = line(model.MIN_TREND_SPAN_DAYS - 1, 0.0, 5.0)  # 20 days: span 19
        assert trend(points).direction == "insufficient_data"

    def test_minimum_days_and_span_are_enough(self) -> None:
        # 8 days, first to last 20 days apart (three calendar weeks)
        span = model.MIN_TREND_SPAN_DAYS - 1
        offsets = [0, 3, 6, 9, 12, 15, 18, span]
        assert len(offsets) == model.MIN_TREND_DAYS
        result = trend({day(n): 50.0 for n in offsets})
        assert result == Trend("stable", 0.0, 0.0, 1.0, 8)

    def test_clean_rise_over_six_weeks(self) -> None:
        result = trend(line(42, 40.0, 1.0))
        assert result.direction == "improving"
        assert result.slope_per_week == 7.0
        assert result.confidence == 1.0
        assert result.p_value is not None
        assert result.p_value < 1e-10
        assert result.days == 42

    def test_clean_fall_over_six_weeks(self) -> None:
        result = trend(line(42, 90.0, -1.0))
        assert (result.direction, result.slope_per_week, result.days) == ("declining", -7.0, 42)

    def test_flat(self) -> None:
        assert trend(line(42, 60.0, 0.0)) == Trend("stable", 0.0, 0.0, 1.0, 42)

    def test_significant_but_small_change_is_stable(self) -> None:
        # 0.125 a day: 41 x 0.125 = 5.1 points over the six weeks, under MIN_CHANGE_POINTS
        small = trend(line(42, 60.0, 0.125))
        assert small.p_value is not None
        assert small.p_value < model.SIGNIFICANCE
        assert small.direction == "stable"
        # 0.25 a day: 10.25 points, just over
        assert trend(line(42, 60.0, 0.25)).direction == "improving"

    def test_one_bad_day_does_not_turn_it(self) -> None:
        points = line(42, 40.0, 1.0)
        points[day(20)] = -100.0
        result = trend(points)
        assert (result.direction, result.slope_per_week) == ("improving", 7.0)


def test_streak_counts_back_from_today_or_yesterday() -> None:
    assert streak({day(0), day(1), day(2), day(4)}, AS_OF) == 3
    assert streak({day(1), day(2), day(3)}, AS_OF) == 3  # today may still come
    assert streak({day(2), day(3)}, AS_OF) == 0
    assert streak(set(), AS_OF) == 0


# ---------------------------------------------------------------------------------------
# model: connection()
# ---------------------------------------------------------------------------------------


class TestStatus:
    def test_no_rows(self) -> None:
        result = run([])
        assert result.score is None
        assert result.status == "insufficient_data"
        assert result.signals == []
        assert result.trend == Trend("insufficient_data", None, None, None, 0)
        assert result.data_points == 0
        assert all(d.score is None and d.days == 0 for d in result.dimensions.values())
        assert [(p.member_id, p.score, p.check_ins) for p in result.partners] == [
            (A, None, 0),
            (B, None, 0),
        ]

    def test_forming_with_a_few_recent_days(self) -> None:
        result = run(calm(3))
        assert (result.score, result.status) == (75.0, "forming")
        assert result.trend.direction == "insufficient_data"

    def test_ok_with_enough_data(self) -> None:
        result = run(calm(42))
        assert (result.score, result.status) == (75.0, "ok")
        assert result.trend == Trend("stable", 0.0, 0.0, 1.0, 42)

    def test_stale_when_the_newest_check_in_is_too_old(self) -> None:
        last = model.STALE_AFTER_DAYS + 1
        rows = [row(m, n) for n in range(last, last + 30) for m in MEMBERS]
        result = run(rows, window_days=90)
        assert (result.score, result.status) == (75.0, "stale")

    def test_not_stale_on_the_last_day(self) -> None:
        last = model.STALE_AFTER_DAYS
        rows = [row(m, n) for n in range(last, last + 30) for m in MEMBERS]
        assert run(rows, window_days=90).status == "ok"


def test_window_and_data_points() -> None:
    rows = [
        row(A, -1),  # tomorrow: not yet
        row(A, 0),
        row(B, 0),
        row(A, 27),  # the first day of a 28-day window
        row(B, 28),  # the day before it
    ]
    result = run(rows)
    assert result.data_points == 3
    assert (result.window_start, result.window_end) == (day(27), AS_OF)
    assert result.dimensions["openness"].days == 2
    assert run(rows, window_days=29).data_points == 4
    assert result.model_version == model.MODEL_VERSION


def test_partner_detail() -> None:
    rows = [
        *(row(A, n, 5) for n in range(7)),
        row(A, 20, 5),
        row(A, 40, 1),  # outside the window
        *(row(B, n, 3) for n in (1, 2, 3, 5)),
    ]
    by_id = {p.member_id: p for p in run(rows).partners}
    a, b = by_id[A], by_id[B]
    assert (a.score, a.participation, a.check_ins) == (100.0, 0.286, 8)  # 8 / 28
    assert (a.last_check_in, a.streak_days) == (AS_OF, 7)
    assert (b.score, b.participation, b.check_ins) == (50.0, 0.143, 4)  # 4 / 28
    assert (b.last_check_in, b.streak_days) == (day(1), 3)  # from yesterday

    nobody = partner_detail([], ["mem_c"], AS_OF, 28)[0]
    assert (nobody.score, nobody.participation, nobody.check_ins) == (None, 0.0, 0)
    assert (nobody.last_check_in, nobody.streak_days) == (None, 0)


def test_dimension_detail_per_dimension() -> None:
    rows = [row(A, n, 4, listening=5, support=None) for n in range(21)]
    rows += [row(B, n, 4, listening=3, support=None, conflict_repair=2) for n in range(21)]
    result = run(rows)
    listening = result.dimensions["listening"]
    assert (listening.score, listening.gap, listening.days) == (75.0, 50.0, 21)
    assert (listening.direction, listening.slope_per_week) == ("stable", 0.0)
    assert result.dimensions["openness"].gap == 0.0
    assert result.dimensions["support"].score is None
    repair = result.dimensions["conflict_repair"]
    assert (repair.score, repair.gap) == (25.0, None)  # only one partner rated it


# ---------------------------------------------------------------------------------------
# signals
# ---------------------------------------------------------------------------------------


class TestSignals:
    def test_calm_steady_couple_raises_nothing(self) -> None:
        result = run(calm(42))
        assert result.signals == []
        assert all(d.gap == 0.0 for d in result.dimensions.values() if d.score is not None)

    def test_feeling_distant_from_low_closeness(self) -> None:
        result = run(calm(42, closeness=3))
        assert result.signals == [
            Signal(
                "feeling_distant",
                "low",
                "closeness averaged 3.0 of 7 over the last 14 days",
                {"mean_closeness": 3.0},
            )
        ]
        assert run(calm(42, closeness=4)).signals == []

    def test_only_recent_closeness_counts(self) -> None:
        rows = [r if r.local_date > day(14) else replace(r, closeness=1) for r in calm(42)]
        assert "feeling_distant" not in codes(run(rows))

    def test_feeling_distant_from_moments(self) -> None:
        rows = amend(calm(42), [(A, 5), (B, 2)], moment="felt_distant")
        assert run(rows).signals == [
            Signal(
                "feeling_distant",
                "low",
                "'felt distant' was reported 2 times lately",
                {"felt_distant_dates": [iso(5), iso(2)]},
            )
        ]

    def test_moments_older_than_two_weeks_do_not_count(self) -> None:
        assert run(amend(calm(42), [(A, 14), (B, 2)], moment="felt_distant")).signals == []
        assert codes(run(amend(calm(42), [(A, 13), (B, 2)], moment="felt_distant"))) == [
            "feeling_distant"
        ]

    def test_feeling_distant_with_two_reasons_is_medium(self) -> None:
        rows = amend(calm(42, closeness=2), [(A, 1), (A, 3)], moment="felt_distant")
        signal = only_signal(run(rows), "feeling_distant")
        assert signal.severity == "medium"
        assert signal.evidence == {
            "mean_closeness": 2.0,
            "felt_distant_dates": [iso(3), iso(1)],
        }

    def test_avoiding_difficult_conversations_from_moments(self) -> None:
        rows = amend(calm(42), [(A, 6), (B, 3)], moment="avoided_topic")
        assert run(rows).signals == [
            Signal(
                "avoiding_difficult_conversations",
                "low",
                "partners avoided a topic 2 times lately",
                {"avoided_topic_dates": [iso(6), iso(3)], "low_dimensions": {}},
            )
        ]

    def test_a_moment_both_report_the_same_day_counts_once(self) -> None:
        rows = amend(calm(42), [(A, 6), (B, 6)], moment="avoided_topic")
        assert run(rows).signals == []

    def test_struggling_to_share_from_moments(self) -> None:
        rows = amend(calm(42), [(B, 0), (B, 9)], moment="held_back_feelings")
        assert run(rows).signals == [
            Signal(
                "struggling_to_share",
                "low",
                "partners held back feelings 2 times lately",
                {"held_back_feelings_dates": [iso(9), iso(0)], "low_dimensions": {}},
            )
        ]

    def test_low_openness_supports_both_sharing_signals(self) -> None:
        rows = amend(calm(42, openness=2), [(A, 1), (B, 4)], moment="avoided_topic")
        result = run(rows)
        assert codes(result) == ["avoiding_difficult_conversations", "struggling_to_share"]
        avoiding = only_signal(result, "avoiding_difficult_conversations")
        assert avoiding.severity == "medium"
        assert avoiding.detail == (
            "partners avoided a topic 2 times lately; openness is low (25/100)"
        )
        assert avoiding.evidence == {
            "avoided_topic_dates": [iso(4), iso(1)],
            "low_dimensions": {"openness": 25.0},
        }
        sharing = only_signal(result, "struggling_to_share")
        assert (sharing.severity, sharing.detail) == ("low", "openness is low (25/100)")

    @pytest.mark.parametrize(
        ("b_rating", "gap", "standard_error", "severity"),
        # A's quality time is always 100. B's: always 75; or 50 on the 11 even days and 75
        # on the 10 odd ones (mean 61.9, population variance 625·11·10/21²); or always 50.
        # The standard error is √3 · √(var_A/21 + var_B/21).
        [
            ((4,), 25.0, 0.0, "low"),
            ((3, 4), 38.1, math.sqrt(3) * 25 * math.sqrt(110 / 21**3), "medium"),
            ((3,), 50.0, 0.0, "high"),
        ],
    )
    def test_perception_gap_over_three_weeks(
        self,
        b_rating: tuple[int, ...],
        gap: float,
        standard_error: float,
        severity: model.Severity,
    ) -> None:
        rows = [row(A, n, quality_time=5) for n in range(21)]
        rows += [row(B, n, quality_time=b_rating[n % len(b_rating)]) for n in range(21)]
        result = run(rows)
        assert result.dimensions["quality_time"].gap == gap
        assert result.signals == [
            Signal(
                "perception_gap",
                severity,
                f"partners see quality time {gap:.0f} points apart ({day(20)} to {day(0)})",
                {
                    "dimension": "quality_time",
                    "gap": gap,
                    "standard_error": round(standard_error, 1),
                    "from": iso(20),
                    "to": iso(0),
                },
            )
        ]

    def test_perception_gap_that_could_be_noise_is_not_raised(self) -> None:
        # A: 100, 100, 100, 0 (mean 75, population variance 1875); B: 50 four times.
        # Gap 25, standard error √3 · √(1875/4) = 37.5: 25 - 2 x 37.5 is far below 4.
        rows = [row(A, n, listening=None) for n in range(21)]
        rows += [row(B, n, listening=None) for n in range(21)]
        rows = amend(rows, [(A, 20), (A, 14), (A, 7)], listening=5)
        rows = amend(rows, [(A, 0)], listening=1)
        rows = amend(rows, [(B, 20), (B, 14), (B, 7), (B, 0)], listening=3)
        gap = model.partner_gap(rows, "listening")
        assert gap == model.Gap(25.0, 37.5, day(20), AS_OF)
        result = run(rows)
        assert result.dimensions["listening"].gap == 25.0
        assert result.signals == []

    def test_perception_gap_needs_two_weeks(self) -> None:
        def couple(days: int) -> list[CheckInRow]:
            return [row(A, n, listening=5) for n in range(days)] + [
                row(B, n, listening=3) for n in range(days)
            ]

        assert run(couple(model.GAP_MIN_SPAN_DAYS - 1)).signals == []
        assert codes(run(couple(model.GAP_MIN_SPAN_DAYS))) == ["perception_gap"]

    def test_perception_gap_needs_ratings_from_both(self) -> None:
        rows = [row(A, n, listening=5) for n in range(21)]
        rows += [row(B, n, listening=3 if n < 3 else None) for n in range(21)]  # 3 ratings
        assert run(rows).signals == []

    def test_participation_drop(self) -> None:
        rows = [row(A, n) for n in range(28)] + [row(B, n) for n in range(10, 28)]
        assert run(rows).signals == [
            Signal(
                "participation_drop",
                "medium",
                "a partner who checked in 18 times has been silent for 10 days",
                {
                    "member_id": B,
                    "last_check_in": iso(10),
                    "silent_days": 10,
                    "check_ins_before": 18,
                },
            )
        ]

    def test_participation_drop_boundaries(self) -> None:
        def silent(days: int, since: int = 28) -> list[CheckInRow]:
            return [row(A, n) for n in range(28)] + [row(B, n) for n in range(days, since)]

        assert run(silent(model.SILENCE_DAYS - 1)).signals == []
        assert codes(run(silent(model.SILENCE_DAYS))) == ["participation_drop"]
        assert only_signal(run(silent(14)), "participation_drop").severity == "high"
        # five check-ins do not make a regular partner
        assert run(silent(10, since=15)).signals == []

    def test_declining_trend(self) -> None:
        # Every other day for three weeks, each partner rates four dimensions; the eight
        # ratings sum to 40 - i on the i-th day, so the day score is 100 - 3.125 i over
        # 2 i days: -1.5625 a day, -10.9375 a week, exactly (no clipping, no carry-over).
        dims = ("openness", "listening", "support", "appreciation")
        current = {(m, d): 5 for m in MEMBERS for d in dims}
        order = [(m, d) for d in dims for m in MEMBERS]
        rows = []
        for i in range(11):
            if i:
                current[order[(i - 1) % len(order)]] -= 1
            for m in MEMBERS:
                ratings: dict[str, int | None] = {d: current[(m, d)] for d in dims}
                rows.append(CheckInRow(m, day(20 - 2 * i), ratings))
        assert daily(rows)[AS_OF] == 100 - 3.125 * 10
        p_value = math.erfc(54 / math.sqrt(165) / math.sqrt(2))  # S = -55, var = 165
        result = run(rows)
        assert result.trend.direction == "declining"
        assert result.trend.slope_per_week == -10.94
        assert result.trend.p_value == pytest.approx(p_value)
        assert result.signals == [
            Signal(
                "declining_trend",
                "high",
                "the score is falling about 10.9 points a week",
                {"slope_per_week": -10.94, "p_value": 0.0, "days": 11},
            )
        ]

    def test_conflict_unresolved_from_moments(self) -> None:
        rows = amend(calm(42), [(A, 3), (B, 1)], moment="conflict_unresolved")
        assert run(rows).signals == [
            Signal(
                "conflict_unresolved",
                "low",
                "a conflict was left unresolved 2 times lately",
                {"conflict_unresolved_dates": [iso(3), iso(1)], "mean_conflict_repair": None},
            )
        ]

    def test_conflict_unresolved_from_low_repair(self) -> None:
        rows = amend(calm(42), [(A, 2), (A, 4)], conflict_repair=2)
        rows = amend(rows, [(B, 3)], conflict_repair=1)
        rows = amend(rows, [(B, 20)], conflict_repair=5)  # not recent: ignored
        assert run(rows).signals == [
            Signal(
                "conflict_unresolved",
                "low",
                "disagreements were rated 1.7 of 5 for respect",  # (2 + 2 + 1) / 3
                {"conflict_unresolved_dates": [], "mean_conflict_repair": 1.67},
            )
        ]

    def test_respectful_disagreements_raise_nothing(self) -> None:
        rows = amend(amend(calm(42), [(A, 2)], conflict_repair=2), [(B, 3)], conflict_repair=3)
        assert run(rows).signals == []  # mean 2.5

    def test_conflict_unresolved_with_both_reasons_is_medium(self) -> None:
        rows = amend(calm(42), [(A, 2), (B, 1)], moment="conflict_unresolved", conflict_repair=1)
        signal = only_signal(run(rows), "conflict_unresolved")
        assert signal.severity == "medium"
        assert signal.evidence == {
            "conflict_unresolved_dates": [iso(2), iso(1)],
            "mean_conflict_repair": 1.0,
        }

    def test_feeling_distant_from_falling_closeness(self) -> None:
        # Closeness falls steadily from 7 to 4 over six weeks; lately it averages about 4.3,
        # above LOW_CLOSENESS, and no one reported feeling distant: the fall is the only reason.
        rows = [replace(r, closeness=7 - 3 * (r.local_date - day(41)).days // 41) for r in calm(42)]
        closeness = daily(rows, lambda r: r.closeness)
        assert (closeness[day(41)], closeness[day(13)], closeness[AS_OF]) == (7, 5, 4)
        falling = trend(closeness)
        assert falling.p_value is not None
        assert falling.p_value < model.SIGNIFICANCE  # a real fall, by the model's own test
        assert falling.slope_per_week is not None
        assert falling.slope_per_week < 0
        signal = only_signal(run(rows), "feeling_distant")
        assert "closeness_slope_per_week" in signal.evidence


# ---------------------------------------------------------------------------------------
# recommendations and charts
# ---------------------------------------------------------------------------------------


class TestWeakestDimensions:
    def test_weakest_first(self) -> None:
        rows = calm(28, openness=2, listening=3, vulnerability=5, safety=5, appreciation=5)
        rows = amend(rows, [(A, 0)], conflict_repair=1)  # not a core dimension: never listed
        result = run(rows)
        assert weakest_dimensions(result) == [
            ("openness", "openness is among your lowest lately (25/100)"),
            ("listening", "listening is among your lowest lately (50/100)"),
            # quality_time and support tie at 75: by name
            ("quality_time", "quality time is among your lowest lately (75/100)"),
        ]
        assert [d for d, _ in weakest_dimensions(result, count=5)][3:] == [
            "support",
            "appreciation",
        ]

    def test_declining_dimension_goes_first(self) -> None:
        # support slides 10 -> 9 -> 8 (the two partners' sum) a week at a time; quality time
        # is flat at 75, lower than support's score, but falling adds 15 to the urgency.
        rows = []
        for i, n in enumerate(range(20, -1, -1)):
            total = 10 - (i * 3) // 21
            rows.append(row(A, n, 5, quality_time=4, support=(total + 1) // 2))
            rows.append(row(B, n, 5, quality_time=4, support=total // 2))
        result = run(rows)
        support = result.dimensions["support"]
        assert support.direction == "declining"
        assert support.score is not None
        assert 75.0 < support.score < 90.0
        ranked = weakest_dimensions(result, count=2)
        assert ranked == [
            ("support", f"support has been falling ({support.slope_per_week} points a week)"),
            ("quality_time", "quality time is among your lowest lately (75/100)"),
        ]

    def test_no_data(self) -> None:
        assert weakest_dimensions(run([])) == []


def test_dimension_weights() -> None:
    rows = calm(28, openness=1, listening=5, vulnerability=3, support=4, safety=2)
    weights = dimension_weights(run(rows))
    assert weights["openness"] == 5.0  # 0 points
    assert weights["listening"] == 1.0  # 100 points
    assert weights["vulnerability"] == 3.0
    assert weights["support"] == 2.0
    assert weights["safety"] == 4.0
    assert "conflict_repair" not in weights  # never rated


class TestSeries:
    def test_days(self) -> None:
        rows = [row(A, 2, 4), row(B, 2, 2), row(A, 0, 5), row(B, 5, 1)]
        points = series(rows, day(3), AS_OF, "day")
        w = decay(2)
        assert [(p.period, p.score, p.smoothed, p.check_ins) for p in points] == [
            (day(3), None, None, 0),  # the row 5 days ago is before the start
            (day(2), 50.0, 50.0, 2),  # mean(75, 25)
            (day(1), None, 50.0, 0),
            (day(0), 100.0, round((50 * w + 100) / (w + 1), 1), 1),
        ]

    def test_weeks_start_on_monday(self) -> None:
        start = date(2026, 11, 11)  # a Wednesday; its week began on Monday the 9th
        on = {d: (AS_OF - d).days for d in (date(2026, 11, n) for n in range(9, 27))}
        rows = [
            row(A, on[date(2026, 11, 10)], 1),  # Tuesday, before the start: left out
            row(A, on[date(2026, 11, 11)], 5),  # 100
            row(B, on[date(2026, 11, 15)], 3),  # Sunday: 50
            row(A, on[date(2026, 11, 16)], 1),  # Monday: 0 and 100 -> 50
            row(B, on[date(2026, 11, 16)], 5),
            row(A, on[date(2026, 11, 24)], 4),  # 75
            row(B, on[date(2026, 11, 26)], 1),  # after the end: left out
        ]
        points = series(rows, start, AS_OF, "week")
        assert [p.period for p in points] == [
            date(2026, 11, 9),
            date(2026, 11, 16),
            date(2026, 11, 23),
        ]
        assert all(p.period.weekday() == 0 for p in points)
        assert [p.score for p in points] == [75.0, 50.0, 75.0]  # mean of the days' scores
        assert [p.check_ins for p in points] == [2, 2, 1]

        def smoothed(values: dict[int, float], as_of: date) -> float:
            """weighted() by hand: {day of November: score} as of a date."""
            ages = {n: (as_of - date(2026, 11, n)).days for n in values}
            total = sum(decay(a) for a in ages.values())
            return round(sum(values[n] * decay(ages[n]) for n in values) / total, 1)

        history = {11: 100.0, 15: 50.0}
        assert points[0].smoothed == smoothed(history, date(2026, 11, 15))
        history[16] = 50.0
        assert points[1].smoothed == smoothed(history, date(2026, 11, 22))
        history[24] = 75.0
        assert points[2].smoothed == smoothed(history, AS_OF)  # the last week ends at `end`

    def test_empty_range(self) -> None:
        assert series([], AS_OF, AS_OF, "day") == [model.SeriesPoint(AS_OF, None, None, 0)]
        assert series([row(A, 0)], AS_OF, day(1), "day") == []


def test_adding_a_check_in_to_a_better_day_can_lower_the_score() -> None:
    # A day's value is the mean of the partners who reported it: B's 75 is above the
    # couple's score, but it halves A's 100 today into 87.5, and the score drops.
    rows = [row(A, n, 1) for n in range(1, 8)] + [row(A, 0, 5)]
    before = run(rows).score
    added = row(B, 0, 4)
    assert before is not None
    added_score = check_in_score(added)
    assert added_score is not None
    assert added_score >= before
    after = run([*rows, added]).score
    assert after is not None
    assert after < before


# ---------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------

SPAN_DAYS = 60
MOMENTS = (
    "deep_conversation",
    "quality_time",
    "expressed_appreciation",
    "felt_heard",
    "felt_supported",
    "conflict_resolved",
    "conflict_unresolved",
    "felt_distant",
    "avoided_topic",
    "held_back_feelings",
)
WINDOWS = st.sampled_from([7, 14, 28, 42, 60, 90])
# One check-in is two integers (a draw each keeps generation fast): eight base-6 digits for
# the ratings, and closeness, moments and the style of a missing rating packed in another.
RATINGS_CODE = st.integers(0, 6**8 - 1)
EXTRA_CODE = st.integers(0, 8 * 2 ** len(MOMENTS) * 2 - 1)


def decode_check_in(
    member: str, days_ago: int, ratings_code: int, extra_code: int, tilt: int
) -> CheckInRow:
    """Digit 0 is no rating (at most three core ones; a fourth 0 reads as 1), 1–5 a rating,
    moved by up to `tilt` steps from the oldest day to today and kept within 1–5."""
    explicit_null = extra_code // (8 * 2 ** len(MOMENTS)) == 1
    shift = round(tilt * (SPAN_DAYS - 1 - days_ago) / (SPAN_DAYS - 1))
    ratings: dict[str, int | None] = {}
    missing = 0
    for i, dimension in enumerate(DIMENSIONS):
        digit = ratings_code // 6**i % 6
        core = dimension in CORE_DIMENSIONS
        if digit == 0 and (not core or missing < 3):
            missing += core
            if explicit_null:
                ratings[dimension] = None  # an explicit null, as well as a missing key
            continue
        ratings[dimension] = min(5, max(1, max(digit, 1) + shift))
    closeness = extra_code % 8 or None
    mask = extra_code // 8 % 2 ** len(MOMENTS)
    moments = tuple(m for i, m in enumerate(MOMENTS) if mask >> i & 1)
    return CheckInRow(member, day(days_ago), ratings, closeness, moments)


@st.composite
def couples(draw: st.DrawFn) -> list[CheckInRow]:
    """At most one check-in per member per day, on days within the last 60; the ratings
    may drift up or down over the period, so that some couples have a trend."""
    tilt = draw(st.integers(-3, 3), label="tilt")
    rows = []
    for member in MEMBERS:
        count = draw(st.integers(0, 36), label=f"{member} check-ins")
        days = st.integers(0, SPAN_DAYS - 1)
        offsets = draw(st.sets(days, min_size=count, max_size=count), label=member)
        for n in sorted(offsets, reverse=True):
            codes = draw(st.tuples(RATINGS_CODE, EXTRA_CODE))
            rows.append(decode_check_in(member, n, *codes, tilt))
    return rows


@st.composite
def ratings_st(draw: st.DrawFn) -> dict[str, int | None]:
    return dict(decode_check_in(A, 0, draw(RATINGS_CODE), draw(EXTRA_CODE), 0).ratings)


def all_scores(result: Connection) -> list[float]:
    values = [result.score]
    values += [d.score for d in result.dimensions.values()]
    values += [d.gap for d in result.dimensions.values()]
    values += [p.score for p in result.partners]
    return [v for v in values if v is not None]


def all_trends(result: Connection) -> list[tuple[model.Direction, float | None]]:
    return [(result.trend.direction, result.trend.slope_per_week)] + [
        (d.direction, d.slope_per_week) for d in result.dimensions.values()
    ]


@settings(max_examples=100, deadline=None)
@given(rows=couples(), window_days=WINDOWS)
def test_every_score_is_within_0_and_100(rows: list[CheckInRow], window_days: int) -> None:
    result = run(rows, window_days)
    assert all(0.0 <= v <= 100.0 for v in all_scores(result))
    assert all(0.0 <= p.participation <= 1.0 for p in result.partners)
    granularities: tuple[Literal["day", "week"], ...] = ("day", "week")
    for granularity in granularities:
        for point in series(rows, day(SPAN_DAYS - 1), AS_OF, granularity):
            for value in (point.score, point.smoothed):
                assert value is None or 0.0 <= value <= 100.0


@settings(max_examples=100, deadline=None)
@given(rows=couples(), window_days=WINDOWS, data=st.data())
def test_raising_a_rating_never_lowers_the_score(
    rows: list[CheckInRow], window_days: int, data: st.DataObject
) -> None:
    if not rows:
        return
    index = data.draw(st.integers(0, len(rows) - 1), label="row")
    target = rows[index]
    rated = sorted(d for d, v in target.ratings.items() if v is not None)
    dimension = data.draw(st.sampled_from(rated), label="dimension")
    old = target.ratings[dimension]
    assert old is not None
    new = data.draw(st.integers(old, 5), label="new rating")
    raised = [*rows]
    raised[index] = replace(target, ratings={**target.ratings, dimension: new})
    before, after = run(rows, window_days).score, run(raised, window_days).score
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after >= before


def _raise_until(ratings: dict[str, int | None], floor: float) -> dict[str, int | None]:
    """Raise the lowest core rating, one step at a time, until the check-in scores >= floor."""
    out = dict(ratings)
    while (score := check_in_score(CheckInRow(A, AS_OF, out))) is not None and score < floor:
        lowest = min(
            (d for d in CORE_DIMENSIONS if out.get(d) is not None), key=lambda d: out[d] or 0
        )
        out[lowest] = (out[lowest] or 0) + 1
    return out


@settings(max_examples=100, deadline=None)
@given(rows=couples(), window_days=WINDOWS, data=st.data())
def test_adding_a_check_in_at_or_above_the_score_never_lowers_it(
    rows: list[CheckInRow], window_days: int, data: st.DataObject
) -> None:
    # A day with no check-in yet (see the test above for why a day with one is different).
    offset = data.draw(st.integers(0, min(window_days, SPAN_DAYS) - 1), label="days ago")
    base = [r for r in rows if r.local_date != day(offset)]
    before = run(base, window_days).score
    ratings = _raise_until(data.draw(ratings_st(), label="ratings"), before or 0.0)
    member = data.draw(st.sampled_from(MEMBERS), label="member")
    added = CheckInRow(member, day(offset), ratings)
    after = run([*base, added], window_days).score
    assert after is not None
    if before is not None:
        assert after >= before


@settings(max_examples=100, deadline=None)
@given(rows=couples(), window_days=WINDOWS, data=st.data())
def test_a_perfect_check_in_never_lowers_the_score(
    rows: list[CheckInRow], window_days: int, data: st.DataObject
) -> None:
    member = data.draw(st.sampled_from(MEMBERS), label="member")
    taken = {r.local_date for r in rows if r.member_id == member}
    free = [n for n in range(SPAN_DAYS) if day(n) not in taken]
    if not free:
        return
    offset = data.draw(st.sampled_from(free), label="days ago")
    before = run(rows, window_days).score
    after = run([*rows, row(member, offset, 5)], window_days).score
    if before is not None:
        assert after is not None
        assert after >= before


@settings(max_examples=100, deadline=None)
@given(rows=couples(), window_days=WINDOWS, data=st.data())
def test_order_of_rows_does_not_matter(
    rows: list[CheckInRow], window_days: int, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(rows), label="shuffled")
    assert run(shuffled, window_days) == run(rows, window_days)
    start = day(SPAN_DAYS - 1)
    assert series(shuffled, start, AS_OF, "week") == series(rows, start, AS_OF, "week")


@settings(max_examples=100, deadline=None)
@given(rows=couples(), window_days=WINDOWS)
def test_trend_slope_sign_matches_direction(rows: list[CheckInRow], window_days: int) -> None:
    for direction, slope in all_trends(run(rows, window_days)):
        if direction == "improving":
            assert slope is not None
            assert slope > 0
        elif direction == "declining":
            assert slope is not None
            assert slope < 0
        elif direction == "insufficient_data":
            assert slope is None


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.integers(0, 100).map(float), st.floats(0, 100)), min_size=0, max_size=45
    ),
    gaps=st.lists(st.integers(1, 3), min_size=45, max_size=45),
)
def test_trend_of_any_points_is_consistent(values: Sequence[float], gaps: list[int]) -> None:
    offsets = [sum(gaps[: i + 1]) for i in range(len(values))]
    points = {day(n): v for n, v in zip(offsets, values, strict=True)}
    result = trend(points)
    assert result.days == len(points)
    if result.direction == "insufficient_data":
        assert result.slope_per_week is None
    else:
        assert result.p_value is not None
        assert 0.0 <= result.p_value <= 1.0
        assert result.confidence == round(1 - result.p_value, 3)
        assert result.slope_per_week is not None
        if result.direction == "improving":
            assert result.slope_per_week > 0
        if result.direction == "declining":
            assert result.slope_per_week < 0


def test_dimensions_cover_every_key() -> None:
    assert set(run(calm(3)).dimensions) == set(DIMENSIONS)


def test_streaks_reach_past_a_short_window_up_to_six_weeks() -> None:
    rows = [row(A, n) for n in range(20)] + [row(B, n) for n in range(50)]
    by_id = {p.member_id: p for p in run(rows, window_days=7).partners}
    assert (by_id[A].participation, by_id[A].check_ins, by_id[A].streak_days) == (1.0, 7, 20)
    assert by_id[B].streak_days == model.TREND_WINDOW_DAYS  # 42: no further back
    assert {p.streak_days for p in run(rows, window_days=60).partners} == {20, 50}
