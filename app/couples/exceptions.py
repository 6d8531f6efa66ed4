from app.core.errors import AppError, NotFound


class InviteNotFound(NotFound):
    code = "invite_not_found"
    title = "Invite not found"


class InviteExpired(AppError):
    status = 410
    code = "invite_expired"
    title = "Invite expired"


class InviteRevoked(AppError):
    status = 410
    code = "invite_revoked"
    title = "Invite revoked"


class InviteUsed(AppError):
    status = 409
    code = "invite_used"
    title = "Invite already used"


class AlreadyPaired(AppError):
    status = 409
    code = "already_paired"
    title = "Already in an active couple"


class CannotPairWithSelf(AppError):
    status = 422
    code = "cannot_pair_with_self"
    title = "A member cannot accept its own invite"


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"
    title = "Too many failed invite lookups"


class CoupleNotFound(NotFound):
    title = "Couple not found"


class CoupleNotActive(AppError):
    status = 409
    code = "couple_not_active"
    title = "The couple is already dissolved"
