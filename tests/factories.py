"""Keyword-only builders: they flush and never commit, so each test's rows roll back."""

from dataclasses import dataclass

from sqlmodel import Session

from app.auth import tokens
from app.core.config import Settings
from app.core.ids import new_id
from app.members.models import Member
from app.tenants import service as tenants
from app.tenants.models import Tenant


@dataclass
class TenantWithKeys:
    tenant: Tenant
    live_key_id: str
    live_secret: str
    test_key_id: str
    test_secret: str

    @property
    def id(self) -> str:
        return self.tenant.id

    def headers(self, *, livemode: bool = False) -> dict[str, str]:
        return bearer(self.live_secret if livemode else self.test_secret)


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def make_tenant(session: Session, settings: Settings, *, name: str = "Tenant") -> TenantWithKeys:
    tenant = tenants.create_tenant(session, name)
    pepper = settings.secret_key.get_secret_value().encode()
    live = tenants.create_key(session, pepper, tenant_id=tenant.id, livemode=True, name="live")
    test = tenants.create_key(session, pepper, tenant_id=tenant.id, livemode=False, name="test")
    return TenantWithKeys(tenant, live.id, live.secret, test.id, test.secret)


def make_member(
    session: Session,
    *,
    tenant_id: str,
    livemode: bool = False,
    external_id: str | None = None,
    display_name: str = "Sam",
    timezone: str = "UTC",
    day_starts_at_hour: int = 4,
    locale: str = "en",
) -> Member:
    member = Member(
        id=new_id("mem"),
        tenant_id=tenant_id,
        livemode=livemode,
        external_id=external_id or new_id("ext"),
        display_name=display_name,
        timezone=timezone,
        day_starts_at_hour=day_starts_at_hour,
        locale=locale,
    )
    session.add(member)
    session.flush()
    return member


def member_token(settings: Settings, member: Member, *, ttl_seconds: int = 3600) -> str:
    token, _ = tokens.mint(
        settings.token_secret.get_secret_value(),
        member_id=member.id,
        tenant_id=member.tenant_id,
        livemode=member.livemode,
        ttl_seconds=ttl_seconds,
    )
    return token
