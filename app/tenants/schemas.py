from pydantic import BaseModel

from app.core.schemas import Timestamp


class TenantPublic(BaseModel):
    id: str
    name: str
    created_at: Timestamp


class ApiKeyPublic(BaseModel):
    """An API key as listed: never its secret or hash."""

    id: str
    tenant_id: str
    livemode: bool
    name: str
    prefix: str
    last4: str
    rate_limit_per_minute: int | None
    created_at: Timestamp
    last_used_at: Timestamp | None
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    rotated_from_id: str | None


class CreatedApiKey(ApiKeyPublic):
    """Only at creation: the secret itself, shown once."""

    secret: str
