"""Webhook endpoints, the outbox every domain writes its events into, and the state of
each delivery (claimed by a worker, attempted, retried, given up)."""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, col, delete, func, select

from app.audit import service as audit
from app.core.config import Settings
from app.core.db import utcnow
from app.core.ids import new_id
from app.core.pagination import Page, PageParams, paginate
from app.core.security import Principal
from app.webhooks import signing, urls
from app.webhooks.exceptions import (
    WebhookDeliveryNotFound,
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
)
from app.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from app.webhooks.schemas import (
    DeliveryStatus,
    DisabledReason,
    EndpointStatus,
    EventType,
    WebhookAttemptPublic,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookEventPublic,
)

SIGNAL_RAISED: EventType = "connection.signal_raised"
# After the first attempt fails, the next ones wait these long (each ±10% jitter): eleven
# attempts over about three days.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=14),
    timedelta(hours=16),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
# A receiver's `Retry-After` is honoured up to this long.
MAX_RETRY_AFTER = timedelta(hours=24)
RESPONSE_BODY_LIMIT = 1024
ERROR_LIMIT = 500
RETENTION = timedelta(days=30)


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the outbox ------------------------------------------------------------------------


# Built once: this runs in every write that may emit an event (every check-in), and building
# the statement cost as much as running it.
_SUBSCRIBED = select(WebhookEndpoint.id, WebhookEndpoint.events).where(
    WebhookEndpoint.tenant_id == bindparam("tenant_id"),
    WebhookEndpoint.livemode == bindparam("livemode"),
    col(WebhookEndpoint.disabled_at).is_(None),
)


