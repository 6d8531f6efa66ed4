"""Appending to the audit log, inside the caller's transaction."""

from sqlmodel import Session

from app.audit.models import AuditEvent
from app.core.ids import new_id
from app.core.logging import request_id_var
from app.core.security import Principal


def record(
    session: Session,
    *,
    action: str,
    object_id: str | None,
    principal: Principal | None = None,
    tenant_id: str | None = None,
    livemode: bool | None = None,
) -> AuditEvent:
    """`principal=None` means the operator's command line."""
    event = AuditEvent(
        id=new_id("aud"),
        tenant_id=principal.tenant_id if principal else tenant_id,
        livemode=principal.livemode if principal else livemode,
        actor_type=principal.kind if principal else "operator",
        actor_id=principal.actor_id if principal else None,
        action=action,
        object_id=object_id,
        request_id=request_id_var.get() or None,
    )
    session.add(event)
    return event
