"""How well the model finds the truth in simulated couples (see simulation.py): detection
and false-alarm rates over many seeded runs, on a daily and an irregular schedule. The
measured rates are printed at the end of the test run and recorded in docs/scoring.md."""

from collections.abc import Callable

import pytest

from app.scoring.model import Connection
from tests.scoring import simulation as sim

RUNS = 200
MEASURED: dict[str, float] = {}

SCHEDULES = [sim.DAILY, sim.IRREGULAR]


def measure(name: str, outcome: Callable[[int], bool]) -> float:
    value = sim.rate([outcome(seed) for seed in range(RUNS)])
    MEASURED[name] = value
    return value


def direction(result: Connection) -> str:
    return result.trend.direction


def has(code: str, result: Connection) -> bool:
    return any(s.code == code for s in result.signals)


@pytest.mark.slow
@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
class TestSimulation:
    def test_falling_couple_is_declining(self, schedule: sim.Schedule) -> None:
        rate = measure(
            f"{schedule.name}: 20-point fall over 6 weeks reported declining",
            lambda seed: (
                direction(sim.run(sim.simulate(seed, sim.falling(), schedule))) == "declining"
            ),
        )
        assert rate >= 0.80

    def test_rising_couple_is_improving(self, schedule: sim.Schedule) -> None:
        rate = measure(
            f"{schedule.name}: 20-point rise over 6 weeks reported improving",
            lambda seed: (
                direction(sim.run(sim.simulate(seed, sim.rising(), schedule))) == "improving"
            ),
        )
        assert rate >= 0.80

    def test_stable_couple_rarely_moves(self, schedule: sim.Schedule) -> None:
        rate = measure(
            f"{schedule.name}: stable couple reported improving or declining",
            lambda seed: direction(sim.run(sim.simulate(seed, sim.steady(), schedule))) != "stable",
        )
        assert rate <= 0.05

    def test_one_bad_day_does_not_turn_it(self, schedule: sim.Schedule) -> None:
        rate = measure(
            f"{schedule.name}: stable couple with one very bad last day reported moving",
            lambda seed: (
                direction(sim.run(sim.simulate(seed, sim.steady(), schedule, bad_day=sim.DAYS - 1)))
                != "stable"
            ),
        )
        assert rate <= 0.05

    def test_perception_gap(self, schedule: sim.Schedule) -> None:
        # One sees listening 15 points higher than the couple's level, the other 15 lower.
        offsets = {("mem_a", "listening"): 15.0, ("mem_b", "listening"): -15.0}
        rate = measure(
            f"{schedule.name}: partners 30 points apart on one dimension raise perception_gap",
            lambda seed: has(
                "perception_gap",
                sim.run(sim.simulate(seed, sim.steady(), schedule, dimension_offsets=offsets)),
            ),
        )
        assert rate >= 0.80

    def test_participation_drop(self, schedule: sim.Schedule) -> None:
        rate = measure(
            f"{schedule.name}: partner silent for the last 10 days raises participation_drop",
            lambda seed: has(
                "participation_drop",
                sim.run(
                    sim.simulate(
                        seed, sim.steady(), schedule, silent_after={"mem_b": sim.DAYS - 10}
                    )
                ),
            ),
        )
        assert rate >= 0.80

    def test_false_alarms_on_a_stable_couple(self, schedule: sim.Schedule) -> None:
        """Reported, not asserted beyond sanity: what a calm couple is told."""
        results = [sim.run(sim.simulate(seed, sim.steady(), schedule)) for seed in range(RUNS)]
        for code in ("declining_trend", "participation_drop", "perception_gap", "feeling_distant"):
            MEASURED[f"{schedule.name}: stable couple raises {code}"] = sim.rate(
                [has(code, r) for r in results]
            )
        assert MEASURED[f"{schedule.name}: stable couple raises declining_trend"] <= 0.05

    def test_below_minimum_data_is_insufficient(self, schedule: sim.Schedule) -> None:
        """A week of data never yields a trend, whatever the truth."""
        for seed in range(50):
            rows = sim.simulate(seed, sim.falling(drop=60), schedule)
            last_week = [r for r in rows if (sim.AS_OF - r.local_date).days < 7]
            result = sim.run(last_week)
            assert result.trend.direction == "insufficient_data"
            assert result.status in ("forming", "insufficient_data")
