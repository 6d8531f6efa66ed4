"""Authentication dependencies: every /v1 route gets a Principal; some refuse member tokens."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.exceptions import ForbiddenForMemberToken
from app.core.cache import Caches
from app.core.config import Settings
from app.core.ratelimit import RateLimited, RateLimiter
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


async def authenticate(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """A cached secret key answers on the event loop; anything needing the database (a
    member token, a key not cached yet, versions due a refresh) goes to the thread pool.
    (Settings and caches come from the app's state, not as dependencies: this runs on every
    request, and each dependency FastAPI resolves costs more than the cached lookup.)"""
    settings: Settings = request.app.state.settings
    caches: Caches = request.app.state.caches
    authorization = request.headers.get("authorization")
    principal = service.authenticate_cached(settings, authorization, caches)
    if principal is None:
        principal = await run_in_threadpool(
            service.authenticate, request.app.state.database, settings, authorization, caches
        )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def enforce_rate_limit(request: Request, principal: PrincipalDep) -> None:
    """Count the call against its key's or member's limit; 429 past it. The in-process
    counter answers on the event loop; a shared (Redis) one in the thread pool."""
    limiter: RateLimiter = request.app.state.rate_limiter
    if limiter.in_process:
        decision = limiter.check(principal)
    else:
        decision = await run_in_threadpool(limiter.check, principal)
    if decision is None:
        return
    headers = decision.headers()
    request.state.response_headers = headers
    if not decision.allowed:
        raise RateLimited(
            f"Over {decision.limit} requests a minute; retry in {decision.reset_seconds} s.",
            headers={**headers, "Retry-After": str(decision.reset_seconds)},
        )


async def require_tenant_key(principal: PrincipalDep) -> Principal:
    if principal.is_member:
        raise ForbiddenForMemberToken()
    return principal


TenantKeyDep = Annotated[Principal, Depends(require_tenant_key)]
