"""Authentication dependencies: every /v1 route gets a Principal; some refuse member tokens."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.exceptions import ForbiddenForMemberToken
from app.core.ratelimit import RateLimited, RateLimiter
from app.core.routing import SettingsDep
from app.core.security import Principal

bearer = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="sk_live_… / sk_test_… secret key, or a member token (JWT)",
    description=(
        "A tenant secret key (`sk_live_…` or `sk_test_…`) for a partner backend, or a "
        "member token from `POST /v1/members/{member_id}/tokens` for a mobile app."
    ),
    auto_error=False,
)


def authenticate(
    request: Request,
    settings: SettingsDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal = service.authenticate(
        request.app.state.database, settings, request.headers.get("authorization")
    )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def enforce_rate_limit(request: Request, principal: PrincipalDep) -> None:
    """Count the call against its key's or member's limit; 429 past it."""
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = limiter.check(principal)
    if decision is None:
        return
    headers = decision.headers()
    request.state.response_headers = headers
    if not decision.allowed:
        raise RateLimited(
            f"Over {decision.limit} requests a minute; retry in {decision.reset_seconds} s.",
            headers={**headers, "Retry-After": str(decision.reset_seconds)},
        )


def require_tenant_key(principal: PrincipalDep) -> Principal:
    if principal.is_member:
        raise ForbiddenForMemberToken()
    return principal


TenantKeyDep = Annotated[Principal, Depends(require_tenant_key)]
