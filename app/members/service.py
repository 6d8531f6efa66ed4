from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import tokens
from app.core.config import Settings
from app.core.db import utcnow
from app.core.ids import new_id
from app.core.pagination import Page, PageParams, paginate
from app.core.security import Principal
from app.members import lifecycle
from app.members.exceptions import (
    ActingForAnotherMember,
    MemberExists,
    MemberIdRequired,
    MemberNotFound,
)
from app.members.models import Member
from app.members.schemas import (
    MemberCreate,
    MemberExport,
    MemberPublic,
    MemberToken,
    MemberUpdate,
)
from app.webhooks import service as webhooks_service


def to_public(member: Member) -> MemberPublic:
    return MemberPublic.model_validate(member, from_attributes=True)


def get_visible(session: Session, principal: Principal, member_id: str) -> Member:
    """The member if the caller may see it: its tenant and mode, and for a token only itself."""
    member = session.get(Member, member_id)
    if (
        member is None
        or member.tenant_id != principal.tenant_id
        or member.livemode != principal.livemode
        or (principal.is_member and principal.member_id != member.id)
    ):
        raise MemberNotFound(f"No member {member_id} here.")
    return member


def acting_member(
    session: Session, principal: Principal, member_id: str | None, *, field: str = "member_id"
) -> Member:
    """The member a call acts for: a token's own member (naming another is 403), or the
    member a secret key names (required; 404 outside the tenant and mode)."""
    if principal.is_member:
        if member_id is not None and member_id != principal.member_id:
            raise ActingForAnotherMember(f"This token acts only for {principal.member_id}.")
        return get_visible(session, principal, str(principal.member_id))
    if member_id is None:
        raise MemberIdRequired(field)
    return get_visible(session, principal, member_id)


def create_member(session: Session, principal: Principal, data: MemberCreate) -> Member:
    member = Member(
        id=new_id("mem"),
        tenant_id=principal.tenant_id,
        livemode=principal.livemode,
        **data.model_dump(),
    )
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError:
        existing = session.exec(
            select(Member.id).where(
                Member.tenant_id == principal.tenant_id,
                Member.livemode == principal.livemode,
                Member.external_id == data.external_id,
            )
        ).first()
        raise MemberExists(
            f"Member {existing} already has external_id {data.external_id!r}.",
            existing_id=existing,
        ) from None
    return member


def list_members(
    session: Session, principal: Principal, page: PageParams, external_id: str | None
) -> Page[MemberPublic]:
    statement = select(Member).where(
        Member.tenant_id == principal.tenant_id, Member.livemode == principal.livemode
    )
    if external_id is not None:
        statement = statement.where(Member.external_id == external_id)
    return paginate(
        session,
        statement,
        sort_column=col(Member.created_at),
        id_column=col(Member.id),
        page=page,
        to_public=to_public,
    )


def update_member(session: Session, member: Member, data: MemberUpdate) -> Member:
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            continue  # an explicit null leaves the field as it was
        setattr(member, field, value)
    if changes:
        member.updated_at = utcnow()
    session.add(member)
    session.flush()
    return member


def erase_member(session: Session, principal: Principal, member: Member) -> None:
    lifecycle.erase_dependents(session, member, principal)
    audit.record(session, principal=principal, action="member.erased", object_id=member.id)
    webhooks_service.record(
        session,
        tenant_id=member.tenant_id,
        livemode=member.livemode,
        type="member.erased",
        data={"member_id": member.id},
    )
    session.delete(member)
    session.flush()


def export_member(
    session: Session, principal: Principal, settings: Settings, member: Member
) -> MemberExport:
    audit.record(session, principal=principal, action="member.exported", object_id=member.id)
    return MemberExport(
        exported_at=utcnow(),
        member=to_public(member),
        **lifecycle.export_sections(session, member, settings),
    )


def mint_token(settings: Settings, member: Member, ttl_seconds: int | None) -> MemberToken:
    ttl = min(
        ttl_seconds or settings.member_token_default_ttl_seconds,
        settings.member_token_max_ttl_seconds,
    )
    token, expires_at = tokens.mint(
        settings.token_secret.get_secret_value(),
        member_id=member.id,
        tenant_id=member.tenant_id,
        livemode=member.livemode,
        ttl_seconds=ttl,
    )
    return MemberToken(token=token, member_id=member.id, expires_at=expires_at)


def revoke_tokens(
    session: Session, member: Member, *, principal: Principal | None, now: datetime | None = None
) -> None:
    """End every token issued to the member before now."""
    member.tokens_valid_after = now or utcnow()
    session.add(member)
    session.flush()
    audit.record(
        session,
        principal=principal,
        tenant_id=member.tenant_id,
        livemode=member.livemode,
        action="member.tokens_revoked",
        object_id=member.id,
    )
