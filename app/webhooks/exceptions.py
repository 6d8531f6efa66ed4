from app.core.errors import AppError, NotFound


class WebhookEndpointNotFound(NotFound):
    title = "Webhook endpoint not found"


class WebhookDeliveryNotFound(NotFound):
    title = "Webhook delivery not found"


class WebhookUrlNotAllowed(AppError):
    """Not https in production, or a host that resolves to a private, loopback, link-local,
    multicast or reserved address."""

    status = 422
    code = "webhook_url_not_allowed"
    title = "Webhook URL not allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"pointer": "#/url", "detail": detail}])


class WebhookUrlUnresolvable(AppError):
    status = 422
    code = "webhook_url_unresolvable"
    title = "Webhook URL host does not resolve"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"pointer": "#/url", "detail": detail}])


class WebhookEndpointDisabled(AppError):
    status = 409
    code = "webhook_endpoint_disabled"
    title = "The webhook endpoint is disabled"
