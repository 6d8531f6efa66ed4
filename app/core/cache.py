"""Process-local caches that stay correct across workers and machines.

What changes rarely but is read on every request (API keys, the prompt catalogs) is cached in
each process. Every change bumps a version row in `cache_versions` *in the same transaction*
as the change itself, and each cached entry remembers the version it was built from:

- in the process that made the change, the new version is known the moment it commits, so
  that process never serves the old entry again;
- every other process reads the version table at most `cache_max_staleness_seconds` apart
  (default 1 s), so a change (a revoked key, an edited prompt) is seen everywhere within that
  bound; with 0 the versions are read before every lookup.

An entry is good while its version is at least the newest version the process knows.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Field, Session, col, select

from app.core.base import SQLModel
from app.core.config import Settings

BUMPED = "rapport.cache.bumped"


class CacheVersion(SQLModel, table=True):
    """One row per cached scope; its version moves on every change to what it covers."""

    __tablename__ = "cache_versions"

    scope: str = Field(primary_key=True, max_length=80)
    version: int = Field(default=0)


def bump(session: Session, scope: str) -> None:
    """Record, in the caller's transaction, that what `scope` covers has changed."""
    row = session.execute(
        text(
            "INSERT INTO cache_versions (scope, version) VALUES (:scope, 1) "
            "ON CONFLICT (scope) DO UPDATE SET version = cache_versions.version + 1 "
            "RETURNING version"
        ),
        {"scope": scope},
    ).one()
    session.info.setdefault(BUMPED, {})[scope] = int(row[0])


class Versions:
    """The newest version of every scope this process knows, refreshed from the database at
    most `max_staleness` seconds apart, and at once for the changes this process commits."""

    def __init__(self, reader: Callable[[], Session], max_staleness: float) -> None:
        self.reader = reader
        self.max_staleness = max_staleness
        self._known: dict[str, int] = {}
        self._read_at = -float("inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        return time.monotonic() - self._read_at >= self.max_staleness

    def refresh(self, session: Session | None = None) -> None:
        """Read every scope's version (one small query); concurrent callers share one read.
        A caller holding a session passes it: a second connection per thread could drain
        the pool."""
        if not self._lock.acquire(blocking=False):
            with self._lock:  # another thread is reading: wait for its answer
                return
        try:
            started = time.monotonic()
            statement = select(col(CacheVersion.scope), col(CacheVersion.version))
            if session is not None:
                rows = session.exec(statement).all()
            else:
                with self.reader() as own:
                    rows = own.exec(statement).all()
            self.learn((str(scope), int(version)) for scope, version in rows)
            self._read_at = started
        finally:
            self._lock.release()

    def refresh_if_due(self, session: Session | None = None) -> None:
        if self.due():
            self.refresh(session)

    def learn_commit(self, session: Session) -> None:
        """After `session` committed: what it bumped is now the newest this process knows."""
        bumped: dict[str, int] | None = session.info.pop(BUMPED, None)
        if bumped:
            self.learn(bumped.items())

    def learn(self, versions: Iterable[tuple[str, int]]) -> None:
        for scope, version in versions:
            if version > self._known.get(scope, 0):
                self._known[scope] = version

    def get(self, scope: str) -> int:
        return self._known.get(scope, 0)


class Cache:
    """A bounded LRU of entries, each stamped with the versions of the scopes it was built
    from; an entry whose stamp is older than what `versions` knows is rebuilt."""

    def __init__(self, versions: Versions, max_entries: int) -> None:
        self.versions = versions
        self.max_entries = max_entries
        self._entries: OrderedDict[Any, tuple[tuple[int, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, scopes: tuple[str, ...]) -> Any | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            stamp, value = found
            if any(v < self.versions.get(s) for v, s in zip(stamp, scopes, strict=True)):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Any, scopes: tuple[str, ...], stamp: tuple[int, ...], value: Any) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_build(
        self, key: Any, scopes: tuple[str, ...], build: Callable[[Session], Any], session: Session
    ) -> Any:
        """The cached value, or `build(session)` stamped with the versions read just before."""
        self.versions.refresh_if_due(session)
        value = self.get(key, scopes)
        if value is not None:
            return value
        stamp = read_versions(session, scopes)
        self.versions.learn(zip(scopes, stamp, strict=True))
        value = build(session)
        self.put(key, scopes, stamp, value)
        return value


def read_versions(session: Session, scopes: tuple[str, ...]) -> tuple[int, ...]:
    """The current versions of `scopes`, read before the data they stamp."""
    statement = select(col(CacheVersion.scope), col(CacheVersion.version)).where(
        col(CacheVersion.scope).in_(scopes)
    )
    rows = dict(session.exec(statement).all())
    return tuple(int(rows.get(scope, 0)) for scope in scopes)


@dataclass
class Caches:
    """The caches one app instance keeps, all stamped against one `Versions`."""

    versions: Versions
    keys: Cache
    catalog: Cache
    connections: Cache

    @classmethod
    def create(cls, reader: Callable[[], Session], settings: Settings) -> "Caches":
        versions = Versions(reader, settings.cache_max_staleness_seconds)
        return cls(
            versions=versions,
            keys=Cache(versions, settings.key_cache_entries),
            catalog=Cache(versions, settings.catalog_cache_entries),
            connections=Cache(versions, settings.connection_cache_entries),
        )
