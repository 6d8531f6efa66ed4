from app.core.errors import ValidationFailed


class DateOutOfRange(ValidationFailed):
    def __init__(self, detail: str, *, pointer: str) -> None:
        super().__init__(detail, pointer=pointer, code="date_out_of_range")
