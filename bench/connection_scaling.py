"""Does the connection endpoint's cost grow with the database? Seed a database with about
ten thousand check-ins, measure GET /connection; grow it to about one million, measure
again. The target (issue: connection scoring) is a latency ratio of at most 1.2.

    .venv/bin/python -m bench.connection_scaling [--database-url URL] [--large 1000000]

It serves the real app with uvicorn on loopback, on a fresh database it creates (a file
under bench/results/ for SQLite, or a new database on the named PostgreSQL server), and
prints one JSON object with the medians and the ratio.
"""

import argparse
import json
import random
import statistics
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import uvicorn
from pydantic import SecretStr
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine, make_url

from app.checkins.models import CheckIn
from app.core import migrations
from app.core.config import Settings
from app.core.database import Database
from app.core.db import make_engine, session_scope, utcnow
from app.core.ids import new_id
from app.couples.models import ActivePairing, Couple
from app.main import create_app
from app.members.models import Member
from app.tenants import service as tenants

RESULTS = Path(__file__).resolve().parent / "results"
DAYS = 100  # check-in history per couple: one per partner per day
DIMENSIONS = (
    "openness",
    "listening",
    "vulnerability",
    "support",
    "safety",
    "appreciation",
    "quality_time",
)


def fresh_url(base: str) -> str:
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    if not base.startswith("postgresql"):
        RESULTS.mkdir(exist_ok=True)
        return f"sqlite:///{RESULTS / (name + '.db')}"
    admin = make_engine(settings_for(base))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop(url: str, base: str) -> None:
    if not url.startswith("postgresql"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(make_url(url).database) + suffix).unlink(missing_ok=True)
        return
    admin = make_engine(settings_for(base))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def settings_for(url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        data_dir=RESULTS,
        secret_key=SecretStr("bench-" + "s" * 40),
        token_secret=SecretStr("bench-" + "t" * 40),
        encryption_key=SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
        log_level="WARNING",
    )


def seed(
    engine: Engine, tenant_id: str, couples: int, today: date, rng: random.Random
) -> list[str]:
    """`couples` paired couples with DAYS days of check-ins from both partners."""
    ids = []
    batch: list[dict[str, object]] = []
    with engine.begin() as conn:
        for _ in range(couples):
            a, b, couple = new_id("mem"), new_id("mem"), new_id("cpl")
            ids.append(couple)
            for member in (a, b):
                conn.execute(
                    insert(Member).values(
                        id=member,
                        tenant_id=tenant_id,
                        livemode=False,
                        external_id=member,
                        display_name="x",
                        timezone="UTC",
                        day_starts_at_hour=0,
                        locale="en",
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
            conn.execute(
                insert(Couple).values(
                    id=couple,
                    tenant_id=tenant_id,
                    livemode=False,
                    member_a_id=a,
                    member_b_id=b,
                    paired_at=utcnow(),
                )
            )
            conn.execute(
                insert(ActivePairing),
                [{"member_id": a, "couple_id": couple}, {"member_id": b, "couple_id": couple}],
            )
            for day in range(DAYS):
                for member in (a, b):
                    row: dict[str, object] = {
                        "id": new_id("chk"),
                        "tenant_id": tenant_id,
                        "livemode": False,
                        "couple_id": couple,
                        "member_id": member,
                        "local_date": today - timedelta(days=day),
                        "moments": [],
                        "note_visibility": "private",
                        "created_at": utcnow(),
                        "updated_at": utcnow(),
                        "closeness": rng.randint(3, 7),
                    }
                    row.update({d: rng.randint(2, 5) for d in DIMENSIONS})
                    batch.append(row)
            if len(batch) >= 20_000:
                conn.execute(insert(CheckIn), batch)
                batch.clear()
        if batch:
            conn.execute(insert(CheckIn), batch)
    return ids


def measure(base_url: str, secret: str, couple_ids: list[str], seconds: float) -> dict[str, float]:
    latencies = []
    headers = {"Authorization": f"Bearer {secret}"}
    rng = random.Random(7)
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for couple in couple_ids[:20]:  # warm up
            client.get(f"/v1/couples/{couple}/connection").raise_for_status()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            couple = rng.choice(couple_ids)
            started = time.perf_counter()
            client.get(f"/v1/couples/{couple}/connection").raise_for_status()
            latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def serve(settings: Settings, port: int) -> tuple[uvicorn.Server, threading.Thread, Engine]:
    engine = make_engine(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, Database(engine)),
            host="127.0.0.1",
            port=port,
            log_config=None,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, engine


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--small", type=int, default=10_000, help="check-ins in the small database")
    parser.add_argument(
        "--large", type=int, default=1_000_000, help="check-ins in the large database"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per size")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    args = parser.parse_args()

    url = fresh_url(args.database_url)
    settings = settings_for(url)
    migrations.upgrade(url)
    engine = make_engine(settings)
    with session_scope(engine) as session:
        tenant = tenants.create_tenant(session, "bench")
        key = tenants.create_key(
            session,
            settings.secret_key.get_secret_value().encode(),
            tenant_id=tenant.id,
            livemode=False,
        )
        tenant_id = tenant.id
    rng = random.Random(1)
    today = date.today()
    per_couple = 2 * DAYS
    small = seed(engine, tenant_id, max(1, args.small // per_couple), today, rng)

    results: dict[str, object] = {"database": make_url(url).get_backend_name()}
    server, thread, serve_engine = serve(settings, args.port)
    base = f"http://127.0.0.1:{args.port}"
    results["small"] = {
        "check_ins": len(small) * per_couple,
        **measure(base, key.secret, small, args.seconds),
    }
    server.should_exit = True
    thread.join()
    serve_engine.dispose()

    started = time.monotonic()
    seed(engine, tenant_id, max(0, (args.large - args.small) // per_couple), today, rng)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    results["seed_seconds"] = round(time.monotonic() - started, 1)
    engine.dispose()

    server, thread, serve_engine = serve(settings, args.port)
    # Measure the same small couples again, now among a million rows.
    results["large"] = {"check_ins": args.large, **measure(base, key.secret, small, args.seconds)}
    server.should_exit = True
    thread.join()
    serve_engine.dispose()
    small_p50 = results["small"]["p50_ms"]  # type: ignore[index]
    large_p50 = results["large"]["p50_ms"]  # type: ignore[index]
    results["ratio_p50"] = round(large_p50 / small_p50, 3)
    if not args.keep:
        drop(url, args.database_url)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
