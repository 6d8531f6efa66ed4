"""A flaky mobile network retries: 50 concurrent clients sending one check-in with one
Idempotency-Key make exactly one row and get the same answer; concurrent check-ins never make a
second row, and both partners checking in at once both land."""

import json
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlmodel import Session, select

from app.checkins.models import CheckIn
from tests.conftest import LiveServer, race
from tests.factories import TenantWithKeys

RATINGS = {"openness": 4, "listening": 4, "vulnerability": 3, "support": 5, "safety": 4}


def paired_couple(
    live_server: LiveServer, tenant: TenantWithKeys, name: str
) -> tuple[str, str, str]:
    headers = tenant.headers()
    with httpx.Client(base_url=live_server.base_url) as client:
        a, b = (
            client.post(
                "/v1/members",
                json={"external_id": f"{name}-{who}", "display_name": who},
                headers=headers,
            ).json()["id"]
            for who in ("a", "b")
        )
        code = client.post("/v1/invites", json={"inviter_id": a}, headers=headers).json()["code"]
        couple = client.post(
            f"/v1/invites/{code}/accept", json={"member_id": b}, headers=headers
        ).json()
    return couple["id"], a, b


def rows_of(live_server: LiveServer, member_id: str) -> list[CheckIn]:
    with Session(live_server.engine) as session:
        return list(session.exec(select(CheckIn).where(CheckIn.member_id == member_id)).all())


@pytest.mark.slow
def test_retries_with_one_idempotency_key(
    live_server: LiveServer, tenant_on_server: TenantWithKeys
) -> None:
    """Each of 50 clients retries while the first request is in flight (409
    idempotency_key_in_use) or the database is busy (503 with Retry-After), as a mobile
    client would: all end with the same answer."""
    couple_id, alex, _ = paired_couple(live_server, tenant_on_server, "retry")
    headers = {**tenant_on_server.headers(), "Idempotency-Key": "flaky-evening"}
    body: dict[str, object] = {"member_id": alex, "ratings": RATINGS, "note": "same body each time"}
    path = f"/v1/couples/{couple_id}/check-ins"
    barrier = threading.Barrier(50)
    answers: list[tuple[int, dict[str, object], int]] = []
    lock = threading.Lock()

    def client_retrying() -> None:
        with httpx.Client(base_url=live_server.base_url, timeout=30) as client:
            barrier.wait()
            in_use = 0
            for _ in range(200):
                response = client.post(path, json=body, headers=headers)
                if response.status_code == 503:  # busy database: retry as told
                    assert response.json()["code"] == "database_unavailable"
                    time.sleep(0.05)
                    continue
                if response.status_code != 409:
                    break
                assert response.json()["code"] == "idempotency_key_in_use"
                in_use += 1
                time.sleep(0.02)
            with lock:
                answers.append((response.status_code, response.json(), in_use))

    threads = [threading.Thread(target=client_retrying) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 50
    assert {status for status, _, _ in answers} == {201}
    assert len({json.dumps(answer, sort_keys=True) for _, answer, _ in answers}) == 1
    assert len(rows_of(live_server, alex)) == 1


@pytest.mark.slow
def test_same_member_same_day_without_key(
    live_server: LiveServer, tenant_on_server: TenantWithKeys
) -> None:
    couple_id, alex, _ = paired_couple(live_server, tenant_on_server, "twice")
    body: dict[str, object] = {"member_id": alex, "ratings": RATINGS}
    responses = race(
        live_server.base_url,
        tenant_on_server.headers(),
        [(f"/v1/couples/{couple_id}/check-ins", body)] * 8,
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 7}, [r.text for r in responses]
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    assert {r.json()["existing_id"] for r in responses if r.status_code == 409} == {winner}
    assert len(rows_of(live_server, alex)) == 1


@pytest.mark.slow
def test_both_partners_at_once(live_server: LiveServer, tenant_on_server: TenantWithKeys) -> None:
    couple_id, alex, blake = paired_couple(live_server, tenant_on_server, "both")
    path = f"/v1/couples/{couple_id}/check-ins"
    responses = race(
        live_server.base_url,
        tenant_on_server.headers(),
        [
            (path, {"member_id": alex, "ratings": RATINGS}),
            (path, {"member_id": blake, "ratings": RATINGS}),
        ],
    )
    assert [r.status_code for r in responses] == [201, 201]
    assert len(rows_of(live_server, alex)) == len(rows_of(live_server, blake)) == 1