def record(
    session: Session, *, tenant_id: str, livemode: bool, type: EventType, data: dict[str, Any]
) -> WebhookEvent | None:
    """Write the event, in the caller's transaction, with one delivery per enabled endpoint
    of the tenant and mode subscribed to it. With no such endpoint this is one indexed
    query and writes nothing. A check-in is kept (without deliveries) when an endpoint
    wants `connection.signal_raised`, so a worker recomputes the couple's signals."""
    subscribed = session.exec(
        _SUBSCRIBED, params={"tenant_id": tenant_id, "livemode": livemode}
    ).all()
    targets = [endpoint_id for endpoint_id, events in subscribed if type in events]
    signals = type == "check_in.created" and any(SIGNAL_RAISED in e for _, e in subscribed)
    if not targets and not signals:
        return None
    now = utcnow()
    body = {"type": type, "timestamp": _timestamp(now), "data": data}
    event = WebhookEvent(
        id=new_id("evt"),
        tenant_id=tenant_id,
        livemode=livemode,
        type=type,
        data=data,
        payload=json.dumps(body, separators=(",", ":")),
        signals_pending=signals,
        created_at=now,
    )
    session.add(event)
    session.flush()
    for endpoint_id in targets:
        session.add(
            WebhookDelivery(
                id=new_id("whd"),
                endpoint_id=endpoint_id,
                event_id=event.id,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return event


# ---- endpoints -------------------------------------------------------------------------


def check_url(settings: Settings, url: str) -> None:
    production = settings.environment == "production"
    urls.check_destination(url, allow_private=not production, require_https=production)


def endpoint_status(endpoint: WebhookEndpoint) -> EndpointStatus:
    return "disabled" if endpoint.disabled_at else "enabled"


def endpoint_public(endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        events=cast(list[EventType], endpoint.events),
        status=endpoint_status(endpoint),
        disabled_reason=cast(DisabledReason | None, endpoint.disabled_reason),
        disabled_at=endpoint.disabled_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        livemode=endpoint.livemode,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoint_with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(
        **endpoint_public(endpoint).model_dump(), secret=endpoint.secret
    )


def create_endpoint(
    session: Session, principal: Principal, settings: Settings, data: WebhookEndpointCreate
) -> WebhookEndpoint:
    check_url(settings, data.url)
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        tenant_id=principal.tenant_id,
        livemode=principal.livemode,
        url=data.url,
        description=data.description,
        events=list(data.events),
        secret=signing.new_secret(),
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session, principal=principal, action="webhook_endpoint.created", object_id=endpoint.id
    )
    return endpoint


def get_endpoint(session: Session, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if (
        endpoint is None
        or endpoint.tenant_id != principal.tenant_id
        or endpoint.livemode != principal.livemode
    ):
        raise WebhookEndpointNotFound(f"No webhook endpoint {endpoint_id} here.")
    return endpoint


def list_endpoints(
    session: Session, principal: Principal, page: PageParams
) -> Page[WebhookEndpointPublic]:
    return paginate(
        session,
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == principal.tenant_id,
            WebhookEndpoint.livemode == principal.livemode,
        ),
        sort_column=col(WebhookEndpoint.created_at),
        id_column=col(WebhookEndpoint.id),
        page=page,
        to_public=endpoint_public,
    )


def update_endpoint(
    session: Session,
    principal: Principal,
    settings: Settings,
    endpoint: WebhookEndpoint,
    data: WebhookEndpointUpdate,
) -> WebhookEndpoint:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        check_url(settings, changes["url"])
        endpoint.url = changes["url"]
    if changes.get("events") is not None:
        endpoint.events = list(changes["events"])
    if changes.get("description") is not None:
        endpoint.description = changes["description"]
    status = changes.get("status")
    if status == "disabled" and endpoint.disabled_at is None:
        disable(session, endpoint, "manual")
    elif status == "enabled" and endpoint.disabled_at is not None:
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    session.flush()
    audit.record(
        session, principal=principal, action="webhook_endpoint.updated", object_id=endpoint.id
    )
    return endpoint


def delete_endpoint(session: Session, principal: Principal, endpoint: WebhookEndpoint) -> None:
    """The endpoint with its deliveries and their attempts (events go with retention)."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    session.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(deliveries)))
    session.exec(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id))
    session.delete(endpoint)
    session.flush()
    audit.record(
        session, principal=principal, action="webhook_endpoint.deleted", object_id=endpoint.id
    )


def rotate_secret(
    session: Session, principal: Principal, endpoint: WebhookEndpoint, grace: timedelta
) -> WebhookEndpoint:
    """A new secret now; the old one keeps signing beside it for `grace`."""
    now = utcnow()
    if grace > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + grace
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = now
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="webhook_endpoint.secret_rotated",
        object_id=endpoint.id,
    )
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def disable(
    session: Session, endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime | None = None
) -> None:
    """Stop the endpoint: its pending deliveries fail at once."""
    now = now or utcnow()
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    session.add(endpoint)
    session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id,
            col(WebhookDelivery.status) == "pending",
        )
        .values(status="failed", next_attempt_at=None, last_error="The endpoint was disabled.")
    )


# ---- deliveries, as partners see them --------------------------------------------------


def event_public(event: WebhookEvent) -> WebhookEventPublic:
    return WebhookEventPublic(
        id=event.id,
        type=cast(EventType, event.type),
        timestamp=event.created_at,
        data=event.data,
    )


def delivery_public(
    session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery
) -> WebhookDeliveryPublic:
    event = session.get(WebhookEvent, delivery.event_id)
    assert event is not None
    return WebhookDeliveryPublic(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event=event_public(event),
        status=cast(DeliveryStatus, delivery.status),
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_attempt_at=delivery.last_attempt_at,
        last_response_status=delivery.last_response_status,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        livemode=endpoint.livemode,
        created_at=delivery.created_at,
    )


def list_deliveries(
    session: Session,
    endpoint: WebhookEndpoint,
    page: PageParams,
    status: DeliveryStatus | None,
) -> Page[WebhookDeliveryPublic]:
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    return paginate(
        session,
        statement,
        sort_column=col(WebhookDelivery.created_at),
        id_column=col(WebhookDelivery.id),
        page=page,
        to_public=lambda d: delivery_public(session, endpoint, d),
    )


def get_delivery(session: Session, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise WebhookDeliveryNotFound(f"No delivery {delivery_id} for endpoint {endpoint.id}.")
    return delivery


def attempt_public(attempt: WebhookAttempt) -> WebhookAttemptPublic:
    return WebhookAttemptPublic.model_validate(attempt, from_attributes=True)


def list_attempts(
    session: Session, delivery: WebhookDelivery, page: PageParams
) -> Page[WebhookAttemptPublic]:
    return paginate(
        session,
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id),
        sort_column=col(WebhookAttempt.attempted_at),
        id_column=col(WebhookAttempt.id),
        page=page,
        to_public=attempt_public,
    )


def retry_delivery(
    session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery
) -> WebhookDelivery:
    """Send it again now, with the same `webhook-id` (one more attempt if it had failed)."""
    if endpoint.disabled_at is not None:
        raise WebhookEndpointDisabled(
            f"Endpoint {endpoint.id} is disabled; enable it (PATCH status) to retry."
        )
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    session.add(delivery)
    session.flush()
    return delivery


# ---- what workers do -------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A claimed delivery, as plain values: the worker holds no session while sending."""

    delivery_id: str
    lease: str
    attempt: int
    event_id: str
    url: str
    payload: str
    secrets: list[str]
    endpoint_enabled: bool


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    duration_ms: int
    status_code: int | None = None
    body: str | None = None
    error: str | None = None
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _due(now: datetime) -> Any:
    return (
        col(WebhookDelivery.next_attempt_at) <= now,
        or_(
            col(WebhookDelivery.locked_until).is_(None),
            col(WebhookDelivery.locked_until) <= now,
        ),
    )


def claim(session: Session, now: datetime, lease_for: timedelta, limit: int = 1) -> list[Job]:
    """Take up to `limit` due deliveries for `lease_for`. Rows locked by another worker are
    skipped (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite's write lock serializes), and the
    update is guarded, so a delivery has one holder at a time. A holder that dies leaves
    the delivery to whoever claims it after the lease ends. The caller commits."""
    candidates = session.exec(
        select(WebhookDelivery.id)
        .where(*_due(now))
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    lease = new_id("lse")
    for delivery_id in candidates:
        session.exec(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, *_due(now))
            .values(
                locked_until=now + lease_for,
                lease=lease,
                attempts=col(WebhookDelivery.attempts) + 1,
            )
        )
    jobs = []
    for delivery in session.exec(select(WebhookDelivery).where(WebhookDelivery.lease == lease)):
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        event = session.get(WebhookEvent, delivery.event_id)
        assert endpoint is not None
        assert event is not None
        jobs.append(
            Job(
                delivery_id=delivery.id,
                lease=lease,
                attempt=delivery.attempts,
                event_id=event.id,
                url=endpoint.url,
                payload=event.payload,
                secrets=signing_secrets(endpoint, now),
                endpoint_enabled=endpoint.disabled_at is None,
            )
        )
    return jobs


def retry_delay(attempts: int, retry_after: timedelta | None, rng: random.Random) -> timedelta:
    """The wait after `attempts` failed attempts: the schedule with jitter, or longer when
    the receiver asked for it with `Retry-After`."""
    scheduled = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    delay = scheduled * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def _clean(text: str | None, limit: int) -> str | None:
    """Text as PostgreSQL can store it (no NUL), cut to `limit` characters."""
    return None if text is None else text.replace("\x00", "\ufffd")[:limit]


def finish(
    session: Session,
    job: Job,
    outcome: Outcome,
    now: datetime,
    rng: random.Random,
) -> DeliveryStatus | None:
    """Record the attempt and decide what comes next. None when the lease was lost (the
    delivery was taken over or deleted): another holder decides then."""
    delivery = session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == job.delivery_id, WebhookDelivery.lease == job.lease)
        .with_for_update()
    ).first()
    if delivery is None:
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    error = _clean(outcome.error, ERROR_LIMIT)
    session.add(
        WebhookAttempt(
            id=new_id("wha"),
            delivery_id=delivery.id,
            number=job.attempt,
            attempted_at=outcome.attempted_at,
            duration_ms=outcome.duration_ms,
            response_status=outcome.status_code,
            response_body=_clean(outcome.body, RESPONSE_BODY_LIMIT),
            error=error,
        )
    )
    delivery.locked_until = None
    delivery.lease = None
    delivery.last_attempt_at = outcome.attempted_at
    delivery.last_response_status = outcome.status_code
    delivery.last_error = error
    if outcome.succeeded:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        endpoint.failing_since = None
        session.add(endpoint)
    elif outcome.status_code == 410:
        delivery.status = "failed"
        delivery.next_attempt_at = None
        disable(session, endpoint, "gone", now)
    else:
        if endpoint.failing_since is None:
            endpoint.failing_since = outcome.attempted_at
            session.add(endpoint)
        if delivery.attempts < MAX_ATTEMPTS:
            delivery.status = "pending"
            delivery.next_attempt_at = now + retry_delay(
                delivery.attempts, outcome.retry_after, rng
            )
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = None
            # Every attempt to the endpoint failed since this delivery's first: about three
            # days of failure, so stop sending.
            first = session.exec(
                select(func.min(WebhookAttempt.attempted_at)).where(
                    WebhookAttempt.delivery_id == delivery.id
                )
            ).one()
            if endpoint.failing_since <= (first or delivery.created_at):
                disable(session, endpoint, "failing", now)
    session.add(delivery)
    session.flush()
    return cast(DeliveryStatus, delivery.status)


def give_up(session: Session, job: Job, reason: str) -> None:
    """Fail a claimed delivery without sending it (its endpoint was disabled meanwhile)."""
    session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == job.delivery_id, col(WebhookDelivery.lease) == job.lease)
        .values(
            status="failed", next_attempt_at=None, locked_until=None, lease=None, last_error=reason
        )
    )


def prune(session: Session, before: datetime, batch: int = 500) -> int:
    """Forget events older than `before` whose deliveries are all finished."""
    unfinished = select(WebhookDelivery.event_id).where(WebhookDelivery.status == "pending")
    old = session.exec(
        select(WebhookEvent.id)
        .where(
            col(WebhookEvent.created_at) < before,
            col(WebhookEvent.signals_pending).is_(False),
            col(WebhookEvent.id).not_in(unfinished),
        )
        .limit(batch)
    ).all()
    if not old:
        return 0
    deliveries = select(WebhookDelivery.id).where(col(WebhookDelivery.event_id).in_(old))
    session.exec(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(deliveries)))
    session.exec(delete(WebhookDelivery).where(col(WebhookDelivery.event_id).in_(old)))
    session.exec(delete(WebhookEvent).where(col(WebhookEvent.id).in_(old)))
    return len(old)
