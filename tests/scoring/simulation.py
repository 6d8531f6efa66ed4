"""Couples with a known truth, for measuring the connection model.

Each partner rates each dimension as round(1 + 4·(T + bias)/100 + e), clipped to 1–5,
where T is the couple's true connection (0–100), bias a fixed per-partner, per-dimension
offset, and e day-to-day noise with carry-over: an AR(1) process with standard deviation
NOISE on the 1–5 scale and lag-1 correlation CARRY_OVER. Partners miss days at random.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from app.scoring.model import DIMENSIONS, CheckInRow, Connection, connection

NOISE = 0.7
CARRY_OVER = 0.5
BIAS_POINTS = 5.0
DAYS = 42
AS_OF = date(2026, 11, 25)
MEMBERS = ("mem_a", "mem_b")

Truth = Callable[[int], float]  # day index (0 = first) -> true connection, 0–100


def falling(start: float = 65.0, drop: float = 20.0) -> Truth:
    return lambda day: start - drop * day / (DAYS - 1)


def rising(start: float = 45.0, rise: float = 20.0) -> Truth:
    return lambda day: start + rise * day / (DAYS - 1)


def steady(level: float = 60.0) -> Truth:
    return lambda _day: level


@dataclass(frozen=True)
class Schedule:
    name: str
    attendance: float  # chance a partner checks in on a given day


DAILY = Schedule("daily", 0.92)
IRREGULAR = Schedule("irregular", 0.5)


def simulate(
    seed: int,
    truth: Truth,
    schedule: Schedule,
    *,
    dimension_offsets: dict[tuple[str, str], float] | None = None,
    silent_after: dict[str, int] | None = None,
    bad_day: int | None = None,
) -> list[CheckInRow]:
    rng = random.Random(seed)
    offsets = dimension_offsets or {}
    bias = {(m, d): rng.gauss(0, BIAS_POINTS) for m in MEMBERS for d in DIMENSIONS}
    noise = {(m, d): rng.gauss(0, NOISE) for m in MEMBERS for d in DIMENSIONS}
    innovation = NOISE * (1 - CARRY_OVER**2) ** 0.5
    rows = []
    first = AS_OF - timedelta(days=DAYS - 1)
    for day in range(DAYS):
        t = truth(day)
        for member in MEMBERS:
            for dimension in DIMENSIONS:
                noise[(member, dimension)] = CARRY_OVER * noise[(member, dimension)] + rng.gauss(
                    0, innovation
                )
            if rng.random() > schedule.attendance:
                continue
            if silent_after and member in silent_after and day >= silent_after[member]:
                continue
            ratings: dict[str, int | None] = {}
            for dimension in DIMENSIONS:
                level = t + bias[(member, dimension)] + offsets.get((member, dimension), 0.0)
                if day == bad_day:
                    level -= 50
                raw = 1 + 4 * level / 100 + noise[(member, dimension)]
                ratings[dimension] = min(5, max(1, round(raw)))
            closeness = min(7, max(1, round(1 + 6 * t / 100 + rng.gauss(0, 0.8))))
            rows.append(CheckInRow(member, first + timedelta(days=day), ratings, closeness, ()))
    return rows


def run(rows: list[CheckInRow], window_days: int = 28) -> Connection:
    return connection(rows, MEMBERS, AS_OF, window_days)


def rate(outcomes: list[bool]) -> float:
    return sum(outcomes) / len(outcomes)
