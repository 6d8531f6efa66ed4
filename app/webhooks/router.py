from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import TenantKeyDep
from app.auth.exceptions import ForbiddenForMemberToken
from app.core.errors import responses
from app.core.pagination import Page, PageDep
from app.core.routing import ApiRoute, SessionDep, SettingsDep
from app.webhooks import service
from app.webhooks.dependencies import DeliveryDep, EndpointDep
from app.webhooks.exceptions import (
    WebhookDeliveryNotFound,
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
    WebhookUrlNotAllowed,
    WebhookUrlUnresolvable,
)
from app.webhooks.schemas import (
    DeliveryStatus,
    WebhookAttemptPublic,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookSecretRotate,
)

router = APIRouter(prefix="/v1", tags=["webhooks"], route_class=ApiRoute)

ENDPOINT_ERRORS = responses(ForbiddenForMemberToken, WebhookEndpointNotFound)
DELIVERY_ERRORS = responses(ForbiddenForMemberToken, WebhookDeliveryNotFound)
URL_ERRORS = (WebhookUrlNotAllowed, WebhookUrlUnresolvable)


@router.post(
    "/webhook-endpoints",
    status_code=status.HTTP_201_CREATED,
    responses=responses(ForbiddenForMemberToken, *URL_ERRORS),
)
def create_webhook_endpoint(
    body: WebhookEndpointCreate, session: SessionDep, principal: TenantKeyDep, settings: SettingsDep
) -> WebhookEndpointWithSecret:
    """Subscribe a URL to events

    Create a webhook endpoint for your tenant in this key's mode. The answer holds its
    `whsec_` signing secret, shown only now (and on rotation). Outside development and test
    the URL must be `https://` and its host must resolve to public addresses only (422
    `webhook_url_not_allowed`). Events that happen from now on are delivered, signed per
    Standard Webhooks v1; see docs/webhooks.md.
    """
    endpoint = service.create_endpoint(session, principal, settings, body)
    return service.endpoint_with_secret(endpoint)


@router.get(
    "/webhook-endpoints",
    responses=responses(ForbiddenForMemberToken),
)
def list_webhook_endpoints(
    session: SessionDep, principal: TenantKeyDep, page: PageDep
) -> Page[WebhookEndpointPublic]:
    """List webhook endpoints

    Your endpoints in this key's mode, newest first. Secrets are never listed.
    """
    return service.list_endpoints(session, principal, page)


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    responses=ENDPOINT_ERRORS,
)
def get_webhook_endpoint(endpoint: EndpointDep) -> WebhookEndpointPublic:
    """Read a webhook endpoint

    The endpoint's URL, events and status: `disabled` with a reason when you disabled it,
    when it answered 410 Gone, or after about three days of failed attempts.
    """
    return service.endpoint_public(endpoint)


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    responses=responses(ForbiddenForMemberToken, WebhookEndpointNotFound, *URL_ERRORS),
)
def update_webhook_endpoint(
    body: WebhookEndpointUpdate,
    session: SessionDep,
    principal: TenantKeyDep,
    settings: SettingsDep,
    endpoint: EndpointDep,
) -> WebhookEndpointPublic:
    """Change a webhook endpoint

    Change the URL (checked as on create), the events, the description, or the status:
    `disabled` stops deliveries and fails the pending ones; `enabled` resumes deliveries for
    events from then on (retry a failed delivery to send it again).
    """
    updated = service.update_endpoint(session, principal, settings, endpoint, body)
    return service.endpoint_public(updated)


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=ENDPOINT_ERRORS,
)
def delete_webhook_endpoint(
    session: SessionDep, principal: TenantKeyDep, endpoint: EndpointDep
) -> Response:
    """Delete a webhook endpoint

    Stop sending to the endpoint for good, and forget its deliveries and their attempts.
    """
    service.delete_endpoint(session, principal, endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    responses=ENDPOINT_ERRORS,
)
def rotate_webhook_secret(
    session: SessionDep,
    principal: TenantKeyDep,
    endpoint: EndpointDep,
    body: WebhookSecretRotate | None = None,
) -> WebhookEndpointWithSecret:
    """Rotate the signing secret

    Issue a new `whsec_` secret, shown only now. For `grace_hours` (default 24) every
    delivery carries two signatures in `webhook-signature`, space-separated: one with the
    new secret and one with the old, so receivers can switch without a gap.
    """
    grace = timedelta(hours=(body or WebhookSecretRotate()).grace_hours)
    rotated = service.rotate_secret(session, principal, endpoint, grace)
    return service.endpoint_with_secret(rotated)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    responses=ENDPOINT_ERRORS,
)
def list_webhook_deliveries(
    session: SessionDep,
    endpoint: EndpointDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
) -> Page[WebhookDeliveryPublic]:
    """List an endpoint's deliveries

    Each event sent (or to be sent) to the endpoint, newest first: its status, attempts so
    far, the next attempt's time, and the last answer or error. Filter with `status`.
    """
    return service.list_deliveries(session, endpoint, page, status)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}",
    responses=DELIVERY_ERRORS,
)
def get_webhook_delivery(
    session: SessionDep, endpoint: EndpointDep, delivery: DeliveryDep
) -> WebhookDeliveryPublic:
    """Read a delivery

    One delivery with its event: the `webhook-id`, type, timestamp and data exactly as sent.
    """
    return service.delivery_public(session, endpoint, delivery)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/attempts",
    responses=DELIVERY_ERRORS,
)
def list_webhook_attempts(
    session: SessionDep, delivery: DeliveryDep, page: PageDep
) -> Page[WebhookAttemptPublic]:
    """List a delivery's attempts

    Every HTTP request made for the delivery, newest first: when, how long it took, the
    answer's status and first 1,024 characters, or the error (timeout, refused connection,
    forbidden address).
    """
    return service.list_attempts(session, delivery, page)


@router.post(
    "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
    responses=responses(ForbiddenForMemberToken, WebhookDeliveryNotFound, WebhookEndpointDisabled),
)
def retry_webhook_delivery(
    session: SessionDep, endpoint: EndpointDep, delivery: DeliveryDep
) -> WebhookDeliveryPublic:
    """Send a delivery again

    Make the delivery due now, whatever its status: the next worker sends it with the same
    `webhook-id`, so your receiver can tell it is the same event. A failed delivery gets one
    more attempt. 409 `webhook_endpoint_disabled` while the endpoint is disabled.
    """
    return service.delivery_public(
        session, endpoint, service.retry_delivery(session, endpoint, delivery)
    )
