"""Authentication dependencies: every /v1 route gets a Principal; some refuse member tokens."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.exceptions import ForbiddenForMemberToken
from app.core.ratelimit import RateLimited, RateLimiter
from app.core.routing import SettingsDep
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


def authenticate(
    request: Request,
    settings: SettingsDep,
    _key: Annotated[Credentials, Depends(api_key)],
    _token: Annotated[Credentials, Depends(member_token)],
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
