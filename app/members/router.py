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
    """Create a member: one of your users, as Rapport knows them."""
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
    """List members, newest first."""
    return service.list_members(session, principal, page, external_id)


@router.get("/{member_id}", responses=responses(MemberNotFound))
def get_member(member: MemberDep) -> MemberPublic:
    """Read a member (a member token may read only itself)."""
    return service.to_public(member)


@router.patch("/{member_id}", responses=responses(ForbiddenForMemberToken, MemberNotFound))
def update_member(
    body: MemberUpdate, session: SessionDep, _principal: TenantKeyDep, member: MemberDep
) -> MemberPublic:
    """Change a member's display name, time zone, day start or locale."""
    return service.to_public(service.update_member(session, member, body))


@router.delete(
    "/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ForbiddenForMemberToken, MemberNotFound),
)
def erase_member(session: SessionDep, principal: TenantKeyDep, member: MemberDep) -> Response:
    """Erase a member and everything held about it; its couple is dissolved."""
    service.erase_member(session, principal, member)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{member_id}/export", responses=responses(ForbiddenForMemberToken, MemberNotFound))
def export_member(
    session: SessionDep, settings: SettingsDep, principal: TenantKeyDep, member: MemberDep
) -> MemberExport:
    """Everything held about a member, as one JSON document."""
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
    """Mint a short-lived token that lets a mobile app act as this member."""
    return service.mint_token(settings, member, body.ttl_seconds if body else None)


@router.post(
    "/{member_id}/tokens/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(ForbiddenForMemberToken, MemberNotFound),
)
def revoke_member_tokens(
    session: SessionDep, principal: TenantKeyDep, member: MemberDep
) -> Response:
    """End every token issued to this member so far."""
    service.revoke_tokens(session, member, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
