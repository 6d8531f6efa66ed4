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
    """Create a delivery

    Gives the couple a prompt: the one named by `prompt_id`, or one Rapport chooses (optionally
    by `dimension`, `depth`, `kind`) that the couple was not given in the last 60 days, weighted
    toward its weakest dimension. 409 `no_prompt_available` when none is left.
    """
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
    """List a couple's deliveries

    The prompts given to a couple, newest first, each with who has answered. Answer texts follow
    the mutual-reveal rule of `getDelivery`.
    """
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
    """Retrieve a delivery

    The prompt and who has answered. Mutual reveal: a member sees its partner's answer only once
    both have answered (`revealed`); the secret key sees texts with `include_text=true`.
    """
    return service.present(session, principal, ring, delivery, include_text=include_text)


@router.post(
    "/deliveries/{delivery_id}/answers",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": AnswerPublic,
            "description": "The member's earlier answer, edited (before both answered).",
        },
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
    """Answer a delivery

    A member's answer to a delivered prompt (at most 4,000 characters, encrypted at rest). With a
    secret key name the member (`member_id`); a member token answers as itself. Answering again
    edits the answer (200) until both have answered; then it is locked (409 `answer_locked`).
    """
    row, created = service.answer(session, principal, ring, delivery, body.member_id, body.text)
    if not created:
        response.status_code = status.HTTP_200_OK
    return service.answer_public(session, ring, delivery, row)
