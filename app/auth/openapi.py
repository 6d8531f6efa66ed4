"""What the OpenAPI document says about credentials: which scheme each operation takes and
the problems authentication adds, read from the route's own dependencies so a new route is
described correctly without saying anything more."""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant

from app.auth.dependencies import (
    API_KEY_SCHEME,
    MEMBER_TOKEN_SCHEME,
    authenticate,
    require_tenant_key,
)
from app.auth.exceptions import AuthenticationRequired, ForbiddenForMemberToken, InvalidCredentials
from app.core.errors import DatabaseUnavailable
from app.core.openapi import RouteDocs
from app.core.ratelimit import RateLimited

PUBLIC = RouteDocs(security=[], errors=())
KEY_OR_TOKEN = RouteDocs(
    security=[{API_KEY_SCHEME: []}, {MEMBER_TOKEN_SCHEME: []}],
    errors=(AuthenticationRequired, InvalidCredentials, RateLimited, DatabaseUnavailable),
)
KEY_ONLY = RouteDocs(
    security=[{API_KEY_SCHEME: []}],
    errors=(*KEY_OR_TOKEN.errors, ForbiddenForMemberToken),
)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def describe(dependant: Dependant) -> RouteDocs:
    """Public unless the route authenticates; key-only when it refuses member tokens."""
    calls = set(_calls(dependant))
    if authenticate not in calls:
        return PUBLIC
    if require_tenant_key in calls:
        return KEY_ONLY
    return KEY_OR_TOKEN
