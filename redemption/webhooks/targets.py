"""Where webhooks may go. Outside development, only https to public addresses: a partner must not
be able to make the platform call into its own network (SSRF)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext


def _public(host: str, port: int) -> bool:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    return bool(addresses) and all(a.is_global for a in addresses)


def webhook_url_refusal(url: str) -> str | None:
    """Why the platform will not post to `url`, or None. Resolves the host (again at each delivery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return gettext("Enter an http or https URL.")
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return None
    if parts.scheme != "https":
        return gettext("Webhook URLs must use https.")
    if parts.username or parts.password:
        return gettext("Webhook URLs must not contain credentials; use the signature instead.")
    try:
        port = parts.port or 443
    except ValueError:
        return gettext("Enter a valid port.")
    if not _public(parts.hostname, port):
        return gettext("The host must resolve to public internet addresses only.")
    return None
