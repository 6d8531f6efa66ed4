"""The thin service around the model: load only the check-ins a window needs (one indexed
range query on couple and local date), and shape the answer."""

from datetime import date, timedelta
from typing import Literal

from sqlmodel import Session, col, func, select

from app.checkins import dates
from app.checkins.models import CheckIn
from app.core.db import utcnow
from app.couples.models import Couple
from app.deliveries.models import Delivery
from app.deliveries.service import recently_delivered
from app.members.models import Member
from app.scoring import model

RATING_COLUMNS = model.DIMENSIONS


def couple_today(session: Session, couple: Couple) -> date:
    """The later of the two members' local dates, so no check-in is in the future."""
    todays = [
        dates.local_today(utcnow(), m.timezone, m.day_starts_at_hour)
        for m in session.exec(
            select(Member).where(col(Member.id).in_([couple.member_a_id, couple.member_b_id]))
        )
    ]
    return max(todays) if todays else utcnow().date()


def load_rows(session: Session, couple_id: str, start: date, end: date) -> list[model.CheckInRow]:
    columns = [col(getattr(CheckIn, c)) for c in RATING_COLUMNS]
    statement = select(  # type: ignore[call-overload]
        col(CheckIn.member_id),
        col(CheckIn.local_date),
        *columns,
        col(CheckIn.closeness),
        col(CheckIn.moments),
    ).where(
        CheckIn.couple_id == couple_id,
        col(CheckIn.local_date) >= start,
        col(CheckIn.local_date) <= end,
    )
    rows = []
    for record in session.exec(statement):
        member_id, local_date, *rest = record
        ratings = dict(zip(RATING_COLUMNS, rest[: len(RATING_COLUMNS)], strict=True))
        closeness, moments = rest[len(RATING_COLUMNS) :]
        rows.append(
            model.CheckInRow(member_id, local_date, ratings, closeness, tuple(moments or ()))
        )
    return rows


def newest_check_in(session: Session, couple_id: str, as_of: date) -> date | None:
    """One index seek: the couple's newest check-in date up to as_of, however old."""
    return session.exec(
        select(func.max(CheckIn.local_date)).where(
            CheckIn.couple_id == couple_id, col(CheckIn.local_date) <= as_of
        )
    ).one()


def connection(session: Session, couple: Couple, as_of: date, window_days: int) -> model.Connection:
    start = as_of - timedelta(days=model.trend_days(window_days) - 1)
    rows = load_rows(session, couple.id, start, as_of)
    newest = max((r.local_date for r in rows), default=None) or newest_check_in(
        session, couple.id, as_of
    )
    return model.connection(
        rows, [couple.member_a_id, couple.member_b_id], as_of, window_days, newest
    )


def delivery_weights(session: Session, couple: Couple) -> dict[str, float]:
    """What deliveries weigh their choice by: the couple's weakest dimensions most."""
    result = connection(session, couple, couple_today(session, couple), 28)
    return model.dimension_weights(result)


def series(
    session: Session, couple: Couple, start: date, end: date, granularity: Literal["day", "week"]
) -> list[model.SeriesPoint]:
    return model.series(load_rows(session, couple.id, start, end), start, end, granularity)


def answer_fingerprint(
    session: Session, couple_id: str, start: date, end: date
) -> tuple[object, ...]:
    """What a cached answer over [start, end] must match, in one statement: the window's
    check-in count and newest change (any insert, edit or delete moves one of them), the
    couple's newest check-in date up to `end` (what says `stale` when the window is empty),
    and the count and newest of its recent deliveries (what recommendations skip)."""
    newest = (
        select(func.max(CheckIn.local_date))
        .where(CheckIn.couple_id == couple_id, col(CheckIn.local_date) <= end)
        .scalar_subquery()
    )
    recent = recently_delivered(couple_id)
    delivered = select(func.count()).select_from(Delivery).where(*recent).scalar_subquery()
    last_delivered = select(func.max(Delivery.delivered_at)).where(*recent).scalar_subquery()
    count, changed, newest_date, deliveries, last = session.exec(
        select(  # type: ignore[call-overload]
            func.count(), func.max(CheckIn.updated_at), newest, delivered, last_delivered
        )
        .select_from(CheckIn)
        .where(
            CheckIn.couple_id == couple_id,
            col(CheckIn.local_date) >= start,
            col(CheckIn.local_date) <= end,
        )
    ).one()
    return (
        int(count),
        None if changed is None else str(changed),
        newest_date,
        int(deliveries),
        None if last is None else str(last),
    )
