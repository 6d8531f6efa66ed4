"""Pairing: invites, couples, dissolving, and the guard against guessing codes."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from app.audit import service as audit
from app.core.config import Settings
from app.core.db import utcnow
from app.core.ids import new_id
from app.core.pagination import Page, PageParams, paginate
from app.core.security import Principal
from app.couples import codes
from app.couples.exceptions import (
    AlreadyPaired,
    CannotPairWithSelf,
    CoupleNotActive,
    CoupleNotFound,
    InviteExpired,
    InviteNotFound,
    InviteRevoked,
    InviteUsed,
    TooManyAttempts,
)
from app.couples.models import ActivePairing, Couple, Invite, InviteAttempt
from app.couples.schemas import CouplePublic, CoupleStatus, InvitePublic, InviteStatus
from app.members import lifecycle
from app.members import service as members_service
from app.members.models import Member
from app.webhooks import service as webhooks_service

GUESS_WINDOW = timedelta(minutes=15)
# Failed code lookups in the window before each further one is refused: per member, and
# per secret key (a backend accepts for many members, so it gets more room).
MEMBER_GUESS_LIMIT = 10
KEY_GUESS_LIMIT = 100
CODE_ATTEMPTS = 5


# ---- invites ---------------------------------------------------------------------------


def invite_status(invite: Invite, now: datetime | None = None) -> InviteStatus:
    if invite.accepted_at is not None:
        return "accepted"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


def invite_public(invite: Invite, inviter_display_name: str) -> InvitePublic:
    return InvitePublic(
        id=invite.id,
        code=codes.display(invite.code),
        inviter_id=invite.inviter_id,
        inviter_display_name=inviter_display_name,
        status=invite_status(invite),
        expires_at=invite.expires_at,
        created_at=invite.created_at,
        accepted_at=invite.accepted_at,
        couple_id=invite.couple_id,
        livemode=invite.livemode,
    )


def invite_with_inviter(session: Session, invite: Invite) -> InvitePublic:
    inviter = session.get(Member, invite.inviter_id)
    return invite_public(invite, inviter.display_name if inviter else "")


def active_couple_id(session: Session, member_id: str) -> str | None:
    pairing = session.get(ActivePairing, member_id)
    return pairing.couple_id if pairing else None


def create_invite(
    session: Session, principal: Principal, inviter_id: str | None, ttl_seconds: int
) -> Invite:
    inviter = members_service.acting_member(session, principal, inviter_id, field="inviter_id")
    if active_couple_id(session, inviter.id) is not None:
        raise AlreadyPaired(f"Member {inviter.id} is already in an active couple.")
    for _ in range(CODE_ATTEMPTS):
        invite = Invite(
            id=new_id("inv"),
            tenant_id=principal.tenant_id,
            livemode=principal.livemode,
            code=codes.generate(),
            inviter_id=inviter.id,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
        try:
            with session.begin_nested():
                session.add(invite)
        except IntegrityError:
            continue  # that code exists already; draw another
        audit.record(session, principal=principal, action="invite.created", object_id=invite.id)
        return invite
    raise RuntimeError("could not draw a free invite code")  # pragma: no cover


def find_invite(session: Session, principal: Principal, raw_code: str) -> Invite:
    """The invite behind a typed code, in the caller's tenant and mode, else 404."""
    code = codes.normalize(raw_code)
    invite = session.exec(select(Invite).where(Invite.code == code)).first() if code else None
    if (
        invite is None
        or invite.tenant_id != principal.tenant_id
        or invite.livemode != principal.livemode
    ):
        raise InviteNotFound("No invite with this code.")
    return invite


def _subjects(principal: Principal, member_id: str | None) -> list[tuple[str, int]]:
    subjects: list[tuple[str, int]] = []
    if principal.key_id is not None:
        subjects.append((principal.key_id, KEY_GUESS_LIMIT))
    if member_id is not None:
        subjects.append((member_id, MEMBER_GUESS_LIMIT))
    return subjects


def check_guessing(session: Session, principal: Principal, member_id: str | None) -> None:
    """Refuse (429) a caller whose recent failed code lookups reached the limit."""
    since = utcnow() - GUESS_WINDOW
    for subject, limit in _subjects(principal, member_id):
        failures, oldest = session.exec(
            select(func.count(), func.min(InviteAttempt.failed_at)).where(
                InviteAttempt.subject == subject, col(InviteAttempt.failed_at) > since
            )
        ).one()
        if failures >= limit:
            retry = int((oldest + GUESS_WINDOW - utcnow()).total_seconds()) + 1 if oldest else 60
            raise TooManyAttempts(
                "Too many invite codes that did not match; wait before trying again.",
                headers={"Retry-After": str(max(retry, 1))},
            )


