"""Check-ins of both partners, a dissolve and accepts all at once against a served app:
whatever order they land in, no half-done state is left behind."""

import httpx
import pytest
from sqlmodel import Session, col, select

from app.checkins.models import CheckIn
from app.couples.models import ActivePairing, Couple
from tests.conftest import LiveServer, race
from tests.factories import TenantWithKeys

RATINGS = {"openness": 4, "listening": 4, "support": 4, "safety": 4}
ROUNDS = 6


def member(client: httpx.Client, headers: dict[str, str], name: str) -> str:
    return str(
        client.post(
            "/v1/members", json={"external_id": name, "display_name": name}, headers=headers
        ).json()["id"]
    )


@pytest.mark.slow
def test_check_ins_dissolve_and_accepts_at_once(
    live_server: LiveServer, tenant_on_server: TenantWithKeys
) -> None:
    headers = tenant_on_server.headers()
    for round_ in range(ROUNDS):
        with httpx.Client(base_url=live_server.base_url) as client:
            a, b, c, d = (member(client, headers, f"mixed-{round_}-{n}") for n in "abcd")
            code = client.post("/v1/invites", json={"inviter_id": a}, headers=headers).json()[
                "code"
            ]
            couple = client.post(
                f"/v1/invites/{code}/accept", json={"member_id": b}, headers=headers
            ).json()["id"]
            # Invites that would pair a or b again, if the dissolve lands first.
            invite_c = client.post("/v1/invites", json={"inviter_id": c}, headers=headers).json()[
                "code"
            ]
            invite_d = client.post("/v1/invites", json={"inviter_id": d}, headers=headers).json()[
                "code"
            ]
        responses = race(
            live_server.base_url,
            headers,
            [
                (f"/v1/couples/{couple}/check-ins", {"member_id": a, "ratings": RATINGS}),
                (f"/v1/couples/{couple}/check-ins", {"member_id": b, "ratings": RATINGS}),
                (f"/v1/couples/{couple}/dissolve", {}),
                (f"/v1/invites/{invite_c}/accept", {"member_id": a}),
                (f"/v1/invites/{invite_d}/accept", {"member_id": b}),
            ],
        )
        check_in_a, check_in_b, dissolve, accept_a, accept_b = responses
        assert dissolve.status_code == 200, dissolve.text
        for response in (check_in_a, check_in_b):
            assert response.status_code in (201, 409), response.text
            if response.status_code == 409:
                assert response.json()["code"] == "couple_not_active"
        for response in (accept_a, accept_b):
            assert response.status_code in (201, 409), response.text
            if response.status_code == 409:
                assert response.json()["code"] == "already_paired"

        with Session(live_server.engine) as session:
            old = session.get(Couple, couple)
            assert old is not None and old.dissolved_at is not None
            assert (
                session.exec(select(ActivePairing).where(ActivePairing.couple_id == couple)).all()
                == []
            )
            for who in (a, b):
                pairings = session.exec(
                    select(ActivePairing).where(ActivePairing.member_id == who)
                ).all()
                assert len(pairings) <= 1
                for pairing in pairings:
                    current = session.get(Couple, pairing.couple_id)
                    assert current is not None and current.dissolved_at is None
                    assert who in (current.member_a_id, current.member_b_id)
            landed = session.exec(select(CheckIn).where(col(CheckIn.couple_id) == couple)).all()
            assert len(landed) == sum(r.status_code == 201 for r in (check_in_a, check_in_b))
            # What landed was committed before the dissolve took its lock.
            assert all(row.created_at <= old.dissolved_at for row in landed), [
                (row.created_at, old.dissolved_at, [r.status_code for r in responses])
                for row in landed
            ]
