"""Check-ins: what each partner submits, who may see what of it, and when it locks."""

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.catalog.vocabulary import Dimension
from app.checkins import dates
from app.checkins.exceptions import (
    CheckInExists,
    CheckInLocked,
    CheckInNotFound,
    LocalDateOutOfRange,
    MemberNotInCouple,
    NotCheckInAuthor,
)
from app.checkins.models import CheckIn
from app.checkins.schemas import (
    CheckInCreate,
    CheckInFields,
    CheckInPublic,
    Moment,
    RatingsPublic,
)
from app.core.config import Settings
from app.core.db import utcnow
from app.core.ids import new_id
from app.core.pagination import Order, Page, PageParams, paginate
from app.core.security import Principal
from app.couples import service as couples_service
from app.couples.models import Couple
from app.encryption import service as encryption
from app.encryption.keyring import Keyring
from app.members import lifecycle
from app.members import service as members_service
from app.members.models import Member
from app.webhooks import service as webhooks_service

RATING_FIELDS = tuple(d.value for d in Dimension)


def _note_context(check_in_id: str) -> str:
    return f"check_in:{check_in_id}:note"


def member_today(member: Member) -> date:
    return dates.local_today(utcnow(), member.timezone, member.day_starts_at_hour)


def _apply_fields(session: Session, ring: Keyring, check_in: CheckIn, data: CheckInFields) -> None:
    for name in RATING_FIELDS:
        setattr(check_in, name, getattr(data.ratings, name))
    check_in.closeness = data.closeness
    check_in.moments = [m.value for m in data.moments]
    check_in.note_visibility = data.note_visibility
    check_in.note_ciphertext = (
        encryption.encrypt(session, ring, check_in.member_id, data.note, _note_context(check_in.id))
        if data.note
        else None
    )


def _existing(session: Session, member_id: str, local_date: date) -> CheckIn | None:
    return session.exec(
        select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.local_date == local_date)
    ).first()


def _exists_error(existing_id: str | None, local_date: date) -> CheckInExists:
    return CheckInExists(
        f"Check-in {existing_id} already holds {local_date}; replace it with PUT.",
        existing_id=existing_id,
    )


def create_check_in(
    session: Session, principal: Principal, ring: Keyring, couple: Couple, data: CheckInCreate
) -> CheckIn:
    member = members_service.acting_member(session, principal, data.member_id)
    couples_service.lock_active(session, couple)
    if member.id not in (couple.member_a_id, couple.member_b_id):
        raise MemberNotInCouple(f"Member {member.id} is not in couple {couple.id}.")
    today = member_today(member)
    local_date = data.local_date or today
    oldest, newest = dates.accepted_range(today, livemode=principal.livemode)
    if not oldest <= local_date <= newest:
        raise LocalDateOutOfRange(
            f"{local_date} is outside {oldest}..{newest}, the member's accepted dates today."
        )
    now = utcnow()
    check_in = CheckIn(
        id=new_id("chk"),
        tenant_id=couple.tenant_id,
        livemode=couple.livemode,
        couple_id=couple.id,
        member_id=member.id,
        local_date=local_date,
        moments=[m.value for m in data.moments],
        created_at=now,
        updated_at=now,
    )
    _apply_fields(session, ring, check_in, data)
    try:
        # The unique (member, date) index decides, so two racing requests cannot both win;
        # the savepoint keeps the request's transaction usable to say who did.
        with session.begin_nested():
            session.add(check_in)
    except IntegrityError:
        winner = _existing(session, member.id, local_date)
        raise _exists_error(winner.id if winner else None, local_date) from None
    webhooks_service.record(
        session,
        tenant_id=check_in.tenant_id,
        livemode=check_in.livemode,
        type="check_in.created",
        data={"check_in_id": check_in.id, "couple_id": couple.id, "member_id": member.id},
    )
    return check_in


def get_visible(session: Session, principal: Principal, check_in_id: str) -> CheckIn:
    """Tenant keys: any check-in of the tenant and mode. Member tokens: those of their own
    active couple."""
    check_in = session.get(CheckIn, check_in_id)
    if check_in is None or not couples_service.sees_couple_data(session, principal, check_in):
        raise CheckInNotFound(f"No check-in {check_in_id} here.")
    return check_in


def _require_author(principal: Principal, check_in: CheckIn) -> None:
    if principal.is_member and principal.member_id != check_in.member_id:
        raise NotCheckInAuthor("Only its author (or the tenant) may change this check-in.")


def replace_check_in(
    session: Session, principal: Principal, ring: Keyring, check_in: CheckIn, data: CheckInFields
) -> CheckIn:
    _require_author(principal, check_in)
    member = session.get(Member, check_in.member_id)
    today = member_today(member) if member else check_in.local_date
    if not dates.editable(check_in.local_date, today):
        raise CheckInLocked(
            f"Check-in {check_in.id} for {check_in.local_date} locked at the end of the next day."
        )
    _apply_fields(session, ring, check_in, data)
    check_in.updated_at = utcnow()
    session.add(check_in)
    session.flush()
    return check_in


