"""Tenants and their secret keys: the operator's side (the command line)."""

from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import Session, col, select

from app.audit import service as audit
from app.auth import keys
from app.core import cache
from app.core.db import utcnow
from app.core.ids import new_id
from app.tenants.exceptions import ApiKeyNotFound, TenantNotFound
from app.tenants.models import KEYS_CACHE_SCOPE, ApiKey, Tenant
from app.tenants.schemas import ApiKeyPublic, CreatedApiKey


def create_tenant(session: Session, name: str) -> Tenant:
    tenant = Tenant(id=new_id("ten"), name=name)
    session.add(tenant)
    session.flush()
    audit.record(session, tenant_id=tenant.id, action="tenant.created", object_id=tenant.id)
    return tenant


def list_tenants(session: Session) -> Sequence[Tenant]:
    return session.exec(select(Tenant).order_by(col(Tenant.created_at), col(Tenant.id))).all()


def get_tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise TenantNotFound(f"No tenant {tenant_id}.")
    return tenant


def create_key(
    session: Session,
    pepper: bytes,
    *,
    tenant_id: str,
    livemode: bool,
    name: str = "",
    rate_limit_per_minute: int | None = None,
    rotated_from_id: str | None = None,
) -> CreatedApiKey:
    get_tenant(session, tenant_id)
    new = keys.generate(livemode=livemode)
    key = ApiKey(
        id=new_id("key"),
        tenant_id=tenant_id,
        livemode=livemode,
        name=name,
        key_hash=keys.hash_secret(new.secret, pepper),
        prefix=new.prefix,
        last4=new.last4,
        rate_limit_per_minute=rate_limit_per_minute,
        rotated_from_id=rotated_from_id,
    )
    session.add(key)
    session.flush()
    audit.record(
        session, tenant_id=tenant_id, livemode=livemode, action="api_key.created", object_id=key.id
    )
    return CreatedApiKey(**to_public(key).model_dump(), secret=new.secret)


def to_public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(key, from_attributes=True)


def list_keys(session: Session, tenant_id: str) -> Sequence[ApiKey]:
    get_tenant(session, tenant_id)
    return session.exec(
        select(ApiKey)
        .where(ApiKey.tenant_id == tenant_id)
        .order_by(col(ApiKey.created_at), col(ApiKey.id))
    ).all()


def _get_key(session: Session, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"No API key {key_id}.")
    return key


def revoke_key(session: Session, key_id: str) -> ApiKey:
    key = _get_key(session, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
        cache.bump(session, KEYS_CACHE_SCOPE)
        audit.record(
            session,
            tenant_id=key.tenant_id,
            livemode=key.livemode,
            action="api_key.revoked",
            object_id=key.id,
        )
    return key


def rotate_key(session: Session, pepper: bytes, key_id: str, grace: timedelta) -> CreatedApiKey:
    """A new key like the old one; the old keeps working for `grace`, then expires."""
    old = _get_key(session, key_id)
    now = utcnow()
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise ApiKeyNotFound(f"API key {key_id} is revoked or expired; create a new one.")
    replacement = create_key(
        session,
        pepper,
        tenant_id=old.tenant_id,
        livemode=old.livemode,
        name=old.name,
        rate_limit_per_minute=old.rate_limit_per_minute,
        rotated_from_id=old.id,
    )
    grace_end = now + grace
    if old.expires_at is None or old.expires_at > grace_end:
        old.expires_at = grace_end
    session.add(old)
    session.flush()
    cache.bump(session, KEYS_CACHE_SCOPE)
    audit.record(
        session,
        tenant_id=old.tenant_id,
        livemode=old.livemode,
        action="api_key.rotated",
        object_id=old.id,
    )
    return replacement
