"""Post one delivery, record the attempt, and schedule the next one with back-off when it fails.

A delivery is leased with a conditional UPDATE before it is sent, so two workers (a retry sweep and
the first task, or a task django-q2 started twice) never post it twice at the same time; the HTTP
call runs outside any transaction. Partners de-duplicate by the `Webhook-Id` header (the event id).
"""

import http.client
import json
import logging
import socket
import ssl
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from config.stored_text import fit_to_column
from redemption.partner_models import WebhookDelivery

from .signing import SIGNATURE_HEADER, signature_header
from .targets import WebhookTarget, webhook_target

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status

# Wait after the n-th failed attempt (the first attempt is immediate): about 20 hours in all.
BACKOFF_SECONDS = [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600]
DELIVER_TASK = "redemption.webhooks.tasks.webhook_deliver"
USER_AGENT = "service-vouchers-webhooks/1"


def _connect_checked(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A connection to the first checked address that answers (never a fresh DNS lookup)."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked addresses, whatever the host name resolves to now."""

    def __init__(self, target: WebhookTarget, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self):
        self.sock = _connect_checked(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS; the certificate is still verified for the host name (SNI)."""

    def __init__(self, target: WebhookTarget, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.addresses = target.addresses

    def connect(self):
        sock = _connect_checked(self.addresses, self.port, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _lease(delivery_id: int, now: datetime) -> bool:
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    return bool(
        WebhookDelivery.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            pk=delivery_id,
            status=Status.PENDING,
            next_attempt_at__lte=now,
        ).update(lease_until=lease, attempts=F("attempts") + 1, last_attempt_at=now)
    )


def _post(target: WebhookTarget, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once; redirects are not followed (a 3xx is a failed delivery: the signature was made for
    this URL). Returns (status code or None, error)."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, str(exc) or type(exc).__name__
    finally:
        connection.close()
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Attempt one delivery if it is due and nobody else is sending it; returns its status."""
    now = now or timezone.now()
    if not _lease(delivery_id, now):
        current = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
        return current or "gone"
    delivery = WebhookDelivery.objects.select_related("endpoint", "endpoint__api_key").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active or endpoint.api_key.revoked_at is not None:
        delivery.attempts = settings.WEBHOOK_MAX_ATTEMPTS  # give up now
        return _record(delivery, status_code=None, error="endpoint disabled", now=now)
    target, refusal = webhook_target(endpoint.url)
    if target is None:
        return _record(delivery, status_code=None, error=refusal or "", now=now)
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    status_code, error = _post(
        target,
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": str(delivery.event_id),
            "Webhook-Event": delivery.event,
            SIGNATURE_HEADER: signature_header(endpoint.secret, timestamp, body),
        },
    )
    return _record(delivery, status_code=status_code, error=error, now=now)


def _record(delivery: WebhookDelivery, *, status_code: int | None, error: str, now: datetime) -> str:
    delivered = status_code is not None and 200 <= status_code < 300
    fields = {
        "last_status_code": status_code,
        "last_error": fit_to_column(WebhookDelivery, "last_error", error),
        "lease_until": None,
    }
    if delivered:
        fields.update(status=Status.DELIVERED, delivered_at=timezone.now())
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=Status.FAILED)
        logger.warning("Webhook %s to %s gave up: %s", delivery.event_id, delivery.endpoint.url, error)
    else:
        fields.update(next_attempt_at=now + backoff(delivery.attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return fields.get("status", Status.PENDING)


def webhooks_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come and that no worker holds (retries, lost tasks)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            status=Status.PENDING,
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_delivery_retry(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Operations: try a failed or waiting delivery again now, with a fresh set of attempts."""
    now = now or timezone.now()
    retryable = WebhookDelivery.objects.filter(pk=delivery_id, status__in=[Status.PENDING, Status.FAILED])
    updated = retryable.update(status=Status.PENDING, attempts=0, next_attempt_at=now, lease_until=None)
    if updated:
        transaction.on_commit(lambda: async_task(DELIVER_TASK, delivery_id))
    return bool(updated)