def delete_check_in(session: Session, principal: Principal, check_in: CheckIn) -> None:
    _require_author(principal, check_in)
    session.delete(check_in)
    session.flush()


def _own_dates(session: Session, member_id: str, local_dates: set[date]) -> set[date]:
    if not local_dates:
        return set()
    return set(
        session.exec(
            select(col(CheckIn.local_date)).where(
                CheckIn.member_id == member_id, col(CheckIn.local_date).in_(local_dates)
            )
        )
    )


def to_public(
    session: Session,
    principal: Principal,
    ring: Keyring,
    check_in: CheckIn,
    *,
    revealed: bool,
    include_notes: bool,
    known_note: str | None = None,
) -> CheckInPublic:
    own = principal.is_member and principal.member_id == check_in.member_id
    if principal.is_member:
        note_allowed = own or (revealed and check_in.note_visibility == "shared")
    else:
        note_allowed = include_notes
    note = None
    if note_allowed and known_note is not None:
        note = known_note
    elif note_allowed and check_in.note_ciphertext is not None:
        note = encryption.decrypt(
            session, ring, check_in.member_id, check_in.note_ciphertext, _note_context(check_in.id)
        )
    show_visibility = (
        not principal.is_member or own or (revealed and check_in.note_visibility == "shared")
    )
    return CheckInPublic(
        id=check_in.id,
        couple_id=check_in.couple_id,
        member_id=check_in.member_id,
        local_date=check_in.local_date,
        revealed=revealed,
        ratings=RatingsPublic(**{f: getattr(check_in, f) for f in RATING_FIELDS})
        if revealed
        else None,
        closeness=check_in.closeness if revealed else None,
        moments=[Moment(m) for m in check_in.moments] if revealed else None,
        note=note,
        note_visibility=check_in.note_visibility if show_visibility and revealed else None,
        livemode=check_in.livemode,
        created_at=check_in.created_at,
        updated_at=check_in.updated_at,
    )


def present(
    session: Session,
    principal: Principal,
    ring: Keyring,
    rows: Sequence[CheckIn],
    *,
    include_notes: bool = False,
    notes: Mapping[str, str] | None = None,
) -> list[CheckInPublic]:
    """Mutual reveal: a member token sees a partner's check-in for a date only once it has
    checked in for that date itself. `notes` holds plaintexts the caller already has (what
    it just wrote), by check-in id, so they are not decrypted again."""
    revealed_dates: set[date] | None = None
    if principal.is_member:
        partner_dates = {r.local_date for r in rows if r.member_id != principal.member_id}
        revealed_dates = _own_dates(session, str(principal.member_id), partner_dates)
    return [
        to_public(
            session,
            principal,
            ring,
            row,
            revealed=(
                revealed_dates is None
                or row.member_id == principal.member_id
                or row.local_date in revealed_dates
            ),
            include_notes=include_notes,
            known_note=(notes or {}).get(row.id),
        )
        for row in rows
    ]


def list_check_ins(
    session: Session,
    principal: Principal,
    ring: Keyring,
    couple: Couple,
    page: PageParams,
    *,
    member_id: str | None,
    date_from: date | None,
    date_to: date | None,
    order: Order,
    include_notes: bool,
) -> Page[CheckInPublic]:
    statement = select(CheckIn).where(CheckIn.couple_id == couple.id)
    if member_id is not None:
        statement = statement.where(CheckIn.member_id == member_id)
    if date_from is not None:
        statement = statement.where(col(CheckIn.local_date) >= date_from)
    if date_to is not None:
        statement = statement.where(col(CheckIn.local_date) <= date_to)
    rows = paginate(
        session,
        statement,
        sort_column=col(CheckIn.local_date),
        id_column=col(CheckIn.id),
        page=page,
        to_public=lambda c: c,
        order=order,
    )
    return Page[CheckInPublic](
        data=present(session, principal, ring, rows.data, include_notes=include_notes),
        has_more=rows.has_more,
        next_cursor=rows.next_cursor,
    )


# ---- a member's export and erasure -----------------------------------------------------


@lifecycle.exporter("check_ins")
def _export_check_ins(session: Session, member: Member, settings: Settings) -> list[object]:
    """Its own check-ins with its own notes: an export holds nothing of the partner's."""
    owner = Principal(
        tenant_id=member.tenant_id, livemode=member.livemode, kind="member", member_id=member.id
    )
    rows = session.exec(
        select(CheckIn).where(CheckIn.member_id == member.id).order_by(col(CheckIn.local_date))
    ).all()
    ring = encryption.keyring(settings)
    return [c.model_dump(mode="json") for c in present(session, owner, ring, rows)]


@lifecycle.eraser("check_ins")
def _erase_check_ins(session: Session, member: Member, principal: Principal) -> None:
    session.exec(delete(CheckIn).where(col(CheckIn.member_id) == member.id))
    session.flush()
