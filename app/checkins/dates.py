"""A member's day: the date of its local time, turning at `day_starts_at_hour`."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BACKDATE_DAYS = 7
TEST_MODE_BACKDATE_DAYS = 365


def local_today(now: datetime, timezone: str, day_starts_at_hour: int) -> date:
    """At 1 am with a day that starts at 4, it is still yesterday."""
    local = now.astimezone(ZoneInfo(timezone))
    return (local - timedelta(hours=day_starts_at_hour)).date()


def accepted_range(today: date, *, livemode: bool) -> tuple[date, date]:
    """The oldest and newest local dates a check-in may be given for."""
    back = BACKDATE_DAYS if livemode else TEST_MODE_BACKDATE_DAYS
    return today - timedelta(days=back), today


def editable(local_date: date, today: date) -> bool:
    """A check-in may be replaced until the end of the local day after its own."""
    return today <= local_date + timedelta(days=1)
