"""The guard against server-side request forgery: webhook URLs must be http(s) without
credentials, https in production, and their host must resolve only to public addresses
(checked when the URL is set and again before every delivery). Development and test allow
any address, so a receiver on loopback works there."""

import ipaddress
import socket
from urllib.parse import urlsplit

from app.webhooks.exceptions import WebhookUrlNotAllowed, WebhookUrlUnresolvable

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_shape(url: str) -> str:
    """Raise ValueError unless `url` is an absolute http(s) URL with a host, no credentials
    and no fragment (what a request body may hold, whatever the environment)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("the URL must start with https:// or http://")
    if not parts.hostname:
        raise ValueError("the URL must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not hold credentials")
    if parts.fragment:
        raise ValueError("the URL must not have a #fragment")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise ValueError("the URL's port is not a number from 1 to 65535") from exc
    return url


def forbidden(address: IpAddress) -> bool:
    """Whether the address is anything but a public unicast one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve(host: str, port: int) -> list[IpAddress]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise WebhookUrlUnresolvable(f"The host {host!r} does not resolve.") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_destination(url: str, *, allow_private: bool, require_https: bool) -> None:
    """Refuse a URL the service must not call. Private destinations are allowed only when
    `allow_private` (development and test), and then the host is not even resolved."""
    parts = urlsplit(url)
    if require_https and parts.scheme != "https":
        raise WebhookUrlNotAllowed("Webhook URLs must use https:// in production.")
    if allow_private:
        return
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in resolve(host, port):
        if forbidden(address):
            raise WebhookUrlNotAllowed(
                f"The host {host!r} resolves to {address}, a private, loopback, link-local, "
                "multicast or reserved address; webhooks go to public addresses only."
            )
