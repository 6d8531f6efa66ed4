"""Turning an `Authorization` header into a Principal, and keeping keys' last use."""

import threading
import time
from datetime import timedelta

from sqlmodel import col, select, update

from app.auth import keys, tokens
from app.auth.exceptions import AuthenticationRequired, InvalidCredentials
from app.core.config import Settings
from app.core.database import Database
from app.core.db import utcnow
from app.core.security import Principal
from app.members.models import Member
from app.tenants.models import ApiKey

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


def authenticate(database: Database, settings: Settings, authorization: str | None) -> Principal:
    credential = parse_bearer(authorization)
    if keys.looks_like_key(credential):
        return _authenticate_key(database, settings, credential)
    return _authenticate_member_token(database, settings, credential)


def _authenticate_key(database: Database, settings: Settings, secret: str) -> Principal:
    livemode = keys.parse_mode(secret)
    if livemode is None:
        raise InvalidCredentials()
    key_hash = keys.hash_secret(secret, settings.secret_key.get_secret_value().encode())
    with database.session(write=False) as session:
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()
    now = utcnow()
    if (
        key is None
        or key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
        or key.livemode != livemode
    ):
        raise InvalidCredentials()
    _touch_last_used(database, key, time.monotonic())
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


def _touch_last_used(database: Database, key: ApiKey, now_monotonic: float) -> None:
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
