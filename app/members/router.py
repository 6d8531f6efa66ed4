from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import TenantKeyDep
from app.auth.exceptions import ForbiddenForMemberToken
from app.core.errors import responses
from app.core.pagination import Page, PageDep
from app.core.routing import ApiRoute, SessionDep, SettingsDep
from app.members import service
from app.members.dependencies import MemberDep
from app.members.exceptions import MemberExists, MemberNotFound
from app.members.schemas import (
    MemberCreate,
    MemberExport,
    MemberPublic,
    MemberToken,
    MemberTokenCreate,
    MemberUpdate,
)

router = APIRouter(prefix="/v1/members", tags=["members"], route_class=ApiRoute)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=responses(ForbiddenForMemberToken, MemberExists),
)
def create_member(body: MemberCreate, session: SessionDep, principal: TenantKeyDep) -> MemberPublic:
    """Create a member

    A member is one of your users as Rapport knows it: your own `external_id`, the
    `display_name` shown to a partner, and the `timezone` and `day_starts_at_hour` that decide
    which local day a check-in counts for. `external_id` is unique in the tenant and mode: a
    second create is 409 `member_exists`, naming the existing member's id.
    """
    return service.to_public(service.create_member(session, principal, body))


@router.get("", responses=responses(ForbiddenForMemberToken))
def list_members(
    session: SessionDep,
    principal: TenantKeyDep,
    page: PageDep,
    external_id: Annotated[
        str | None, Query(max_length=255, description="Only the member with this external_id.")
    ] = None,
) -> Page[MemberPublic]:
    """List members

    Newest first. Filter by `external_id` to find the member that stands for one of your users.
    """
    return service.list_members(session, principal, page, external_id)


@router.get("/{member_id}", responses=responses(MemberNotFound))
def get_member(member: MemberDep) -> MemberPublic:
    """Retrieve a member

    With a secret key, any member of the tenant in this mode; a member token reads only its own
    member (any other id is 404 `not_found`).
    """
    return service.to_public(member)


@router.patch("/{member_id}", responses=responses(ForbiddenForMemberToken, MemberNotFound))
def update_member(
    body: MemberUpdate, session: SessionDep, _principal: TenantKeyDep, member: MemberDep
) -> MemberPublic:
    """Update a member

    Changes the display name, time zone, day start or locale; fields left out stay as they are.
    A new time zone or day start applies to check-ins made from then on.
    """
    return service.to_public(service.update_member(session, member, body))


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ForbiddenForMemberToken, MemberNotFound),
)
def erase_member(session: SessionDep, principal: TenantKeyDep, member: MemberDep) -> Response:
    """Erase a member

    Deletes the member and everything held about it: its check-ins, notes, answers and invites;
    its active couple is dissolved and its per-member encryption key destroyed, so its text is
    unreadable even in old backups. Recorded in the audit log. Afterwards the id is 404.
    """
    service.erase_member(session, principal, member)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{member_id}/export", responses=responses(ForbiddenForMemberToken, MemberNotFound))
def export_member(
    session: SessionDep, settings: SettingsDep, principal: TenantKeyDep, member: MemberDep
) -> MemberExport:
    """Export a member's data

    Everything held about the member, as one JSON document (for a data-access request): the
    member, its couples, invites, check-ins with their notes, and answers.
    """
    return service.export_member(session, principal, settings, member)


@router.post(
    "/{member_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    responses=responses(ForbiddenForMemberToken, MemberNotFound),
)
def create_member_token(
    settings: SettingsDep,
    _principal: TenantKeyDep,
    member: MemberDep,
    body: MemberTokenCreate | None = None,
) -> MemberToken:
    """Create a member token

    Mints a short-lived token (a signed JWT) that lets your mobile app call the API as this
    member: it reads the catalogs, itself, its active couple and that couple's data, and submits
    its own check-ins and answers. `ttl_seconds` is 60 to 86,400 (default 3,600). Erasing the
    member, dissolving its couple or revoking its tokens ends it early.
    """
    return service.mint_token(settings, member, body.ttl_seconds if body else None)


@router.post(
    "/{member_id}/tokens/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ForbiddenForMemberToken, MemberNotFound),
)
def revoke_member_tokens(
    session: SessionDep, principal: TenantKeyDep, member: MemberDep
) -> Response:
    """Revoke a member's tokens

    Ends every member token issued to this member so far (a lost phone, a sign-out everywhere);
    tokens minted afterwards work. Recorded in the audit log.
    """
    service.revoke_tokens(session, member, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
