"""Prompts given to a couple, and both partners' answers with mutual reveal. Uses the
catalog (what may be given) and, through `dimension_weights`, whatever says which
dimensions a couple most needs; neither of those imports this module."""

import hashlib
import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.catalog import service as catalog_service
from app.catalog import views as catalog_views
from app.catalog.models import Prompt, PromptDimension
from app.catalog.schemas import PromptPublic
from app.checkins.exceptions import MemberNotInCouple
from app.core.config import Settings
from app.core.db import utcnow
from app.core.ids import new_id
from app.core.pagination import Page, PageParams, paginate
from app.core.security import Principal
from app.couples import service as couples_service
from app.couples.models import Couple
from app.deliveries.exceptions import AnswerLocked, DeliveryNotFound, NoPromptAvailable
from app.deliveries.models import Answer, Delivery
from app.deliveries.schemas import AnswerPublic, AnswerStatus, DeliveryCreate, DeliveryPublic
from app.encryption import service as encryption
from app.encryption.keyring import Keyring
from app.members import lifecycle
from app.members import service as members_service
from app.members.models import Member
from app.webhooks import service as webhooks_service

RECENT = timedelta(days=60)


def recently_delivered(couple_id: str) -> tuple[ColumnElement[bool], ...]:
    """The couple's deliveries of the last `RECENT` days: what recommendations skip (and
    what a cached connection answer's key must follow)."""
    return col(Delivery.couple_id) == couple_id, col(Delivery.delivered_at) > utcnow() - RECENT


# Dimension → weight for choosing a prompt; an empty map means every candidate is as
# likely. The scoring domain supplies the couple's real weights.
DimensionWeights = Callable[[Session, Couple], dict[str, float]]


def _uniform(_session: Session, _couple: Couple) -> dict[str, float]:
    return {}


def _answer_context(delivery_id: str) -> str:
    return f"delivery:{delivery_id}:answer"


def _choose(candidates: list[tuple[str, list[str]]], weights: dict[str, float]) -> str:
    """Weighted draw: a prompt weighs the most its dimensions weigh (at least 1)."""
    scores = [max([1.0, *(weights.get(d, 1.0) for d in dims)]) for _, dims in candidates]
    return random.choices([pid for pid, _ in candidates], weights=scores, k=1)[0]  # noqa: S311 - not security


def create_delivery(
    session: Session,
    principal: Principal,
    couple: Couple,
    data: DeliveryCreate,
    weights: DimensionWeights = _uniform,
) -> Delivery:
    couples_service.lock_active(session, couple)
    if data.prompt_id:
        prompt_id = catalog_service.get_prompt(session, principal, data.prompt_id).id
    else:
        prompt_id = _choose_for(session, principal, couple, data, weights)
    delivery = Delivery(
        id=new_id("dlv"),
        tenant_id=couple.tenant_id,
        livemode=couple.livemode,
        couple_id=couple.id,
        prompt_id=prompt_id,
    )
    session.add(delivery)
    session.flush()
    return delivery


def _choose_for(
    session: Session,
    principal: Principal,
    couple: Couple,
    data: DeliveryCreate,
    weights: DimensionWeights,
) -> str:
    locales = set(
        session.exec(
            select(Member.locale).where(
                col(Member.id).in_([couple.member_a_id, couple.member_b_id])
            )
        )
    ) or {"en"}
    recent = select(Delivery.prompt_id).where(*recently_delivered(couple.id))
    statement = select(Prompt.id, Prompt.dimensions).where(
        catalog_service.visible_prompt(principal),
        col(Prompt.locale).in_(locales),
        col(Prompt.id).not_in(recent),
    )
    if data.depth is not None:
        statement = statement.where(Prompt.depth == data.depth.value)
    if data.kind is not None:
        statement = statement.where(Prompt.kind == data.kind.value)
    if data.dimension is not None:
        statement = statement.where(
            col(Prompt.id).in_(
                select(PromptDimension.prompt_id).where(
                    PromptDimension.dimension == data.dimension.value
                )
            )
        )
    candidates = [(pid, list(dims)) for pid, dims in session.exec(statement)]
    if not candidates:
        raise NoPromptAvailable(
            "Every prompt matching these filters was given to this couple in the last 60 "
            "days; widen the filters or name a prompt_id."
        )
    return _choose(candidates, weights(session, couple))


def get_visible(session: Session, principal: Principal, delivery_id: str) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or not couples_service.sees_couple_data(session, principal, delivery):
        raise DeliveryNotFound(f"No delivery {delivery_id} here.")
    return delivery


