from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from app.core.schemas import StrictInput, Timestamp
from app.webhooks import urls

EventType = Literal[
    "member.erased",
    "couple.paired",
    "couple.dissolved",
    "check_in.created",
    "delivery.revealed",
    "connection.signal_raised",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
EndpointStatus = Literal["enabled", "disabled"]
DisabledReason = Literal["manual", "gone", "failing"]
DeliveryStatus = Literal["pending", "delivered", "failed"]

MAX_GRACE_HOURS = 7 * 24
DEFAULT_GRACE_HOURS = 24


def _distinct(values: list[EventType]) -> list[EventType]:
    if len(set(values)) != len(values):
        raise ValueError("events must not repeat")
    return values


WebhookUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2048),
    AfterValidator(urls.check_shape),
    Field(
        description="Where to POST events: `https://` (plain `http://` only outside "
        "production), no credentials; it must not resolve to a private address.",
        examples=["https://api.example.com/rapport/webhooks"],
    ),
]
Events = Annotated[
    list[EventType],
    Field(min_length=1, max_length=len(EVENT_TYPES), description="The event types to send."),
    AfterValidator(_distinct),
]
Description = Annotated[str, StringConstraints(max_length=500)]

ENDPOINT_EXAMPLE: dict[str, Any] = {
    "id": "whe_2q7m4xk3v5b6n7c2lq5tiyw3za",
    "url": "https://api.example.com/rapport/webhooks",
    "description": "Production receiver",
    "events": ["couple.paired", "check_in.created", "connection.signal_raised"],
    "status": "enabled",
    "disabled_reason": None,
    "disabled_at": None,
    "previous_secret_expires_at": None,
    "livemode": False,
    "created_at": "2026-11-25T17:30:00Z",
    "updated_at": "2026-11-25T17:30:00Z",
}
SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3rQIZpGmJ3U="  # noqa: S105 - an example


class WebhookEndpointCreate(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://api.example.com/rapport/webhooks",
                    "events": ["couple.paired", "check_in.created", "connection.signal_raised"],
                    "description": "Production receiver",
                }
            ]
        }
    )

    url: WebhookUrl
    events: Events
    description: Description = ""


class WebhookEndpointUpdate(StrictInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"events": ["member.erased", "couple.dissolved"]},
                {"status": "enabled"},
            ]
        }
    )

    url: WebhookUrl | None = None
    events: Events | None = None
    description: Description | None = None
    status: EndpointStatus | None = Field(
        default=None,
        description="`disabled` stops deliveries; `enabled` resumes them (new events only).",
    )


class WebhookSecretRotate(StrictInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"grace_hours": 24}]})

    grace_hours: Annotated[StrictInt, Field(ge=0, le=MAX_GRACE_HOURS)] = Field(
        default=DEFAULT_GRACE_HOURS,
        description="How long the old secret keeps signing too (0 to 168 hours; default 24).",
    )


class WebhookEndpointPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ENDPOINT_EXAMPLE]})

    id: str
    url: str
    description: str
    events: list[EventType]
    status: EndpointStatus
    disabled_reason: DisabledReason | None = Field(
        description="`manual` (you), `gone` (it answered 410) or `failing` (three days of "
        "failed attempts)."
    )
    disabled_at: Timestamp | None
    previous_secret_expires_at: Timestamp | None = Field(
        description="During a rotation: until when deliveries carry the old signature too."
    )
    livemode: bool
    created_at: Timestamp
    updated_at: Timestamp


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    """The endpoint with its signing secret: shown only on create and on rotation."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**ENDPOINT_EXAMPLE, "secret": SECRET_EXAMPLE}]}
    )

    secret: str = Field(description="`whsec_` + base64 of 32 random bytes. Shown only now.")


EVENT_EXAMPLE: dict[str, Any] = {
    "id": "evt_5w2xq7m4k3v5b6n7c2lq5tiyw3",
    "type": "check_in.created",
    "timestamp": "2026-11-25T17:30:00Z",
    "data": {
        "check_in_id": "chk_7d2k4m5n6p7q2r3s4t5v6w7x2y",
        "couple_id": "cpl_t2o5zq7mxl4b3yq6nq2w5d7kpa",
        "member_id": "mem_3kq5v7x2z4b6d2f3h4j5l6n7pa",
    },
}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": "whd_4n6p2r3t5v7x2z3b4d5f6h7j2k",
    "endpoint_id": ENDPOINT_EXAMPLE["id"],
    "event": EVENT_EXAMPLE,
    "status": "pending",
    "attempts": 2,
    "next_attempt_at": "2026-11-25T17:35:05Z",
    "last_attempt_at": "2026-11-25T17:30:05Z",
    "last_response_status": 500,
    "last_error": None,
    "delivered_at": None,
    "livemode": False,
    "created_at": "2026-11-25T17:30:00Z",
}


class WebhookEventPublic(BaseModel):
    """The event as delivered: `webhook-id` is its `id`; the body is `type`, `timestamp`
    and `data`."""

    model_config = ConfigDict(json_schema_extra={"examples": [EVENT_EXAMPLE]})

    id: str = Field(description="Sent as `webhook-id`: the same on every retry.")
    type: EventType
    timestamp: Timestamp
    data: dict[str, Any] = Field(description="Ids only (and a signal's code and severity).")


class WebhookDeliveryPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})

    id: str
    endpoint_id: str
    event: WebhookEventPublic
    status: DeliveryStatus = Field(
        description="`pending` (due at `next_attempt_at`), `delivered` or `failed` (retries "
        "exhausted, the endpoint answered 410, or it was disabled)."
    )
    attempts: int = Field(description="Attempts made so far.")
    next_attempt_at: Timestamp | None
    last_attempt_at: Timestamp | None
    last_response_status: int | None
    last_error: str | None
    delivered_at: Timestamp | None
    livemode: bool
    created_at: Timestamp


class WebhookAttemptPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "wha_6p2r3t5v7x2z3b4d5f6h7j2k4n",
                    "delivery_id": DELIVERY_EXAMPLE["id"],
                    "number": 1,
                    "attempted_at": "2026-11-25T17:30:00Z",
                    "duration_ms": 182,
                    "response_status": 500,
                    "response_body": '{"error": "database down"}',
                    "error": None,
                }
            ]
        }
    )

    id: str
    delivery_id: str
    number: int = Field(description="1 for the first attempt.")
    attempted_at: Timestamp
    duration_ms: int
    response_status: int | None = Field(description="Null when no answer came back.")
    response_body: str | None = Field(description="The first 1,024 characters of the answer.")
    error: str | None = Field(description="Why the attempt failed without an answer.")
