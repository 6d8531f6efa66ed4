"""Deliveries and answers: prompts given to a couple, and both partners' answers with mutual
reveal, as partners' backends and apps see them."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, func, select

from app.catalog.content import builtin_id
from app.catalog.models import Prompt, PromptDimension
from app.core.config import Settings
from app.core.db import utcnow
from app.deliveries.models import Answer, Delivery
from app.encryption import service as encryption
from app.members.models import Member
from tests.factories import TenantWithKeys, bearer, make_member, member_token

Json = dict[str, Any]
Headers = dict[str, str]

PROMPT_ID = builtin_id("prm", "listening-fix-versus-hear")
MORE_PROMPT_IDS = [
    builtin_id("prm", slug)
    for slug in (
        "appreciation-three-before-bed",
        "appreciation-tucked-away-note",
        "dreams-rabbit-hole",
    )
]
# A narrow filter that still matches a few built-in prompts.
NARROW = {"dimension": "safety", "depth": "medium", "kind": "activity"}

ALEX_TEXT = "I feel closest when we cook together on Sundays."
BLAKE_TEXT = "When you ask about my day and really wait for the answer."


def pair_up(client: TestClient, tenant: TenantWithKeys, inviter: Member, invitee: Member) -> str:
    """Pair two members through the API as a partner's backend does; the couple's id."""
    invite = client.post("/v1/invites", json={"inviter_id": inviter.id}, headers=tenant.headers())
    assert invite.status_code == 201, invite.text
    accepted = client.post(
        f"/v1/invites/{invite.json()['code']}/accept",
        json={"member_id": invitee.id},
        headers=tenant.headers(),
    )
    assert accepted.status_code == 201, accepted.text
    return str(accepted.json()["id"])


@dataclass
class Paired:
    id: str
    alex_id: str
    blake_id: str
    alex: Headers
    blake: Headers

    def headers_of(self, name: str) -> Headers:
        return self.alex if name == "alex" else self.blake

    def id_of(self, name: str) -> str:
        return self.alex_id if name == "alex" else self.blake_id


@pytest.fixture
def couple(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> Paired:
    alex = make_member(session, tenant_id=tenant.id, display_name="Alex")
    blake = make_member(session, tenant_id=tenant.id, display_name="Blake")
    couple_id = pair_up(client, tenant, alex, blake)
    return Paired(
        id=couple_id,
        alex_id=alex.id,
        blake_id=blake.id,
        alex=bearer(member_token(settings, alex)),
        blake=bearer(member_token(settings, blake)),
    )


@pytest.fixture
def other_couple(
    client: TestClient, session: Session, settings: Settings, tenant: TenantWithKeys
) -> Paired:
    carol = make_member(session, tenant_id=tenant.id, display_name="Carol")
    dana = make_member(session, tenant_id=tenant.id, display_name="Dana")
    couple_id = pair_up(client, tenant, carol, dana)
    return Paired(
        id=couple_id,
        alex_id=carol.id,
        blake_id=dana.id,
        alex=bearer(member_token(settings, carol)),
        blake=bearer(member_token(settings, dana)),
    )


def deliver(client: TestClient, couple_id: str, headers: Headers, **body: object) -> Response:
    response: Response = client.post(
        f"/v1/couples/{couple_id}/deliveries", json=body, headers=headers
    )
    return response


def delivered(client: TestClient, tenant: TenantWithKeys, couple_id: str, **body: object) -> Json:
    response = deliver(client, couple_id, tenant.headers(), **body)
    assert response.status_code == 201, response.text
    result: Json = response.json()
    return result


def answer(client: TestClient, delivery_id: str, headers: Headers, **body: object) -> Response:
    response: Response = client.post(
        f"/v1/deliveries/{delivery_id}/answers", json=body, headers=headers
    )
    return response


def read(client: TestClient, delivery_id: str, headers: Headers, **params: str) -> Json:
    response = client.get(f"/v1/deliveries/{delivery_id}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


def seen(delivery: Json) -> dict[str, tuple[bool, str | None]]:
    """member id → (answered, text) as the caller sees the delivery."""
    return {a["member_id"]: (a["answered"], a["text"]) for a in delivery["answers"]}


def delivery_count(session: Session, couple_id: str) -> int:
    return session.exec(
        select(func.count()).select_from(Delivery).where(Delivery.couple_id == couple_id)
    ).one()


def matching_prompts(session: Session, *, dimension: str, depth: str, kind: str) -> set[str]:
    """Built-in English prompts a couple could be given for these filters."""
    return set(
        session.exec(
            select(Prompt.id)
            .join(PromptDimension, col(PromptDimension.prompt_id) == col(Prompt.id))
            .where(
                PromptDimension.dimension == dimension,
                Prompt.depth == depth,
                Prompt.kind == kind,
                Prompt.locale == "en",
                col(Prompt.tenant_id).is_(None),
                col(Prompt.archived_at).is_(None),
            )
        ).all()
    )


def backdate(session: Session, delivery_id: str, when: timedelta) -> None:
    row = session.get(Delivery, delivery_id)
    assert row is not None
    row.delivered_at = utcnow() - when
    session.add(row)
    session.flush()


class TestCreateDelivery:
    def test_named_builtin_prompt(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        response = deliver(client, couple.id, tenant.headers(), prompt_id=PROMPT_ID)
        assert response.status_code == 201, response.text
        body = response.json()
        prompt = client.get(f"/v1/prompts/{PROMPT_ID}", headers=tenant.headers())
        assert prompt.status_code == 200
        assert body["id"].startswith("dlv_")
        assert body["couple_id"] == couple.id
        assert body["prompt"] == prompt.json()
        assert body["prompt"]["id"] == PROMPT_ID
        assert body["revealed"] is False
        assert body["answers"] == [
            {"member_id": couple.alex_id, "answered": False, "answered_at": None, "text": None},
            {"member_id": couple.blake_id, "answered": False, "answered_at": None, "text": None},
        ]
        assert body["livemode"] is False
        assert body["delivered_at"].endswith("Z")
        row = session.get(Delivery, body["id"])
        assert row is not None
        assert (row.couple_id, row.prompt_id, row.tenant_id, row.livemode) == (
            couple.id,
            PROMPT_ID,
            tenant.id,
            False,
        )
        assert row.revealed_at is None
        # Reading it back, by the tenant or either partner, gives the same delivery.
        for headers in (tenant.headers(), couple.alex, couple.blake):
            assert read(client, body["id"], headers) == body

    @pytest.mark.parametrize(
        "filters",
        [
            {},
            {"dimension": "listening"},
            {"depth": "deep"},
            {"kind": "activity"},
            {"dimension": "conflict_repair", "depth": "light", "kind": "reflection"},
        ],
    )
    def test_chosen_prompt_matches_filters(
        self,
        filters: dict[str, str],
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        couple: Paired,
    ) -> None:
        chosen = []
        for _ in range(2):
            prompt = delivered(client, tenant, couple.id, **filters)["prompt"]
            chosen.append(prompt["id"])
            assert prompt["builtin"] is True and prompt["locale"] == "en"
            if "dimension" in filters:
                assert filters["dimension"] in prompt["dimensions"]
            if "depth" in filters:
                assert prompt["depth"] == filters["depth"]
            if "kind" in filters:
                assert prompt["kind"] == filters["kind"]
        assert len(set(chosen)) == 2
        assert delivery_count(session, couple.id) == 2

    @pytest.mark.parametrize(
        "filters", [{"dimension": "listening"}, {"depth": "light"}, {"kind": "question"}]
    )
    def test_prompt_id_and_filters_is_422(
        self,
        filters: dict[str, str],
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        couple: Paired,
    ) -> None:
        response = deliver(client, couple.id, tenant.headers(), prompt_id=PROMPT_ID, **filters)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert delivery_count(session, couple.id) == 0

    @pytest.mark.parametrize(
        "body", [{"depth": "extreme"}, {"dimension": "romance"}, {"prompt": PROMPT_ID}]
    )
    def test_bad_body_is_422(
        self, body: Json, client: TestClient, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        response = deliver(client, couple.id, tenant.headers(), **body)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    def test_unknown_or_foreign_prompt_is_404(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        couple: Paired,
    ) -> None:
        catalog = client.post(
            "/v1/catalogs", json={"title": "Theirs"}, headers=other_tenant.headers()
        ).json()
        foreign = client.post(
            f"/v1/catalogs/{catalog['id']}/prompts",
            json={
                "text": "What would make this week feel lighter for you?",
                "category": "improving_intimacy",
                "dimensions": ["support"],
                "depth": "light",
                "kind": "question",
            },
            headers=other_tenant.headers(),
        )
        assert foreign.status_code == 201, foreign.text
        for prompt_id in (
            "prm_doesnotexist",
            builtin_id("prm", "no-such-slug"),
            foreign.json()["id"],
        ):
            response = deliver(client, couple.id, tenant.headers(), prompt_id=prompt_id)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
        assert delivery_count(session, couple.id) == 0

    def test_tenant_own_prompt(
        self, client: TestClient, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        catalog = client.post(
            "/v1/catalogs", json={"title": "Ours"}, headers=tenant.headers()
        ).json()
        own = client.post(
            f"/v1/catalogs/{catalog['id']}/prompts",
            json={
                "text": "Which song takes you back to when we met?",
                "category": "improving_intimacy",
                "dimensions": ["quality_time"],
                "depth": "light",
                "kind": "question",
            },
            headers=tenant.headers(),
        ).json()
        body = delivered(client, tenant, couple.id, prompt_id=own["id"])
        assert body["prompt"]["id"] == own["id"]
        assert body["prompt"]["builtin"] is False

    def test_member_token_is_forbidden(
        self, client: TestClient, session: Session, couple: Paired
    ) -> None:
        for headers in (couple.alex, couple.blake):
            for body in ({"prompt_id": PROMPT_ID}, {}):
                response = deliver(client, couple.id, headers, **body)
                assert response.status_code == 403
                assert response.json()["code"] == "forbidden_for_member_token"
        assert delivery_count(session, couple.id) == 0

    def test_dissolved_couple_is_409(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        dissolved = client.post(f"/v1/couples/{couple.id}/dissolve", headers=tenant.headers())
        assert dissolved.status_code == 200
        for body in ({"prompt_id": PROMPT_ID}, {}, {"depth": "light"}):
            response = deliver(client, couple.id, tenant.headers(), **body)
            assert response.status_code == 409
            assert response.json()["code"] == "couple_not_active"
        assert delivery_count(session, couple.id) == 0

    def test_other_tenant_or_mode_sees_no_couple(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        couple: Paired,
    ) -> None:
        for headers in (other_tenant.headers(), tenant.headers(livemode=True)):
            response = deliver(client, couple.id, headers, prompt_id=PROMPT_ID)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
        assert delivery_count(session, couple.id) == 0


class TestNoRepeats:
    def test_each_matching_prompt_once_then_409(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        couple: Paired,
        other_couple: Paired,
    ) -> None:
        expected = matching_prompts(session, **NARROW)
        assert len(expected) >= 2  # the filter must leave a real choice
        chosen = [delivered(client, tenant, couple.id, **NARROW)["prompt"]["id"] for _ in expected]
        assert len(set(chosen)) == len(chosen)
        assert set(chosen) == expected

        exhausted = deliver(client, couple.id, tenant.headers(), **NARROW)
        assert exhausted.status_code == 409
        assert exhausted.json()["code"] == "no_prompt_available"
        assert delivery_count(session, couple.id) == len(expected)

        # Naming one of them still gives it again; another couple is not affected.
        again = delivered(client, tenant, couple.id, prompt_id=chosen[0])
        assert again["prompt"]["id"] == chosen[0]
        assert delivered(client, tenant, other_couple.id, **NARROW)["prompt"]["id"] in expected

    def test_delivery_older_than_60_days_no_longer_blocks(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        expected = matching_prompts(session, **NARROW)
        deliveries = [delivered(client, tenant, couple.id, **NARROW) for _ in expected]
        oldest = deliveries[0]

        backdate(session, oldest["id"], timedelta(days=59))
        blocked = deliver(client, couple.id, tenant.headers(), **NARROW)
        assert blocked.status_code == 409
        assert blocked.json()["code"] == "no_prompt_available"

        backdate(session, oldest["id"], timedelta(days=60, minutes=5))
        again = deliver(client, couple.id, tenant.headers(), **NARROW)
        assert again.status_code == 201, again.text
        assert again.json()["prompt"]["id"] == oldest["prompt"]["id"]
        assert again.json()["id"] != oldest["id"]
        assert delivery_count(session, couple.id) == len(expected) + 1


class TestAnswers:
    @pytest.fixture
    def delivery_id(self, client: TestClient, tenant: TenantWithKeys, couple: Paired) -> str:
        return str(delivered(client, tenant, couple.id, prompt_id=PROMPT_ID)["id"])

    def test_answer_then_edit(
        self, client: TestClient, session: Session, couple: Paired, delivery_id: str
    ) -> None:
        first = answer(client, delivery_id, couple.alex, text=ALEX_TEXT)
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["id"].startswith("ans_")
        assert body["delivery_id"] == delivery_id
        assert body["member_id"] == couple.alex_id
        assert body["text"] == ALEX_TEXT
        assert body["livemode"] is False
        assert body["answered_at"] == body["updated_at"]

        edited = answer(client, delivery_id, couple.alex, text="On second thought: hiking.")
        assert edited.status_code == 200, edited.text
        assert edited.json()["id"] == body["id"]
        assert edited.json()["text"] == "On second thought: hiking."
        assert edited.json()["answered_at"] == body["answered_at"]
        assert edited.json()["updated_at"] >= body["updated_at"]

        rows = session.exec(select(Answer).where(Answer.delivery_id == delivery_id)).all()
        assert [(r.id, r.member_id) for r in rows] == [(body["id"], couple.alex_id)]
        mine = seen(read(client, delivery_id, couple.alex))
        assert mine[couple.alex_id] == (True, "On second thought: hiking.")
        assert read(client, delivery_id, couple.alex)["revealed"] is False

    @pytest.mark.parametrize(("first", "second"), [("alex", "blake"), ("blake", "alex")])
    def test_mutual_reveal_from_both_sides(
        self,
        first: str,
        second: str,
        client: TestClient,
        session: Session,
        couple: Paired,
        delivery_id: str,
    ) -> None:
        texts = {"alex": ALEX_TEXT, "blake": BLAKE_TEXT}
        one, two = couple.id_of(first), couple.id_of(second)
        response = answer(client, delivery_id, couple.headers_of(first), text=texts[first])
        assert response.status_code == 201

        # The partner learns only that the first one answered; the author sees its own text.
        partner_view = read(client, delivery_id, couple.headers_of(second))
        assert partner_view["revealed"] is False
        assert seen(partner_view) == {one: (True, None), two: (False, None)}
        assert next(a for a in partner_view["answers"] if a["member_id"] == one)["answered_at"]
        # Asking for text with a member token changes nothing.
        assert seen(read(client, delivery_id, couple.headers_of(second), include_text="true")) == {
            one: (True, None),
            two: (False, None),
        }
        author_view = read(client, delivery_id, couple.headers_of(first))
        assert seen(author_view) == {one: (True, texts[first]), two: (False, None)}
        assert (
            session.exec(select(Delivery.revealed_at).where(Delivery.id == delivery_id)).one()
            is None
        )

        response = answer(client, delivery_id, couple.headers_of(second), text=texts[second])
        assert response.status_code == 201
        assert response.json()["member_id"] == two
        for name in ("alex", "blake"):
            view = read(client, delivery_id, couple.headers_of(name))
            assert view["revealed"] is True
            assert seen(view) == {
                couple.alex_id: (True, ALEX_TEXT),
                couple.blake_id: (True, BLAKE_TEXT),
            }
        assert (
            session.exec(select(Delivery.revealed_at).where(Delivery.id == delivery_id)).one()
            is not None
        )

    def test_locked_once_both_answered(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        couple: Paired,
        delivery_id: str,
    ) -> None:
        assert answer(client, delivery_id, couple.alex, text=ALEX_TEXT).status_code == 201
        assert answer(client, delivery_id, couple.blake, text=BLAKE_TEXT).status_code == 201
        attempts = [
            (couple.alex, {"text": "changed"}),
            (couple.blake, {"text": "changed"}),
            (tenant.headers(), {"member_id": couple.alex_id, "text": "changed"}),
        ]
        for headers, body in attempts:
            response = answer(client, delivery_id, headers, **body)
            assert response.status_code == 409
            assert response.json()["code"] == "answer_locked"
        view = read(client, delivery_id, tenant.headers(), include_text="true")
        assert seen(view) == {
            couple.alex_id: (True, ALEX_TEXT),
            couple.blake_id: (True, BLAKE_TEXT),
        }
        count = session.exec(
            select(func.count()).select_from(Answer).where(Answer.delivery_id == delivery_id)
        ).one()
        assert count == 2

    def test_tenant_key_reads_text_only_with_include_text(
        self, client: TestClient, tenant: TenantWithKeys, couple: Paired, delivery_id: str
    ) -> None:
        response = answer(
            client, delivery_id, tenant.headers(), member_id=couple.alex_id, text=ALEX_TEXT
        )
        assert response.status_code == 201
        assert response.json()["member_id"] == couple.alex_id
        assert seen(read(client, delivery_id, tenant.headers())) == {
            couple.alex_id: (True, None),
            couple.blake_id: (False, None),
        }
        assert seen(read(client, delivery_id, tenant.headers(), include_text="true")) == {
            couple.alex_id: (True, ALEX_TEXT),
            couple.blake_id: (False, None),
        }

        assert answer(client, delivery_id, couple.blake, text=BLAKE_TEXT).status_code == 201
        plain = read(client, delivery_id, tenant.headers())
        assert plain["revealed"] is True
        assert seen(plain) == {couple.alex_id: (True, None), couple.blake_id: (True, None)}
        assert seen(read(client, delivery_id, tenant.headers(), include_text="true")) == {
            couple.alex_id: (True, ALEX_TEXT),
            couple.blake_id: (True, BLAKE_TEXT),
        }

    def test_secret_key_needs_member_id(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, delivery_id: str
    ) -> None:
        response = answer(client, delivery_id, tenant.headers(), text=ALEX_TEXT)
        assert response.status_code == 422
        assert response.json()["code"] == "member_id_required"
        assert response.json()["errors"][0]["pointer"] == "#/member_id"
        assert session.exec(select(Answer).where(Answer.delivery_id == delivery_id)).all() == []

    def test_member_not_in_couple(
        self,
        client: TestClient,
        session: Session,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        delivery_id: str,
    ) -> None:
        carol = make_member(session, tenant_id=tenant.id, display_name="Carol")
        response = answer(client, delivery_id, tenant.headers(), member_id=carol.id, text="hi")
        assert response.status_code == 422
        assert response.json()["code"] == "member_not_in_couple"
        assert response.json()["errors"][0]["pointer"] == "#/member_id"
        # A member of another tenant is not even there.
        outsider = make_member(session, tenant_id=other_tenant.id)
        response = answer(client, delivery_id, tenant.headers(), member_id=outsider.id, text="hi")
        assert response.status_code == 404
        assert session.exec(select(Answer).where(Answer.delivery_id == delivery_id)).all() == []

    def test_token_cannot_answer_for_partner(
        self, client: TestClient, session: Session, couple: Paired, delivery_id: str
    ) -> None:
        response = answer(
            client, delivery_id, couple.alex, member_id=couple.blake_id, text=ALEX_TEXT
        )
        assert response.status_code == 403
        assert response.json()["code"] == "cannot_act_for_another_member"
        # Naming itself is fine.
        own = answer(client, delivery_id, couple.alex, member_id=couple.alex_id, text=ALEX_TEXT)
        assert own.status_code == 201
        assert own.json()["member_id"] == couple.alex_id
        rows = session.exec(select(Answer.member_id).where(Answer.delivery_id == delivery_id))
        assert rows.all() == [couple.alex_id]

    def test_stranger_sees_no_delivery(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        other_couple: Paired,
        delivery_id: str,
    ) -> None:
        loner = make_member(session, tenant_id=tenant.id)
        strangers = [
            bearer(member_token(settings, loner)),
            other_couple.alex,
            other_tenant.headers(),
            tenant.headers(livemode=True),
        ]
        for headers in strangers:
            got = client.get(f"/v1/deliveries/{delivery_id}", headers=headers)
            assert got.status_code == 404
            assert got.json()["code"] == "not_found"
            posted = answer(client, delivery_id, headers, text="let me in")
            assert posted.status_code == 404
            assert posted.json()["code"] == "not_found"
        assert session.exec(select(Answer).where(Answer.delivery_id == delivery_id)).all() == []
        missing = client.get("/v1/deliveries/dlv_doesnotexist", headers=tenant.headers())
        assert missing.status_code == 404

    @pytest.mark.parametrize("text", ["", "x" * 4001])
    def test_text_length(
        self, text: str, client: TestClient, couple: Paired, delivery_id: str
    ) -> None:
        response = answer(client, delivery_id, couple.alex, text=text)
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "#/text"
        longest = answer(client, delivery_id, couple.alex, text="x" * 4000)
        assert longest.status_code == 201
        assert longest.json()["text"] == "x" * 4000

    def test_dissolved_couple_cannot_answer(
        self, client: TestClient, tenant: TenantWithKeys, couple: Paired, delivery_id: str
    ) -> None:
        dissolved = client.post(f"/v1/couples/{couple.id}/dissolve", headers=tenant.headers())
        assert dissolved.status_code == 200
        response = answer(
            client, delivery_id, tenant.headers(), member_id=couple.alex_id, text=ALEX_TEXT
        )
        assert response.status_code == 409
        assert response.json()["code"] == "couple_not_active"
        # The tenant keeps read access to the dissolved couple's deliveries.
        assert read(client, delivery_id, tenant.headers())["couple_id"] == couple.id


class TestListDeliveries:
    def test_newest_first_with_cursor(
        self, client: TestClient, session: Session, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        made = [delivered(client, tenant, couple.id, prompt_id=p)["id"] for p in MORE_PROMPT_IDS]
        # Delivery times out of creation order: the list follows delivered_at.
        for delivery_id, days in zip(made, (1, 3, 2), strict=True):
            backdate(session, delivery_id, timedelta(days=days))
        expected = [made[0], made[2], made[1]]

        for headers in (tenant.headers(), couple.alex, couple.blake):
            path = f"/v1/couples/{couple.id}/deliveries"
            first = client.get(path, params={"limit": 2}, headers=headers)
            assert first.status_code == 200
            page = first.json()
            assert [d["id"] for d in page["data"]] == expected[:2]
            assert page["has_more"] is True and page["next_cursor"]
            assert [d["prompt"]["id"] for d in page["data"]] == [
                MORE_PROMPT_IDS[0],
                MORE_PROMPT_IDS[2],
            ]
            rest = client.get(
                path, params={"limit": 2, "cursor": page["next_cursor"]}, headers=headers
            ).json()
            assert [d["id"] for d in rest["data"]] == expected[2:]
            assert rest["has_more"] is False and rest["next_cursor"] is None
            everything = client.get(path, headers=headers).json()
            assert [d["id"] for d in everything["data"]] == expected

        bad = client.get(
            f"/v1/couples/{couple.id}/deliveries",
            params={"cursor": "not-a-cursor"},
            headers=tenant.headers(),
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_cursor"

    def test_list_shows_who_answered_and_text_by_caller(
        self, client: TestClient, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        delivery_id = delivered(client, tenant, couple.id, prompt_id=PROMPT_ID)["id"]
        assert answer(client, delivery_id, couple.alex, text=ALEX_TEXT).status_code == 201
        path = f"/v1/couples/{couple.id}/deliveries"
        as_blake = client.get(path, headers=couple.blake).json()["data"]
        assert seen(as_blake[0]) == {couple.alex_id: (True, None), couple.blake_id: (False, None)}
        as_tenant = client.get(path, params={"include_text": "true"}, headers=tenant.headers())
        assert seen(as_tenant.json()["data"][0])[couple.alex_id] == (True, ALEX_TEXT)

    def test_other_couple_or_tenant_gets_404(
        self,
        client: TestClient,
        tenant: TenantWithKeys,
        other_tenant: TenantWithKeys,
        couple: Paired,
        other_couple: Paired,
    ) -> None:
        delivered(client, tenant, couple.id, prompt_id=PROMPT_ID)
        for headers in (other_couple.alex, other_couple.blake, other_tenant.headers()):
            response = client.get(f"/v1/couples/{couple.id}/deliveries", headers=headers)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
        empty = client.get(f"/v1/couples/{other_couple.id}/deliveries", headers=other_couple.alex)
        assert empty.status_code == 200
        assert empty.json() == {"data": [], "has_more": False, "next_cursor": None}


class TestEncryptionAtRest:
    def test_answer_text_is_not_stored_in_plaintext(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        couple: Paired,
    ) -> None:
        delivery_id = delivered(client, tenant, couple.id, prompt_id=PROMPT_ID)["id"]
        answered = answer(client, delivery_id, couple.alex, text=ALEX_TEXT)
        assert answered.status_code == 201
        stored = bytes(
            session.exec(
                select(Answer.text_ciphertext).where(Answer.id == answered.json()["id"])
            ).one()
        )
        assert stored
        assert ALEX_TEXT.encode() not in stored
        assert b"Sundays" not in stored
        # It is the text, sealed under Alex's key for this delivery.
        ring = encryption.keyring(settings)
        context = f"delivery:{delivery_id}:answer"
        assert encryption.decrypt(session, ring, couple.alex_id, stored, context) == ALEX_TEXT
        with pytest.raises(encryption.TextUnreadable):
            encryption.decrypt(session, ring, couple.blake_id, stored, context)


class TestExportAndErasure:
    def test_export_holds_own_answers_only(
        self, client: TestClient, tenant: TenantWithKeys, couple: Paired
    ) -> None:
        first = delivered(client, tenant, couple.id, prompt_id=PROMPT_ID)["id"]
        second = delivered(client, tenant, couple.id, prompt_id=MORE_PROMPT_IDS[0])["id"]
        alex_first = answer(client, first, couple.alex, text=ALEX_TEXT).json()
        answer(client, first, couple.blake, text=BLAKE_TEXT)
        alex_second = answer(client, second, couple.alex, text="Our walks after dinner.").json()

        response = client.get(f"/v1/members/{couple.alex_id}/export", headers=tenant.headers())
        assert response.status_code == 200
        exported = response.json()["answers"]
        assert exported == [alex_first, alex_second]
        assert {a["member_id"] for a in exported} == {couple.alex_id}
        assert BLAKE_TEXT not in response.text

        blake = client.get(f"/v1/members/{couple.blake_id}/export", headers=tenant.headers())
        assert [(a["delivery_id"], a["text"]) for a in blake.json()["answers"]] == [
            (first, BLAKE_TEXT)
        ]
        assert ALEX_TEXT not in blake.text

        forbidden = client.get(f"/v1/members/{couple.alex_id}/export", headers=couple.alex)
        assert forbidden.status_code == 403
        assert forbidden.json()["code"] == "forbidden_for_member_token"

    def test_erasure_removes_answers_and_key(
        self,
        client: TestClient,
        session: Session,
        settings: Settings,
        tenant: TenantWithKeys,
        couple: Paired,
    ) -> None:
        delivery_id = delivered(client, tenant, couple.id, prompt_id=PROMPT_ID)["id"]
        assert answer(client, delivery_id, couple.alex, text=ALEX_TEXT).status_code == 201
        assert answer(client, delivery_id, couple.blake, text=BLAKE_TEXT).status_code == 201
        ring = encryption.keyring(settings)
        context = f"delivery:{delivery_id}:answer"
        copied = bytes(
            session.exec(
                select(Answer.text_ciphertext).where(
                    Answer.delivery_id == delivery_id, Answer.member_id == couple.alex_id
                )
            ).one()
        )
        assert encryption.decrypt(session, ring, couple.alex_id, copied, context) == ALEX_TEXT

        erased = client.delete(f"/v1/members/{couple.alex_id}", headers=tenant.headers())
        assert erased.status_code == 204
        session.expire_all()  # forget the key row this session loaded before the erasure

        assert session.exec(select(Answer).where(Answer.member_id == couple.alex_id)).all() == []
        with pytest.raises(encryption.TextUnreadable):
            encryption.decrypt(session, ring, couple.alex_id, copied, context)
        # Blake's answer stays; Alex's is gone from the delivery the tenant still reads.
        view = read(client, delivery_id, tenant.headers(), include_text="true")
        assert seen(view) == {couple.alex_id: (False, None), couple.blake_id: (True, BLAKE_TEXT)}
        gone = client.get(f"/v1/members/{couple.alex_id}/export", headers=tenant.headers())
        assert gone.status_code == 404
