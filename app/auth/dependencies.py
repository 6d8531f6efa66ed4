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

# Both credentials travel as `Authorization: Bearer …`; they are two schemes so the spec can
# say which operations take which, and the docs page's Authorize dialog offers both. The
# credential itself is read (and told apart) by `service.authenticate`.
API_KEY_SCHEME = "apiKey"
MEMBER_TOKEN_SCHEME = "memberToken"  # noqa: S105 (a scheme name, not a secret)

api_key = HTTPBearer(
    scheme_name=API_KEY_SCHEME,
    bearerFormat="sk_live_… or sk_test_…",
    description=(
        "A tenant secret key, for a partner's backend: `sk_live_…` sees live objects, "
        "`sk_test_…` test objects. Created with `rapport keys create`; shown once."
    ),
    auto_error=False,
)
member_token = HTTPBearer(
    scheme_name=MEMBER_TOKEN_SCHEME,
    bearerFormat="JWT",
    description=(
        "A short-lived member token (a signed JWT), for a mobile app acting as one member: "
        "minted by `POST /v1/members/{member_id}/tokens` with a secret key."
    ),
    auto_error=False,
)
Credentials = HTTPAuthorizationCredentials | None


async def authenticate(
    request: Request,
    _key: Annotated[Credentials, Depends(api_key)],
    _token: Annotated[Credentials, Depends(member_token)],
) -> Principal:
    """Who is calling, counted against its key's or member's rate limit (429 past it).

    A cached secret key answers on the event loop; anything needing the database (a member
    token, a key not cached yet, versions due a refresh) goes to the thread pool, as does a
    shared (Redis) rate limit. One dependency, not two: this runs on every request, and each
    dependency FastAPI resolves costs more than the cached lookup (so settings and caches
    come from the app's state too)."""
    settings: Settings = request.app.state.settings
    caches: Caches = request.app.state.caches
    authorization = request.headers.get("authorization")
    principal = service.authenticate_cached(settings, authorization, caches)
    if principal is None:
        principal = await run_in_threadpool(
            service.authenticate, request.app.state.database, settings, authorization, caches
        )
    request.state.principal = principal
    await _enforce_rate_limit(request, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


async def _enforce_rate_limit(request: Request, principal: Principal) -> None:
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
