"""Realistic data for the benchmark: many tenants, about ten thousand couples and about a
million check-ins spread over a year, written straight into a database the real migrations
built (the built-in catalogs are loaded by `rapport serve` itself).

Couples come in four groups, so each scenario reads or writes the rows it would in life:
- `small`: a few dozen couples checking in most days for a year, seeded first, so the
  connection endpoint can be measured with ~10k check-ins and again with ~1M;
- `active`: couples checking in most days (the connection scenario reads these);
- `occasional`: couples who check in a few times a month;
- `new`: couples paired but with no check-ins yet (the POST scenario writes theirs).
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import insert, text
from sqlalchemy.engine import Connection, Engine

from app.checkins.models import CheckIn
from app.core.db import session_scope, utcnow
from app.core.ids import new_id
from app.couples.models import ActivePairing, Couple
from app.members.models import Member
from app.scoring.model import DIMENSIONS
from app.tenants import service as tenants

DAYS = 365
ACTIVE_RATE = 0.55  # share of days an active member checks in
OCCASIONAL_RATE = 0.02
BATCH = 20_000


@dataclass
class Pair:
    """A couple as the load scripts see it: its tenant's key and its two members."""

    key: str
    couple_id: str
    members: tuple[str, str]


@dataclass
class Dataset:
    keys: list[str] = field(default_factory=list)
    small: list[Pair] = field(default_factory=list)
    active: list[Pair] = field(default_factory=list)
    new: list[Pair] = field(default_factory=list)
    check_ins: int = 0
    couples: int = 0


def tenants_and_keys(engine: Engine, pepper: bytes, count: int) -> list[tuple[str, str]]:
    """`count` tenants, each with one test-mode secret key: (tenant id, secret)."""
    made = []
    with session_scope(engine) as session:
        for index in range(count):
            tenant = tenants.create_tenant(session, f"bench-{index}")
            key = tenants.create_key(session, pepper, tenant_id=tenant.id, livemode=False)
            made.append((tenant.id, key.secret))
    return made


class Seeder:
    def __init__(self, engine: Engine, tenant_keys: list[tuple[str, str]], seed: int = 1) -> None:
        self.engine = engine
        self.tenant_keys = tenant_keys
        self.rng = random.Random(seed)
        self.today = utcnow().date()
        self.dataset = Dataset(keys=[secret for _, secret in tenant_keys])
        self._next_tenant = 0

    def couples(self, count: int, rate: float) -> list[Pair]:
        """`count` paired couples, each partner checking in on `rate` of the last year's days."""
        pairs: list[Pair] = []
        rows: list[dict[str, object]] = []
        with self.engine.begin() as conn:
            for _ in range(count):
                tenant_id, secret = self.tenant_keys[self._next_tenant % len(self.tenant_keys)]
                self._next_tenant += 1
                pair = self._couple(conn, tenant_id, secret)
                pairs.append(pair)
                rows.extend(self._check_ins(tenant_id, pair, rate))
                if len(rows) >= BATCH:
                    conn.execute(insert(CheckIn), rows)
                    self.dataset.check_ins += len(rows)
                    rows = []
            if rows:
                conn.execute(insert(CheckIn), rows)
                self.dataset.check_ins += len(rows)
        self.dataset.couples += count
        return pairs

    def analyze(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("ANALYZE"))

    def _couple(self, conn: Connection, tenant_id: str, secret: str) -> Pair:
        a, b, couple = new_id("mem"), new_id("mem"), new_id("cpl")
        now = utcnow()
        members = [
            {
                "id": member,
                "tenant_id": tenant_id,
                "livemode": False,
                "external_id": member,
                "display_name": "Bench member",
                "timezone": "UTC",
                "day_starts_at_hour": 0,
                "locale": "en",
                "created_at": now,
                "updated_at": now,
            }
            for member in (a, b)
        ]
        conn.execute(insert(Member), members)
        conn.execute(
            insert(Couple).values(
                id=couple,
                tenant_id=tenant_id,
                livemode=False,
                member_a_id=a,
                member_b_id=b,
                paired_at=now - timedelta(days=DAYS),
            )
        )
        conn.execute(
            insert(ActivePairing),
            [{"member_id": a, "couple_id": couple}, {"member_id": b, "couple_id": couple}],
        )
        return Pair(secret, couple, (a, b))

    def _check_ins(self, tenant_id: str, pair: Pair, rate: float) -> list[dict[str, object]]:
        if rate <= 0:
            return []
        rng = self.rng
        baseline = {d: rng.uniform(2.5, 4.5) for d in DIMENSIONS}
        now = utcnow()
        rows: list[dict[str, object]] = []
        for member in pair.members:
            for day in range(DAYS):
                if rng.random() >= rate:
                    continue
                row: dict[str, object] = {
                    "id": new_id("chk"),
                    "tenant_id": tenant_id,
                    "livemode": False,
                    "couple_id": pair.couple_id,
                    "member_id": member,
                    "local_date": self.today - timedelta(days=day),
                    "moments": [],
                    "note_visibility": "private",
                    "created_at": now,
                    "updated_at": now,
                    "closeness": rng.randint(3, 7),
                    "conflict_repair": None,
                }
                for dimension, mean in baseline.items():
                    row[dimension] = min(5, max(1, round(rng.gauss(mean, 0.8))))
                rows.append(row)
        return rows


def plan(couples: int, check_ins: int) -> dict[str, tuple[int, float]]:
    """How many couples of each group, and their daily rate, to reach about `check_ins`."""
    new = couples // 5
    occasional = int(couples * 0.57)
    active = max(1, couples - new - occasional)
    occasional_rows = occasional * 2 * DAYS * OCCASIONAL_RATE
    rate = min(1.0, max(0.0, (check_ins - occasional_rows) / (active * 2 * DAYS)))
    return {"active": (active, rate), "occasional": (occasional, OCCASIONAL_RATE), "new": (new, 0)}


def small_couples(check_ins: int) -> int:
    return max(1, round(check_ins / (2 * DAYS * ACTIVE_RATE)))
