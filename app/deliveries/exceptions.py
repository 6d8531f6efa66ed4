from app.core.errors import AppError, NotFound


class DeliveryNotFound(NotFound):
    title = "Delivery not found"


class NoPromptAvailable(AppError):
    status = 409
    code = "no_prompt_available"
    title = "Every matching prompt was given to this couple recently"


class AnswerLocked(AppError):
    status = 409
    code = "answer_locked"
    title = "Both partners have answered; answers can no longer change"