def record_failed_lookup(session: Session, principal: Principal, member_id: str | None) -> None:
    for subject, _ in _subjects(principal, member_id):
        session.add(InviteAttempt(id=new_id("iat"), subject=subject))
    session.exec(
        delete(InviteAttempt).where(col(InviteAttempt.failed_at) < utcnow() - GUESS_WINDOW)
    )


def revoke_invite(session: Session, principal: Principal, invite: Invite) -> None:
    if principal.is_member and invite.inviter_id != principal.member_id:
        raise InviteNotFound("No invite with this code.")
    if invite.accepted_at is not None:
        raise InviteUsed("This invite was already accepted.")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        session.add(invite)
        session.flush()
        audit.record(session, principal=principal, action="invite.revoked", object_id=invite.id)


# ---- couples ---------------------------------------------------------------------------


def couple_status(couple: Couple) -> CoupleStatus:
    return "dissolved" if couple.dissolved_at else "active"


def couple_public(couple: Couple) -> CouplePublic:
    return CouplePublic(
        id=couple.id,
        members=[couple.member_a_id, couple.member_b_id],
        status=couple_status(couple),
        paired_at=couple.paired_at,
        dissolved_at=couple.dissolved_at,
        livemode=couple.livemode,
    )


def accept_invite(
    session: Session, principal: Principal, invite: Invite, member_id: str | None
) -> Couple:
    member = members_service.acting_member(session, principal, member_id)
    now = utcnow()
    status = invite_status(invite, now)
    if status == "accepted":
        raise InviteUsed("This invite was already accepted.")
    if status == "revoked":
        raise InviteRevoked("The inviter revoked this invite.")
    if status == "expired":
        raise InviteExpired("This invite has expired; ask for a new one.")
    if member.id == invite.inviter_id:
        raise CannotPairWithSelf("Share the code with your partner: it is for them to accept.")
    for who in (invite.inviter_id, member.id):
        if active_couple_id(session, who) is not None:
            raise AlreadyPaired(f"Member {who} is already in an active couple.")

    couple = Couple(
        id=new_id("cpl"),
        tenant_id=invite.tenant_id,
        livemode=invite.livemode,
        member_a_id=invite.inviter_id,
        member_b_id=member.id,
        invite_id=invite.id,
        paired_at=now,
    )
    try:
        with session.begin_nested():
            # The guarded update is what makes two racing accepts end with one winner.
            claimed = session.exec(
                update(Invite)
                .where(
                    col(Invite.id) == invite.id,
                    col(Invite.accepted_at).is_(None),
                    col(Invite.revoked_at).is_(None),
                )
                .values(accepted_at=now, accepted_by_id=member.id, couple_id=couple.id)
            )
            if claimed.rowcount != 1:
                raise InviteUsed("This invite was just used.")
            session.add(couple)
            session.flush()
            session.add(ActivePairing(member_id=couple.member_a_id, couple_id=couple.id))
            session.add(ActivePairing(member_id=couple.member_b_id, couple_id=couple.id))
    except IntegrityError:
        raise AlreadyPaired("One of the members was just paired in another couple.") from None
    session.refresh(invite)
    audit.record(session, principal=principal, action="couple.paired", object_id=couple.id)
    webhooks_service.record(
        session,
        tenant_id=couple.tenant_id,
        livemode=couple.livemode,
        type="couple.paired",
        data={"couple_id": couple.id, "member_ids": [couple.member_a_id, couple.member_b_id]},
    )
    return couple


def get_visible_couple(session: Session, principal: Principal, couple_id: str) -> Couple:
    """Tenant keys see every couple of their tenant and mode; a member token only its own
    active couple."""
    couple = session.get(Couple, couple_id)
    if (
        couple is None
        or couple.tenant_id != principal.tenant_id
        or couple.livemode != principal.livemode
        or (
            principal.is_member
            and (
                couple.dissolved_at is not None
                or principal.member_id not in (couple.member_a_id, couple.member_b_id)
            )
        )
    ):
        raise CoupleNotFound(f"No couple {couple_id} here.")
    return couple


class CoupleData(Protocol):
    tenant_id: str
    livemode: bool
    couple_id: str


