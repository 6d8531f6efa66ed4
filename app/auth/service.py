"""Turning an `Authorization` header into a Principal, and keeping keys' last use."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select, update

from app.auth import keys, tokens
from app.auth.exceptions import AuthenticationRequired, InvalidCredentials
from app.core import cache
from app.core.cache import Caches
from app.core.config import Settings
from app.core.database import Database
from app.core.db import utcnow
from app.core.security import Principal
from app.members.models import Member
from app.tenants.models import KEYS_CACHE_SCOPE, ApiKey

LAST_USED_RESOLUTION = timedelta(minutes=1)

_last_used_lock = threading.Lock()
_last_used_written: dict[str, float] = {}


def parse_bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationRequired()
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise InvalidCredentials("Use `Authorization: Bearer <credential>`.")
    return credential


@dataclass(frozen=True)
class KeySnapshot:
    """What authenticating with a key needs from its row, as cached (app/core/cache.py)."""

    id: str
    tenant_id: str
    livemode: bool
    revoked_at: datetime | None
    expires_at: datetime | None
    rate_limit_per_minute: int | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeySnapshot":
        return cls(
            id=key.id,
            tenant_id=key.tenant_id,
            livemode=key.livemode,
            revoked_at=key.revoked_at,
            expires_at=key.expires_at,
            rate_limit_per_minute=key.rate_limit_per_minute,
            last_used_at=key.last_used_at,
        )


KEY_SCOPES = (KEYS_CACHE_SCOPE,)


def authenticate(
    database: Database, settings: Settings, authorization: str | None, caches: Caches
) -> Principal:
    credential = parse_bearer(authorization)
    if keys.looks_like_key(credential):
        return _authenticate_key(database, settings, credential, caches)
    return _authenticate_member_token(database, settings, credential)


def authenticate_cached(
    settings: Settings, authorization: str | None, caches: Caches
) -> Principal | None:
    """The principal of a secret key found in the cache, with no database work; None when
    the answer needs the database (a member token, a key not cached, a `last_used_at` due)."""
    if not authorization or caches.versions.due():
        return None
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not keys.looks_like_key(credential):
        return None
    livemode = keys.parse_mode(credential)
    if livemode is None:
        return None
    key_hash = keys.hash_secret(credential, settings.secret_key.get_secret_value().encode())
    snapshot: KeySnapshot | None = caches.keys.get(key_hash, KEY_SCOPES)
    if snapshot is None or _last_used_due(snapshot.id, time.monotonic()):
        return None
    return _key_principal(snapshot, livemode)


def _authenticate_key(
    database: Database, settings: Settings, secret: str, caches: Caches
) -> Principal:
    livemode = keys.parse_mode(secret)
    if livemode is None:
        raise InvalidCredentials()
    key_hash = keys.hash_secret(secret, settings.secret_key.get_secret_value().encode())
    caches.versions.refresh_if_due()
    snapshot: KeySnapshot | None = caches.keys.get(key_hash, KEY_SCOPES)
    if snapshot is None:
        with database.session(write=False) as session:
            stamp = cache.read_versions(session, KEY_SCOPES)
            key = session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()
        if key is None:
            raise InvalidCredentials()  # unknown keys are never cached
        snapshot = KeySnapshot.of(key)
        caches.keys.put(key_hash, KEY_SCOPES, stamp, snapshot)
    principal = _key_principal(snapshot, livemode)
    _touch_last_used(database, snapshot, time.monotonic())
    return principal


def _key_principal(key: KeySnapshot, livemode: bool) -> Principal:
    if (
        key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= utcnow())
        or key.livemode != livemode
    ):
        raise InvalidCredentials()
    return Principal(
        tenant_id=key.tenant_id,
        livemode=key.livemode,
        kind="key",
        key_id=key.id,
        rate_limit_per_minute=key.rate_limit_per_minute,
    )


def _authenticate_member_token(database: Database, settings: Settings, token: str) -> Principal:
    claims = tokens.verify(settings.token_secret.get_secret_value(), token)
    if claims is None:
        raise InvalidCredentials()
    with database.session(write=False) as session:
        member = session.get(Member, claims.member_id)
    if (
        member is None
        or member.tenant_id != claims.tenant_id
        or member.livemode != claims.livemode
        or (
            member.tokens_valid_after is not None
            and claims.issued_at < member.tokens_valid_after.timestamp()
        )
    ):
        raise InvalidCredentials()
    return Principal(
        tenant_id=member.tenant_id,
        livemode=member.livemode,
        kind="member",
        member_id=member.id,
    )


def _last_used_due(key_id: str, now_monotonic: float) -> bool:
    resolution = LAST_USED_RESOLUTION.total_seconds()
    return now_monotonic - _last_used_written.get(key_id, -resolution) >= resolution


def _touch_last_used(database: Database, key: KeySnapshot, now_monotonic: float) -> None:
    """Record use at most once a minute per key and process; a stale read is fine."""
    resolution = LAST_USED_RESOLUTION.total_seconds()
    with _last_used_lock:
        if now_monotonic - _last_used_written.get(key.id, -resolution) < resolution:
            return
        _last_used_written[key.id] = now_monotonic
    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    with database.session(write=True) as session:
        session.exec(update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now))
        session.commit()
