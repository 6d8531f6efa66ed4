from app.core.errors import AppError, Forbidden, NotFound


class CheckInNotFound(NotFound):
    title = "Check-in not found"


class CheckInExists(AppError):
    status = 409
    code = "check_in_exists"
    title = "The member already checked in for this date"


class CheckInLocked(AppError):
    status = 409
    code = "check_in_locked"
    title = "The check-in can no longer be changed"


class LocalDateOutOfRange(AppError):
    status = 422
    code = "local_date_out_of_range"
    title = "Local date out of range"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"pointer": "#/local_date", "detail": detail}])


class MemberNotInCouple(AppError):
    status = 422
    code = "member_not_in_couple"
    title = "The member is not in this couple"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"pointer": "#/member_id", "detail": detail}])


class NotCheckInAuthor(Forbidden):
    code = "not_check_in_author"
    title = "Only the check-in's author may change it"
