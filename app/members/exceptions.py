from app.core.errors import AppError, NotFound


class MemberNotFound(NotFound):
    title = "Member not found"


class MemberExists(AppError):
    status = 409
    code = "member_exists"
    title = "A member with this external_id exists"
