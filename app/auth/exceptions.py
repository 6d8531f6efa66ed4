from app.core.errors import AppError

# RFC 6750: the realm, and the error when a credential was offered but is unusable.
CHALLENGE = 'Bearer realm="rapport"'
INVALID_CHALLENGE = 'Bearer realm="rapport", error="invalid_token"'


class AuthenticationRequired(AppError):
    status = 401
    code = "authentication_required"
    title = "Authentication required"

    def __init__(self) -> None:
        super().__init__(
            "Send `Authorization: Bearer <secret key or member token>`.",
            headers={"WWW-Authenticate": CHALLENGE},
        )


class InvalidCredentials(AppError):
    """Malformed, unknown, revoked or expired: one answer, so probing learns nothing."""

    status = 401
    code = "invalid_credentials"
    title = "Invalid credentials"

    def __init__(
        self, detail: str = "The credential is malformed, unknown, revoked or expired."
    ) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": INVALID_CHALLENGE})


class ForbiddenForMemberToken(AppError):
    status = 403
    code = "forbidden_for_member_token"
    title = "Not allowed with a member token"

    def __init__(self) -> None:
        super().__init__("This call needs the tenant's secret key; a member token cannot make it.")
