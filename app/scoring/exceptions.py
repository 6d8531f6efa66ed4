from app.core.errors import ValidationFailed


class DateOutOfRange(ValidationFailed):
    code = "date_out_of_range"
    title = "Date out of range"