def sees_couple_data(session: Session, principal: Principal, row: CoupleData) -> bool:
    """Whether a couple's row (a check-in, a delivery) is the caller's to see: its tenant and
    mode, and for a member token its own active couple."""
    if row.tenant_id != principal.tenant_id or row.livemode != principal.livemode:
        return False
    if not principal.is_member:
        return True
    try:
        get_visible_couple(session, principal, row.couple_id)
    except CoupleNotFound:
        return False
    return True


def list_couples(
    session: Session,
    principal: Principal,
    page: PageParams,
    *,
    status: CoupleStatus | None,
    member_id: str | None,
) -> Page[CouplePublic]:
    statement = select(Couple).where(
        Couple.tenant_id == principal.tenant_id, Couple.livemode == principal.livemode
    )
    if status == "active":
        statement = statement.where(col(Couple.dissolved_at).is_(None))
    elif status == "dissolved":
        statement = statement.where(col(Couple.dissolved_at).is_not(None))
    if member_id is not None:
        statement = statement.where(
            or_(col(Couple.member_a_id) == member_id, col(Couple.member_b_id) == member_id)
        )
    return paginate(
        session,
        statement,
        sort_column=col(Couple.paired_at),
        id_column=col(Couple.id),
        page=page,
        to_public=couple_public,
    )


def lock_active(session: Session, couple: Couple, *, exclusive: bool = False) -> None:
    """Re-read the couple under a row lock (PostgreSQL; SQLite's write lock already
    serializes) and refuse it if dissolved. Writes into a couple take a shared lock and a
    dissolve an exclusive one, so a check-in never lands in a couple dissolved before it
    committed."""
    session.refresh(couple, with_for_update={"read": not exclusive})
    if couple.dissolved_at is not None:
        raise CoupleNotActive(f"Couple {couple.id} was dissolved at {couple.dissolved_at}.")


def dissolve_couple(session: Session, principal: Principal | None, couple: Couple) -> Couple:
    """End the couple: both may pair again at once, and their earlier tokens stop working."""
    lock_active(session, couple, exclusive=True)
    now = utcnow()
    couple.dissolved_at = now
    session.add(couple)
    session.exec(delete(ActivePairing).where(col(ActivePairing.couple_id) == couple.id))
    session.flush()
    for member_id in (couple.member_a_id, couple.member_b_id):
        member = session.get(Member, member_id)
        if member is not None:
            members_service.revoke_tokens(session, member, principal=principal, now=now)
    audit.record(
        session,
        principal=principal,
        tenant_id=couple.tenant_id,
        livemode=couple.livemode,
        action="couple.dissolved",
        object_id=couple.id,
    )
    webhooks_service.record(
        session,
        tenant_id=couple.tenant_id,
        livemode=couple.livemode,
        type="couple.dissolved",
        data={"couple_id": couple.id, "member_ids": [couple.member_a_id, couple.member_b_id]},
    )
    return couple


def couples_of(session: Session, member_id: str) -> Sequence[Couple]:
    return session.exec(
        select(Couple)
        .where(or_(col(Couple.member_a_id) == member_id, col(Couple.member_b_id) == member_id))
        .order_by(col(Couple.paired_at))
    ).all()


def invites_of(session: Session, member_id: str) -> Sequence[Invite]:
    return session.exec(
        select(Invite).where(Invite.inviter_id == member_id).order_by(col(Invite.created_at))
    ).all()


# ---- a member's export and erasure -----------------------------------------------------


@lifecycle.exporter("couples")
def _export_couples(
    session: Session, member: Member, _settings: Settings
) -> list[dict[str, object]]:
    return [couple_public(c).model_dump(mode="json") for c in couples_of(session, member.id)]


@lifecycle.exporter("invites")
def _export_invites(
    session: Session, member: Member, _settings: Settings
) -> list[dict[str, object]]:
    return [
        invite_public(i, member.display_name).model_dump(mode="json")
        for i in invites_of(session, member.id)
    ]


@lifecycle.eraser("couples")
def _erase_pairing(session: Session, member: Member, principal: Principal) -> None:
    couple_id = active_couple_id(session, member.id)
    if couple_id is not None:
        couple = session.get(Couple, couple_id)
        if couple is not None:
            dissolve_couple(session, principal, couple)
    session.exec(delete(Invite).where(col(Invite.inviter_id) == member.id))
    session.exec(delete(InviteAttempt).where(col(InviteAttempt.subject) == member.id))
    session.flush()
