"""Races, with real concurrent HTTP requests against a served app on a committed database:
however accepts interleave, each ends with exactly one couple and clear errors for losers."""

import threading
from collections import Counter

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.core.db import session_scope
from app.couples.models import ActivePairing, Couple
from tests.conftest import LiveServer
from tests.factories import TenantWithKeys, make_tenant

ROUNDS = 5
RACERS = 8


@pytest.fixture(scope="module")
def tenant_on_server(live_server: LiveServer) -> TenantWithKeys:
    with session_scope(live_server.engine) as session:
        return make_tenant(session, live_server.settings, name="Racing App")


def race(
    base_url: str, headers: dict[str, str], posts: list[tuple[str, dict[str, str]]]
) -> list[httpx.Response]:
    """Send every POST at the same instant, each on its own thread and connection."""
    barrier = threading.Barrier(len(posts))
    results: list[httpx.Response | None] = [None] * len(posts)

    def run(index: int) -> None:
        path, body = posts[index]
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            results[index] = client.post(path, json=body, headers=headers)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


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
