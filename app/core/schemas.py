"""Building blocks for request and response models: strict input, RFC 3339 output."""

import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

# Instants go out as RFC 3339 UTC with a Z, to the second.
Timestamp = Annotated[
    datetime,
    PlainSerializer(
        lambda value: value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        return_type=str,
        when_used="json",
    ),
]


class StrictInput(BaseModel):
    """Request bodies: unknown fields are refused. Integer fields are `StrictInt` (so `true`
    or `"5"` is not a number); strings never accept numbers. Model-wide strict mode is not
    used because it would refuse enum values and dates given as JSON strings."""

    model_config = ConfigDict(extra="forbid")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _real_zone(name: str) -> str:
    if name not in _zone_names():
        raise ValueError("must be an IANA time zone name such as Europe/Paris")
    return name


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_real_zone),
    Field(examples=["Europe/Paris"]),
]

Locale = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", max_length=16),
    Field(examples=["en"]),
]

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=255)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
