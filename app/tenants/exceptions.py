from app.core.errors import NotFound


class TenantNotFound(NotFound):
    title = "Tenant not found"


class ApiKeyNotFound(NotFound):
    title = "API key not found"
