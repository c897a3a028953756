"""Where webhooks may go. Outside development, only https to public addresses: a partner must not
be able to make the platform call into its own network (SSRF).

A delivery resolves the host once, checks the addresses and then connects to the address it
checked (`WebhookTarget.address`): resolving again to connect would let a host name that answers a
public address to the check and a private one a moment later (DNS rebinding) reach the inside.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # the checked IP addresses to connect to, in order (empty: not resolved)


# IPv6 ranges that carry an IPv4 address inside (NAT64, 6to4, Teredo, IPv4-compatible and -mapped):
# Python counts some of them as global, but on a network that translates them they reach the inside.
_TRANSLATED = [
    ipaddress.ip_network(n)
    for n in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96", "::ffff:0:0/96")
]


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not address.is_global:
        return False
    return address.version == 4 or not any(address in network for network in _TRANSLATED)


def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def webhook_target(url: str, *, resolve: bool = True) -> tuple[WebhookTarget | None, str | None]:
    """(where to post, None) or (None, why the platform will not post to `url`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None, gettext("Enter an http or https URL.")
    private_ok = settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
    if not private_ok and parts.scheme != "https":
        return None, gettext("Webhook URLs must use https.")
    if not private_ok and (parts.username or parts.password):
        return None, gettext("Webhook URLs must not contain credentials; use the signature instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None, gettext("Enter a valid port.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    checked: tuple[str, ...] = ()
    if resolve:
        addresses = _resolve(parts.hostname, port)
        if not addresses or not (private_ok or all(_public(a) for a in addresses)):
            return None, gettext("The host must resolve to public internet addresses only.")
        checked = tuple(dict.fromkeys(str(a) for a in addresses))  # in DNS order, once each
    return WebhookTarget(parts.scheme, parts.hostname, port, path, checked), None


def webhook_url_refusal(url: str) -> str | None:
    """Why an endpoint cannot be registered, or None (in development the host is not resolved)."""
    _target, refusal = webhook_target(url, resolve=not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    return refusal
