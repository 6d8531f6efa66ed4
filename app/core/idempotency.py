"""`Idempotency-Key` on every POST, kept in the database so it holds across workers.

A key is claimed (an in-flight row, committed at once so concurrent duplicates see it)
before the handler runs. A successful answer is stored in the *same* transaction as the
handler's writes, so a retry can never find the write without its answer or the reverse.
An error answer releases the key: nothing was written, so the client may fix and retry.
A claim whose process died before committing is taken over after LOCK_TIMEOUT.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn, Protocol, cast

from fastapi import Request
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, Text, col, delete

from app.core.base import SQLModel, created_at_field
from app.core.db import UtcDateTime, utcnow
from app.core.errors import AppError
from app.core.security import Principal

REPLAY_WINDOW = timedelta(hours=24)
LOCK_TIMEOUT = timedelta(seconds=60)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"

    tenant_id: str = Field(primary_key=True, foreign_key="tenants.id", max_length=40)
    livemode: bool = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    fingerprint: str = Field(max_length=64)
    completed: bool = False
    response_status: int | None = None
    response_body: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()
    locked_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused with another request"


class IdempotencyKeyInUse(AppError):
    status = 409
    code = "idempotency_key_in_use"
    title = "A request with this idempotency key is in flight"


class InvalidIdempotencyKey(AppError):
    status = 422
    code = "validation_error"
    title = "Validation failed"


class Replay(Exception):
    """Raised instead of running the handler: answer with the stored response."""

    def __init__(self, *, status: int, body: str) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Claim:
    tenant_id: str
    livemode: bool
    key: str


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


class _Record(Protocol):
    """What a stored key says (an `IdempotencyRecord` or a row of its table)."""

    fingerprint: str
    completed: bool
    response_status: int | None
    response_body: str | None
    created_at: datetime
    locked_at: datetime


_TABLE = IdempotencyRecord.__table__  # type: ignore[attr-defined]


def _where(tenant_id: str, livemode: bool, key: str) -> ColumnElement[bool]:
    return and_(_TABLE.c.tenant_id == tenant_id, _TABLE.c.livemode == livemode, _TABLE.c.key == key)


def _read(session: Session, tenant_id: str, livemode: bool, key: str) -> _Record | None:
    # Core, not the ORM: this runs on every POST with a key, and a row is all it needs.
    statement = select(_TABLE).where(_where(tenant_id, livemode, key))
    row = session.connection().execute(statement).first()
    return cast("_Record | None", row)


def _stale(record: _Record, now: datetime) -> bool:
    return record.created_at < now - REPLAY_WINDOW or (
        not record.completed and record.locked_at < now - LOCK_TIMEOUT
    )


def _refuse_or_replay(record: _Record, fp: str) -> NoReturn:
    if record.fingerprint != fp:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request; use a new key."
        )
    if not record.completed:
        raise IdempotencyKeyInUse("Retry once the first request has finished.")
    raise Replay(status=record.response_status or 200, body=record.response_body or "")


def check_existing(session: Session, principal: Principal, key: str, fp: str) -> None:
    """With a read-only session: replay or refuse when the key is taken, without waiting
    for a write lock (retries of a request in flight are the common case under load)."""
    record = _read(session, principal.tenant_id, principal.livemode, key)
    if record is not None and not _stale(record, utcnow()):
        _refuse_or_replay(record, fp)


def _insert_if_absent(session: Session, values: dict[str, object]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: True when this call wrote the row. (Not
    `rowcount`: psycopg reports -1 for it.)"""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(**values).on_conflict_do_nothing().returning(_TABLE.c.key)
    return session.connection().execute(statement).first() is not None


def claim(session: Session, principal: Principal, key: str, fp: str) -> Claim:
    """Claim `key` for this request (committing), or raise what its earlier use implies."""
    pk = (principal.tenant_id, principal.livemode, key)
    for _ in range(2):
        now = utcnow()
        values = {
            "tenant_id": principal.tenant_id,
            "livemode": principal.livemode,
            "key": key,
            "fingerprint": fp,
            "completed": False,
            "created_at": now,
            "locked_at": now,
        }
        if _insert_if_absent(session, values):
            session.commit()
            return Claim(*pk)
        record = _read(session, *pk)
        if record is None:
            session.rollback()
            continue  # released between our insert and read: try again
        if _stale(record, now):
            # Taken over in this transaction: deleted if still stale, then claimed anew.
            session.exec(
                delete(_TABLE).where(
                    _where(*pk),
                    or_(
                        _TABLE.c.created_at < now - REPLAY_WINDOW,
                        and_(
                            _TABLE.c.completed.is_(False),
                            _TABLE.c.locked_at < now - LOCK_TIMEOUT,
                        ),
                    ),
                )
            )
            continue
        session.rollback()
        _refuse_or_replay(record, fp)
    raise IdempotencyKeyInUse("Retry once the first request has finished.")


def complete(session: Session, claimed: Claim, status: int, body: bytes) -> None:
    """Store the answer in the caller's (the handler's) transaction."""
    session.exec(
        update(_TABLE)
        .where(_where(claimed.tenant_id, claimed.livemode, claimed.key))
        .values(completed=True, response_status=status, response_body=body.decode())
    )


def release(session: Session, claimed: Claim) -> None:
    session.exec(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.tenant_id) == claimed.tenant_id,
            col(IdempotencyRecord.livemode) == claimed.livemode,
            col(IdempotencyRecord.key) == claimed.key,
            col(IdempotencyRecord.completed).is_(False),
        )
    )
    session.commit()


def purge_expired(session: Session) -> int:
    result = session.exec(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.created_at) < utcnow() - REPLAY_WINDOW
        )
    )
    return int(result.rowcount or 0)


def request_key(request: Request) -> str | None:
    return request.headers.get(HEADER)
