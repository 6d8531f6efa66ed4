"""A member's local date: midnight, the day-start hour, DST changes and the date line."""

from datetime import UTC, date, datetime

import pytest

from app.checkins import dates


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "zone", "start", "expected"),
    [
        # Around midnight, with the default day start at 4: 1 am is still the day before.
        ("2026-11-25T23:59:00+01:00", "Europe/Paris", 4, date(2026, 11, 25)),
        ("2026-11-26T00:01:00+01:00", "Europe/Paris", 4, date(2026, 11, 25)),
        ("2026-11-26T00:01:00+01:00", "Europe/Paris", 0, date(2026, 11, 26)),
        # Around the day-start hour.
        ("2026-11-26T03:59:00+01:00", "Europe/Paris", 4, date(2026, 11, 25)),
        ("2026-11-26T04:00:00+01:00", "Europe/Paris", 4, date(2026, 11, 26)),
        # Across New York's spring-forward night (2 am does not exist on 2026-03-08).
        ("2026-03-08T01:30:00-05:00", "America/New_York", 4, date(2026, 3, 7)),
        ("2026-03-08T04:30:00-04:00", "America/New_York", 4, date(2026, 3, 8)),
        ("2026-03-08T03:30:00-04:00", "America/New_York", 4, date(2026, 3, 7)),
        # And its fall-back night: 1:30 happens twice, both still the day before.
        ("2026-11-01T01:30:00-04:00", "America/New_York", 4, date(2026, 10, 31)),
        ("2026-11-01T01:30:00-05:00", "America/New_York", 4, date(2026, 10, 31)),
    ],
)
def test_local_today(now: str, zone: str, start: int, expected: date) -> None:
    assert dates.local_today(at(now), zone, start) == expected


def test_partners_on_opposite_sides_of_the_date_line() -> None:
    """The same instant is two different days for partners in Kiritimati (UTC+14) and
    Pago Pago (UTC-11): each gets its own local date."""
    instant = at("2026-06-15T12:00:00+00:00")
    assert dates.local_today(instant, "Pacific/Kiritimati", 0) == date(2026, 6, 16)
    assert dates.local_today(instant, "Pacific/Pago_Pago", 0) == date(2026, 6, 15)


def test_accepted_range() -> None:
    today = date(2026, 11, 25)
    assert dates.accepted_range(today, livemode=True) == (date(2026, 11, 18), today)
    assert dates.accepted_range(today, livemode=False) == (date(2025, 11, 25), today)


def test_editable_until_end_of_next_day() -> None:
    day = date(2026, 11, 25)
    assert dates.editable(day, day)
    assert dates.editable(day, date(2026, 11, 26))
    assert not dates.editable(day, date(2026, 11, 27))
