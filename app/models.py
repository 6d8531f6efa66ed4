"""The table registry Alembic imports: the naming convention first, then every domain."""

from app.audit.models import AuditEvent
from app.catalog.models import Catalog, Prompt, PromptDimension
from app.core.base import SQLModel
from app.core.idempotency import IdempotencyRecord
from app.couples.models import ActivePairing, Couple, Invite, InviteAttempt
from app.members.models import Member
from app.tenants.models import ApiKey, Tenant

metadata = SQLModel.metadata

__all__ = [
    "ActivePairing",
    "ApiKey",
    "AuditEvent",
    "Catalog",
    "Couple",
    "IdempotencyRecord",
    "Invite",
    "InviteAttempt",
    "Member",
    "Prompt",
    "PromptDimension",
    "Tenant",
    "metadata",
]
