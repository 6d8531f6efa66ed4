from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import PrincipalDep, TenantKeyDep
from app.auth.exceptions import ForbiddenForMemberToken
from app.catalog.exceptions import PromptNotFound
from app.checkins.exceptions import MemberNotInCouple
from app.core.errors import responses
from app.core.pagination import Page, PageDep
from app.core.routing import ApiRoute, SessionDep
from app.couples.dependencies import CoupleDep
from app.couples.exceptions import CoupleNotActive, CoupleNotFound
from app.deliveries import service
from app.deliveries.dependencies import DeliveryDep
from app.deliveries.exceptions import AnswerLocked, DeliveryNotFound, NoPromptAvailable
from app.deliveries.schemas import AnswerCreate, AnswerPublic, DeliveryCreate, DeliveryPublic
from app.encryption.dependencies import KeyringDep
from app.members.exceptions import ActingForAnotherMember, MemberIdRequired, MemberNotFound
from app.scoring import service as scoring_service

router = APIRouter(prefix="/v1", tags=["deliveries"], route_class=ApiRoute)

IncludeText = Annotated[bool, Query(description="Secret keys only: include answer text.")]


@router.post(
    "/couples/{couple_id}/deliveries",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ForbiddenForMemberToken, CoupleNotFound, CoupleNotActive, PromptNotFound, NoPromptAvailable
    ),
)
def create_delivery(
    body: DeliveryCreate,
    session: SessionDep,
    principal: TenantKeyDep,
    ring: KeyringDep,
    couple: CoupleDep,
) -> DeliveryPublic:
    """Give the couple a prompt: the one named, or one chosen that it was not given lately."""
    delivery = service.create_delivery(
        session, principal, couple, body, weights=scoring_service.delivery_weights
    )
    return service.present(session, principal, ring, delivery)


@router.get("/couples/{couple_id}/deliveries", responses=responses(CoupleNotFound))
def list_deliveries(
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    couple: CoupleDep,
    page: PageDep,
    include_text: IncludeText = False,
) -> Page[DeliveryPublic]:
    """List the prompts given to a couple, newest first, with who has answered."""
    return service.list_deliveries(
        session, principal, ring, couple, page, include_text=include_text
    )


@router.get("/deliveries/{delivery_id}", responses=responses(DeliveryNotFound))
def get_delivery(
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    delivery: DeliveryDep,
    include_text: IncludeText = False,
) -> DeliveryPublic:
    """Read a delivery; a partner's answer shows once both have answered."""
    return service.present(session, principal, ring, delivery, include_text=include_text)


@router.post(
    "/deliveries/{delivery_id}/answers",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "The member's earlier answer, edited (before both answered)."},
        **responses(
            DeliveryNotFound,
            CoupleNotActive,
            AnswerLocked,
            MemberIdRequired,
            MemberNotInCouple,
            MemberNotFound,
            ActingForAnotherMember,
        ),
    },
)
def create_answer(
    body: AnswerCreate,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    ring: KeyringDep,
    delivery: DeliveryDep,
) -> AnswerPublic:
    """Answer a delivered prompt as a member; answering again edits it until both answered."""
    row, created = service.answer(session, principal, ring, delivery, body.member_id, body.text)
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.answer_public(session, ring, delivery, row)
