from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.dependencies import PrincipalDep, TenantKeyDep
from app.auth.exceptions import ForbiddenForMemberToken
from app.core.errors import responses
from app.core.pagination import Page, PageDep
from app.core.routing import ApiRoute, SessionDep, on_failure
from app.couples import service
from app.couples.dependencies import CoupleDep
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
from app.couples.models import Invite
from app.couples.schemas import CouplePublic, CoupleStatus, InviteAccept, InviteCreate, InvitePublic
from app.members.exceptions import ActingForAnotherMember, MemberIdRequired, MemberNotFound

router = APIRouter(prefix="/v1", route_class=ApiRoute)

CodePath = Annotated[
    str,
    Path(max_length=16, description="The code as shown (`K7QM-4XPT`), any case, dash optional."),
]


def _find_invite(
    request: Request, session: SessionDep, principal: PrincipalDep, code: str, member_id: str | None
) -> Invite:
    """Look a code up behind the guessing guard: every miss counts against the caller."""
    service.check_guessing(session, principal, member_id)
    try:
        return service.find_invite(session, principal, code)
    except InviteNotFound:
        # Counted after the request's transaction rolls back, in one of its own.
        on_failure(request, lambda s: service.record_failed_lookup(s, principal, member_id))
        raise


@router.post(
    "/invites",
    tags=["pairing"],
    status_code=status.HTTP_201_CREATED,
    responses=responses(ActingForAnotherMember, MemberNotFound, AlreadyPaired, MemberIdRequired),
)
def create_invite(body: InviteCreate, session: SessionDep, principal: PrincipalDep) -> InvitePublic:
    """Create an invite

    An invite code (`K7QM-4XPT`) for a member to share with their partner; it expires after
    `ttl_seconds` (default 72 hours). With a secret key name the inviter (`inviter_id`); a
    member token invites as itself. A member already in an active couple cannot invite (409
    `already_paired`).
    """
    invite = service.create_invite(session, principal, body.inviter_id, body.ttl_seconds)
    return service.invite_with_inviter(session, invite)


@router.get(
    "/invites/{code}", tags=["pairing"], responses=responses(InviteNotFound, TooManyAttempts)
)
def get_invite(
    code: CodePath, request: Request, session: SessionDep, principal: PrincipalDep
) -> InvitePublic:
    """Preview an invite

    What the invitee's app shows before accepting: the inviter's display name, the status and
    the expiry. The code is case- and dash-insensitive. Failed lookups are counted per member
    and per key; past the limit, 429 `too_many_attempts` with `Retry-After`.
    """
    invite = _find_invite(request, session, principal, code, principal.member_id)
    return service.invite_with_inviter(session, invite)


@router.post(
    "/invites/{code}/accept",
    tags=["pairing"],
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        InviteNotFound,
        InviteExpired,
        InviteRevoked,
        InviteUsed,
        AlreadyPaired,
        CannotPairWithSelf,
        ActingForAnotherMember,
        MemberIdRequired,
        MemberNotFound,
        TooManyAttempts,
    ),
)
def accept_invite(
    code: CodePath,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    body: InviteAccept | None = None,
) -> CouplePublic:
    """Accept an invite

    Pairs the invitee with the inviter and answers the new couple (201). With a secret key name
    the invitee (`member_id`); a member token accepts as itself. Two accepts racing for one
    invite, or two invites racing for one member, end with exactly one couple.
    """
    member_id = body.member_id if body and body.member_id else principal.member_id
    invite = _find_invite(request, session, principal, code, member_id)
    couple = service.accept_invite(session, principal, invite, body.member_id if body else None)
    return service.couple_public(couple)


@router.delete(
    "/invites/{code}",
    tags=["pairing"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(InviteNotFound, InviteUsed, TooManyAttempts),
)
def revoke_invite(
    code: CodePath, request: Request, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Revoke an invite

    Revokes a pending invite (its inviter, or the tenant); accepting it afterwards is 410
    `invite_revoked`.
    """
    invite = _find_invite(request, session, principal, code, principal.member_id)
    service.revoke_invite(session, principal, invite)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/couples", tags=["couples"], responses=responses(ForbiddenForMemberToken))
def list_couples(
    session: SessionDep,
    principal: TenantKeyDep,
    page: PageDep,
    status: Annotated[
        CoupleStatus | None, Query(description="Only couples in this status.")
    ] = None,
    member_id: Annotated[
        str | None, Query(max_length=64, description="Only couples this member is (or was) in.")
    ] = None,
) -> Page[CouplePublic]:
    """List couples

    Most recently paired first; filter by `status` or by a `member_id` to find a member's
    couples.
    """
    return service.list_couples(session, principal, page, status=status, member_id=member_id)


@router.get("/couples/{couple_id}", tags=["couples"], responses=responses(CoupleNotFound))
def get_couple(couple: CoupleDep) -> CouplePublic:
    """Retrieve a couple

    Both members' ids, the status and the dates. A member token reads only its own active
    couple; the tenant also reads dissolved ones.
    """
    return service.couple_public(couple)


@router.post(
    "/couples/{couple_id}/dissolve",
    tags=["couples"],
    responses=responses(CoupleNotFound, CoupleNotActive),
)
def dissolve_couple(
    session: SessionDep, principal: PrincipalDep, couple: CoupleDep
) -> CouplePublic:
    """Dissolve a couple

    Either member or the tenant ends the couple: both members may pair again at once, and every
    member token issued to them before stops working. The tenant keeps read access.
    """
    return service.couple_public(service.dissolve_couple(session, principal, couple))
