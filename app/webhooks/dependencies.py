from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import TenantKeyDep
from app.core.routing import SessionDep
from app.webhooks import service
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

EndpointId = Annotated[str, Path(description="A webhook endpoint's id (`whe_…`).")]
WebhookDeliveryId = Annotated[str, Path(description="A webhook delivery's id (`whd_…`).")]


def get_endpoint_or_404(
    endpoint_id: EndpointId, session: SessionDep, principal: TenantKeyDep
) -> WebhookEndpoint:
    """The tenant's endpoint in this mode: 403 for a member token, else 404 if unseen."""
    return service.get_endpoint(session, principal, endpoint_id)


EndpointDep = Annotated[WebhookEndpoint, Depends(get_endpoint_or_404)]


def get_delivery_or_404(
    delivery_id: WebhookDeliveryId, session: SessionDep, endpoint: EndpointDep
) -> WebhookDelivery:
    """One delivery of that endpoint, else 404."""
    return service.get_delivery(session, endpoint, delivery_id)


DeliveryDep = Annotated[WebhookDelivery, Depends(get_delivery_or_404)]
