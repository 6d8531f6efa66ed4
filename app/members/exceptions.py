from app.core.errors import AppError, Forbidden, NotFound


class MemberNotFound(NotFound):
    title = "Member not found"


class MemberExists(AppError):
    status = 409
    code = "member_exists"
    title = "A member with this external_id exists"


class ActingForAnotherMember(Forbidden):
    code = "cannot_act_for_another_member"
    title = "A member token acts only for its own member"


class MemberIdRequired(AppError):
    status = 422
    code = "member_id_required"
    title = "Name the member this call acts for"

    def __init__(self, field: str = "member_id") -> None:
        super().__init__(
            f"With a secret key, `{field}` is required.",
            errors=[{"pointer": f"#/{field}", "detail": "required with a secret key"}],
        )
