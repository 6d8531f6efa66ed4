from typing import Annotated

from fastapi import Depends, Path

from app.auth.dependencies import PrincipalDep
from app.core.routing import SessionDep
from app.deliveries import service
from app.deliveries.models import Delivery

DeliveryId = Annotated[str, Path(description="A delivery's id (`dlv_…`).")]


def get_delivery_or_404(
    delivery_id: DeliveryId, session: SessionDep, principal: PrincipalDep
) -> Delivery:
    return service.get_visible(session, principal, delivery_id)


DeliveryDep = Annotated[Delivery, Depends(get_delivery_or_404)]
