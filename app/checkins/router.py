from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import PrincipalDep
from app.checkins import service
from app.checkins.dependencies import CheckInDep
from app.checkins.exceptions import (
    CheckInExists,
    CheckInLocked,
    CheckInNotFound,
    LocalDateOutOfRange,
    MemberNotInCouple,
    NotCheckInAuthor,
)
from app.checkins.schemas import CheckInCreate, CheckInPublic, CheckInReplace
from app.core.errors import responses
from app.core.pagination import Order, Page, PageDep
from app.core.routing import ApiRoute, SessionDep
from app.couples.dependencies import CoupleDep
from app.couples.exceptions import CoupleNotActive, CoupleNotFound
from app.encryption.dependencies import KeyringDep
from app.members.exceptions import ActingForAnotherMember, MemberIdRequired, MemberNotFound

router = APIRouter(prefix="/v1", tags=["check-ins"], route_class=ApiRoute)

IncludeNotes = Annotated[
    bool, Query(description="Secret keys only: include note text (private and shared).")
]


@router.post(
    "/couples/{couple_id}/check-ins",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        CoupleNotFound,
        CoupleNotActive,
        CheckInExists,
        LocalDateOutOfRange,
        MemberIdRequired,
        MemberNotInCouple,
        MemberNotFound,
        ActingForAnotherMember,
    ),
)
def create_check_in(
    body: CheckInCreate,
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    couple: CoupleDep,
) -> CheckInPublic:
    """Create a check-in

    A member's ratings of the seven core dimensions (1–5, at least four), closeness (1–7),
    moments and an optional note, for a local date (default: the member's today, by its time
    zone and day start). With a secret key name the member (`member_id`); a member token checks
    in as itself. One per member and date: a second is 409 `check_in_exists`.
    """
    check_in = service.create_check_in(session, principal, ring, couple, body)
    notes = {check_in.id: body.note} if body.note else None
    return service.present(session, principal, ring, [check_in], include_notes=True, notes=notes)[0]


@router.get("/couples/{couple_id}/check-ins", responses=responses(CoupleNotFound))
def list_check_ins(
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    couple: CoupleDep,
    page: PageDep,
    member_id: Annotated[
        str | None, Query(max_length=64, description="Only this member's check-ins.")
    ] = None,
    date_from: Annotated[date | None, Query(alias="from", description="Oldest local date.")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Newest local date.")] = None,
    order: Annotated[Order, Query(description="`desc` (newest first, default) or `asc`.")] = "desc",
    include_notes: IncludeNotes = False,
) -> Page[CheckInPublic]:
    """List a couple's check-ins

    By local date, newest first (`order=asc` for oldest first), optionally for one member and
    between `from` and `to`. Mutual reveal: a member token sees its partner's ratings for a date
    only once it checked in for that date itself, and never the partner's private note.
    """
    return service.list_check_ins(
        session,
        principal,
        ring,
        couple,
        page,
        member_id=member_id,
        date_from=date_from,
        date_to=date_to,
        order=order,
        include_notes=include_notes,
    )


@router.get("/check-ins/{check_in_id}", responses=responses(CheckInNotFound))
def get_check_in(
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    check_in: CheckInDep,
    include_notes: IncludeNotes = False,
) -> CheckInPublic:
    """Retrieve a check-in

    A partner's check-in is revealed to a member token once the caller checked in for that date;
    until then only that it exists is shown. The secret key sees note text with
    `include_notes=true`.
    """
    return service.present(session, principal, ring, [check_in], include_notes=include_notes)[0]


@router.put(
    "/check-ins/{check_in_id}",
    responses=responses(CheckInNotFound, NotCheckInAuthor, CheckInLocked),
)
def replace_check_in(
    body: CheckInReplace,
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    check_in: CheckInDep,
) -> CheckInPublic:
    """Replace a check-in

    Replaces the ratings, closeness, moments and note (the member and date never change), by
    its author or the tenant, until the end of the local day after its date; later, 409
    `check_in_locked`.
    """
    replaced = service.replace_check_in(session, principal, ring, check_in, body)
    notes = {replaced.id: body.note} if body.note else None
    return service.present(session, principal, ring, [replaced], include_notes=True, notes=notes)[0]


@router.delete(
    "/check-ins/{check_in_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(CheckInNotFound, NotCheckInAuthor),
)
def delete_check_in(session: SessionDep, principal: PrincipalDep, check_in: CheckInDep) -> Response:
    """Delete a check-in

    Deletes a check-in, by its author or the tenant.
    """
    service.delete_check_in(session, principal, check_in)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
