"""The table registry Alembic imports: the naming convention first, then every domain."""

from app.audit.models import AuditEvent
from app.catalog.models import Catalog, Prompt, PromptDimension
from app.checkins.models import CheckIn
from app.core.base import SQLModel
from app.core.cache import CacheVersion
from app.core.idempotency import IdempotencyRecord
from app.couples.models import ActivePairing, Couple, Invite, InviteAttempt
from app.deliveries.models import Answer, Delivery
from app.encryption.models import MemberKey
from app.members.models import Member
from app.tenants.models import ApiKey, Tenant
from app.webhooks.models import (
    CoupleSignalState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

metadata = SQLModel.metadata

__all__ = [
    "ActivePairing",
    "Answer",
    "ApiKey",
    "AuditEvent",
    "CacheVersion",
    "Catalog",
    "CheckIn",
    "Couple",
    "CoupleSignalState",
    "Delivery",
    "IdempotencyRecord",
    "Invite",
    "InviteAttempt",
    "Member",
    "MemberKey",
    "Prompt",
    "PromptDimension",
    "Tenant",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "metadata",
]
