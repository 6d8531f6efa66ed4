"""Kill the server with SIGKILL in the middle of a write load, start it again: every
check-in acknowledged with a 2xx is there, complete; nothing unacknowledged is half there;
and the database passes its own integrity check."""

import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.checkins.models import CheckIn
from app.core import migrations
from app.core.db import make_engine, session_scope, utcnow
from app.core.idempotency import IdempotencyRecord
from app.couples.models import ActivePairing, Couple
from app.encryption import service as encryption
from app.members.models import Member
from tests.conftest import _settings, served
from tests.factories import make_member, make_tenant

COUPLES = 6
WRITERS = 12


@pytest.mark.slow
def test_sigkill_during_writes_loses_nothing_acknowledged(
    fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    url = fresh_database()
    migrations.upgrade(url)
    settings = _settings(url, tmp_path)
    engine = make_engine(settings)
    members: list[tuple[str, str]] = []  # (couple, member)
    with session_scope(engine) as session:
        tenant = make_tenant(session, settings, name="Crash")
        for _ in range(COUPLES):
            a = make_member(session, tenant_id=tenant.id)
            b = make_member(session, tenant_id=tenant.id)
            couple = Couple(
                id=f"cpl_crash{a.id[-10:]}",
                tenant_id=tenant.id,
                livemode=False,
                member_a_id=a.id,
                member_b_id=b.id,
            )
            session.add(couple)
            session.flush()
            session.add_all(
                [
                    ActivePairing(member_id=a.id, couple_id=couple.id),
                    ActivePairing(member_id=b.id, couple_id=couple.id),
                ]
            )
            members += [(couple.id, a.id), (couple.id, b.id)]
        secret = tenant.test_secret
    today = utcnow().date()

    acknowledged: dict[str, tuple[str, str, int]] = {}  # id -> (member, date, support rating)
    lock = threading.Lock()
    stop = threading.Event()

    def writer(index: int, base: str) -> None:
        couple_id, member_id = members[index % len(members)]
        offset = (index // len(members)) * 200
        with httpx.Client(base_url=base, timeout=5) as client:
            for n in range(200):
                if stop.is_set():
                    return
                day = (today - timedelta(days=offset + n)).isoformat()
                support = 1 + (n % 5)
                try:
                    response = client.post(
                        f"/v1/couples/{couple_id}/check-ins",
                        json={
                            "member_id": member_id,
                            "local_date": day,
                            "ratings": {
                                "openness": 3,
                                "listening": 3,
                                "support": support,
                                "safety": 3,
                            },
                            "note": f"note {member_id} {day}",
                        },
                        headers={
                            "Authorization": f"Bearer {secret}",
                            "Idempotency-Key": f"{member_id}-{day}",
                        },
                    )
                except httpx.HTTPError:
                    return  # the server died under us
                if response.status_code == 201:
                    with lock:
                        acknowledged[response.json()["id"]] = (member_id, day, support)

    with served(settings) as (base, server):
        threads = [threading.Thread(target=writer, args=(i, base)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert len(acknowledged) >= 60

    # Restart on the same database: every acknowledged check-in is readable through the API.
    with served(settings) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        for check_in_id, (member_id, day, support) in acknowledged.items():
            response = client.get(
                f"/v1/check-ins/{check_in_id}",
                params={"include_notes": True},
                headers={"Authorization": f"Bearer {secret}"},
            )
            assert response.status_code == 200, check_in_id
            body = response.json()
            assert (body["member_id"], body["local_date"], body["ratings"]["support"]) == (
                member_id,
                day,
                support,
            )
            assert body["note"] == f"note {member_id} {day}"

    ring = encryption.keyring(settings)
    with Session(engine) as session:
        rows = session.exec(select(CheckIn)).all()
        assert {r.id for r in rows} >= set(acknowledged)
        # Whatever landed without an acknowledgement is whole too: ratings and a readable note.
        for row in rows:
            assert row.openness == 3 and row.support in range(1, 6)
            assert row.note_ciphertext is not None
            note = encryption.decrypt(
                session, ring, row.member_id, row.note_ciphertext, f"check_in:{row.id}:note"
            )
            assert note == f"note {row.member_id} {row.local_date.isoformat()}"
        # A completed idempotency record always has its answer; its check-in exists.
        for record in session.exec(select(IdempotencyRecord)).all():
            if record.completed:
                assert record.response_status == 201 and record.response_body
        assert session.exec(select(Member)).all()
        if engine.dialect.name == "sqlite":
            assert session.exec(text("PRAGMA integrity_check")).one()[0] == "ok"  # type: ignore[call-overload]
            assert session.exec(text("PRAGMA foreign_key_check")).all() == []  # type: ignore[call-overload]
        else:
            orphans = session.exec(  # type: ignore[call-overload]
                text(
                    "SELECT count(*) FROM check_ins c LEFT JOIN members m ON m.id = c.member_id "
                    "LEFT JOIN couples p ON p.id = c.couple_id WHERE m.id IS NULL OR p.id IS NULL"
                )
            ).one()[0]
            assert orphans == 0
    engine.dispose()
