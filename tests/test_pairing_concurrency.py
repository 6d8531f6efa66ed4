"""Races, with real concurrent HTTP requests against a served app on a committed database:
however accepts interleave, each ends with exactly one couple and clear errors for losers."""

from collections import Counter

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.couples.models import ActivePairing, Couple
from tests.conftest import LiveServer, race
from tests.factories import TenantWithKeys

ROUNDS = 5
RACERS = 8


def create_member(client: httpx.Client, headers: dict[str, str], name: str) -> str:
    response = client.post(
        "/v1/members", json={"external_id": name, "display_name": name}, headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def couples_with(live_server: LiveServer, member_ids: list[str]) -> int:
    with Session(live_server.engine) as session:
        return session.exec(
            select(func.count())
            .select_from(Couple)
            .where(
                col(Couple.member_a_id).in_(member_ids) | col(Couple.member_b_id).in_(member_ids)
            )
        ).one()


@pytest.mark.slow
def test_many_accepts_race_for_one_invite(
    live_server: LiveServer, tenant_on_server: TenantWithKeys
) -> None:
    headers = tenant_on_server.headers()
    for round_ in range(ROUNDS):
        with httpx.Client(base_url=live_server.base_url) as client:
            inviter = create_member(client, headers, f"inviter-{round_}")
            racers = [create_member(client, headers, f"racer-{round_}-{i}") for i in range(RACERS)]
            code = client.post("/v1/invites", json={"inviter_id": inviter}, headers=headers).json()[
                "code"
            ]
        responses = race(
            live_server.base_url,
            headers,
            [(f"/v1/invites/{code}/accept", {"member_id": m}) for m in racers],
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses[201] == 1, [r.text for r in responses]
        assert statuses[409] == RACERS - 1
        assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
            "invite_used",
            "already_paired",
        }
        assert couples_with(live_server, [inviter, *racers]) == 1


@pytest.mark.slow
def test_two_invites_race_to_pair_one_member(
    live_server: LiveServer, tenant_on_server: TenantWithKeys
) -> None:
    headers = tenant_on_server.headers()
    for round_ in range(ROUNDS):
        with httpx.Client(base_url=live_server.base_url) as client:
            wanted = create_member(client, headers, f"wanted-{round_}")
            suitors = [create_member(client, headers, f"suitor-{round_}-{i}") for i in range(4)]
            invite_codes = [
                client.post("/v1/invites", json={"inviter_id": s}, headers=headers).json()["code"]
                for s in suitors
            ]
        responses = race(
            live_server.base_url,
            headers,
            [(f"/v1/invites/{code}/accept", {"member_id": wanted}) for code in invite_codes],
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses[201] == 1, [r.text for r in responses]
        assert {r.json()["code"] for r in responses if r.status_code != 201} == {"already_paired"}
        assert couples_with(live_server, [wanted]) == 1
        with Session(live_server.engine) as session:
            assert session.get(ActivePairing, wanted) is not None
