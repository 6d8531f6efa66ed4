from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import TenantKeyDep
from app.core.routing import SessionDep
from app.webhooks import service
from app.webhooks.models import WebhookDelivery, WebhookEndpoint


def get_endpoint_or_404(
    endpoint_id: str, session: SessionDep, principal: TenantKeyDep
) -> WebhookEndpoint:
    """The tenant's endpoint in this mode: 403 for a member token, else 404 if unseen."""
    return service.get_endpoint(session, principal, endpoint_id)


EndpointDep = Annotated[WebhookEndpoint, Depends(get_endpoint_or_404)]


def get_delivery_or_404(
    delivery_id: str, session: SessionDep, endpoint: EndpointDep
) -> WebhookDelivery:
    return service.get_delivery(session, endpoint, delivery_id)


DeliveryDep = Annotated[WebhookDelivery, Depends(get_delivery_or_404)]