def answer(
    session: Session,
    principal: Principal,
    ring: Keyring,
    delivery: Delivery,
    member_id: str | None,
    text: str,
) -> tuple[Answer, bool]:
    """The member's answer and whether it is new. Edits are allowed until both answered."""
    member = members_service.acting_member(session, principal, member_id)
    couple = session.get(Couple, delivery.couple_id)
    assert couple is not None
    couples_service.lock_active(session, couple)
    if member.id not in (couple.member_a_id, couple.member_b_id):
        raise MemberNotInCouple(f"Member {member.id} is not in couple {couple.id}.")
    if delivery.revealed_at is not None:
        raise AnswerLocked("Both partners answered; the answers are now shared as they are.")
    sealed = encryption.encrypt(session, ring, member.id, text, _answer_context(delivery.id))
    existing = session.exec(
        select(Answer).where(Answer.delivery_id == delivery.id, Answer.member_id == member.id)
    ).first()
    if existing is not None:
        existing.text_ciphertext = sealed
        existing.updated_at = utcnow()
        session.add(existing)
        session.flush()
        return existing, False
    new = Answer(
        id=new_id("ans"), delivery_id=delivery.id, member_id=member.id, text_ciphertext=sealed
    )
    try:
        with session.begin_nested():
            session.add(new)
    except IntegrityError:
        raise AnswerLocked(
            "An answer from this member was just recorded; retry to edit it."
        ) from None
    answered = session.exec(select(Answer.member_id).where(Answer.delivery_id == delivery.id)).all()
    if {couple.member_a_id, couple.member_b_id} <= set(answered):
        delivery.revealed_at = utcnow()
        session.add(delivery)
        session.flush()
        webhooks_service.record(
            session,
            tenant_id=delivery.tenant_id,
            livemode=delivery.livemode,
            type="delivery.revealed",
            data={
                "delivery_id": delivery.id,
                "couple_id": delivery.couple_id,
                "prompt_id": delivery.prompt_id,
            },
        )
    return new, True


def answer_public(session: Session, ring: Keyring, delivery: Delivery, row: Answer) -> AnswerPublic:
    return AnswerPublic(
        id=row.id,
        delivery_id=row.delivery_id,
        member_id=row.member_id,
        text=encryption.decrypt(
            session, ring, row.member_id, row.text_ciphertext, _answer_context(delivery.id)
        ),
        answered_at=row.answered_at,
        updated_at=row.updated_at,
        livemode=delivery.livemode,
    )


def present(
    session: Session,
    principal: Principal,
    ring: Keyring,
    delivery: Delivery,
    *,
    include_text: bool = False,
) -> DeliveryPublic:
    couple = session.get(Couple, delivery.couple_id)
    prompt = session.get(Prompt, delivery.prompt_id)
    assert couple is not None
    assert prompt is not None
    rows = {
        a.member_id: a
        for a in session.exec(select(Answer).where(Answer.delivery_id == delivery.id))
    }
    revealed = delivery.revealed_at is not None
    statuses = []
    for member_id in (couple.member_a_id, couple.member_b_id):
        row = rows.get(member_id)
        if principal.is_member:
            readable = member_id == principal.member_id or revealed
        else:
            readable = include_text
        text = None
        if row is not None and readable:
            try:
                text = encryption.decrypt(
                    session, ring, member_id, row.text_ciphertext, _answer_context(delivery.id)
                )
            except encryption.TextUnreadable:
                text = None  # its author was erased; the text is gone with the key
        statuses.append(
            AnswerStatus(
                member_id=member_id,
                answered=row is not None,
                answered_at=row.answered_at if row else None,
                text=text,
            )
        )
    return DeliveryPublic(
        id=delivery.id,
        couple_id=delivery.couple_id,
        prompt=catalog_service.prompt_public(prompt, principal),
        delivered_at=delivery.delivered_at,
        revealed=revealed,
        answers=statuses,
        livemode=delivery.livemode,
    )


def list_deliveries(
    session: Session,
    principal: Principal,
    ring: Keyring,
    couple: Couple,
    page: PageParams,
    *,
    include_text: bool,
) -> Page[DeliveryPublic]:
    return paginate(
        session,
        select(Delivery).where(Delivery.couple_id == couple.id),
        sort_column=col(Delivery.delivered_at),
        id_column=col(Delivery.id),
        page=page,
        to_public=lambda d: present(session, principal, ring, d, include_text=include_text),
    )


# ---- a member's export and erasure -----------------------------------------------------


@lifecycle.exporter("answers")
def _export_answers(session: Session, member: Member, settings: Settings) -> list[object]:
    ring = encryption.keyring(settings)
    rows = session.exec(
        select(Answer, Delivery)
        .join(Delivery, col(Delivery.id) == col(Answer.delivery_id))
        .where(Answer.member_id == member.id)
        .order_by(col(Answer.answered_at))
    ).all()
    return [answer_public(session, ring, d, a).model_dump(mode="json") for a, d in rows]


@lifecycle.eraser("answers")
def _erase_answers(session: Session, member: Member, principal: Principal) -> None:
    session.exec(delete(Answer).where(col(Answer.member_id) == member.id))
    session.flush()


# ---- recommendations -------------------------------------------------------------------


def recent_prompt_ids(session: Session, couple_id: str) -> frozenset[str]:
    """The prompts given to the couple in the last 60 days (recommendations skip them)."""
    return frozenset(
        session.exec(select(Delivery.prompt_id).where(*recently_delivered(couple_id))).all()
    )


def recommend(
    view: catalog_views.PromptView,
    targets: list[tuple[str, str]],
    seed: str,
    recent: frozenset[str],
) -> list[tuple[PromptPublic, str, str]]:
    """One prompt per (dimension, reason) from what the caller sees of the catalogs (`view`),
    not in `recent`, none twice. The pick is stable for a given seed (couple and day), so the
    same call answers the same prompts all day."""
    picked: list[tuple[PromptPublic, str, str]] = []
    taken: set[str] = set()
    for dimension, reason in targets:
        candidates = sorted(
            item.id
            for item in view.with_dimension(dimension)
            if item.id not in recent and item.id not in taken
        )
        if not candidates:
            continue
        digest = hashlib.sha256(f"{seed}:{dimension}".encode()).digest()
        prompt_id = candidates[int.from_bytes(digest[:8], "big") % len(candidates)]
        taken.add(prompt_id)
        picked.append((view.by_id[prompt_id].public, dimension, reason))
    return picked
