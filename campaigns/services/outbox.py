"""The notification outbox: write once per de-duplication key, send with retries, never twice.

A row is claimed (status "sending" with a lease) under a row lock, the provider is called outside
any transaction, and the result is written under the lock again. A worker that dies mid-send leaves
a lease that runs out; the dispatcher then hands the row to another worker, which sends it with the
same retry key so the provider drops the repeat.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from config.stored_text import fit_to_column
from members.models import Member

from ..channels import DeliveryError, OutgoingMessage, channel_backend
from ..exceptions import NotificationNotRetryable, NotificationTextCleared, SignInCodeNotRetryable
from ..locks import notification_for_update
from ..models import Notification
from ..redact import codes_masked
from .optout import opt_out_headers
from .policy import IGNORES_QUIET_HOURS, consent_refusal, quiet_hours_end

logger = logging.getLogger(__name__)
Status = Notification.Status
SEND_BATCH = 50


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS)


def _enqueue(ids: list[int]) -> None:
    for start in range(0, len(ids), SEND_BATCH):
        chunk = ids[start : start + SEND_BATCH]
        if len(chunk) == 1:
            async_task("campaigns.tasks.notification_send", chunk[0])
        else:
            async_task("campaigns.tasks.notifications_send", chunk)


def notification_queue(
    *,
    channel: str,
    recipient: str,
    purpose: str,
    body: str,
    dedup_key: str,
    member: Member | None = None,
    language: str = "zh-hant",
    subject: str = "",
    template_key: str = "",
    promotional: bool = False,
    not_before: datetime | None = None,
    status: str = Status.PENDING,
    skip_reason: str = "",
    campaign=None,
) -> tuple[Notification, bool]:
    """Write the message to the outbox (once per `dedup_key`) and send it after commit.

    Returns (notification, created); a second call with the same key changes nothing.
    """
    now = timezone.now()
    not_before = not_before or now
    due = status == Status.PENDING and not_before <= now
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                member=member,
                channel=channel,
                recipient=recipient,
                purpose=purpose,
                body=body,
                dedup_key=fit_to_column(Notification, "dedup_key", dedup_key),
                language=language,
                subject=fit_to_column(Notification, "subject", subject),
                template_key=template_key,
                promotional=promotional,
                not_before=not_before,
                created_at=now,
                status=status,
                skip_reason=fit_to_column(Notification, "skip_reason", skip_reason),
                campaign=campaign,
                # Marks the row as handed to a worker, so the dispatcher leaves it alone meanwhile.
                lease_until=_lease(now) if due else None,
            )
    except IntegrityError:
        return Notification.objects.get(dedup_key=fit_to_column(Notification, "dedup_key", dedup_key)), False
    if due:
        transaction.on_commit(lambda: _enqueue([notification.pk]))
    return notification, True


def _claim(notification_id: int, now: datetime) -> Notification | None:
    """Take the row for sending, or decide it needs no sending now. None: nothing to send."""
    with transaction.atomic():
        notification = notification_for_update(notification_id, with_member=True)
        if notification.status not in (Status.PENDING, Status.SENDING):
            return None  # sent, failed or skipped: final
        if (
            notification.status == Status.SENDING
            and notification.lease_until
            and notification.lease_until > now
        ):
            return None  # another worker is sending it
        if notification.not_before > now:
            return None
        refusal = consent_refusal(
            notification.member, purpose=notification.purpose, promotional=notification.promotional
        )
        if refusal:
            notification.status = Status.SKIPPED
            notification.skip_reason = fit_to_column(Notification, "skip_reason", refusal)
            notification.lease_until = None
            notification.save(update_fields=["status", "skip_reason", "lease_until"])
            return None
        if notification.purpose not in IGNORES_QUIET_HOURS and (quiet_end := quiet_hours_end(now)):
            notification.not_before = quiet_end
            notification.status = Status.PENDING
            notification.lease_until = None
            notification.save(update_fields=["not_before", "status", "lease_until"])
            return None
        notification.status = Status.SENDING
        notification.attempts += 1
        notification.lease_until = _lease(now)
        notification.save(update_fields=["status", "attempts", "lease_until"])
    return notification


def _settle(notification: Notification, *, now: datetime, error: DeliveryError | None, provider_id: str = ""):
    with transaction.atomic():
        row = notification_for_update(notification.pk)
        if row.status != Status.SENDING or row.attempts != notification.attempts:
            return row  # the lease ran out and another attempt has taken over
        row.lease_until = None
        if error is None:
            row.status = Status.SENT
            row.sent_at = now
            row.provider_message_id = fit_to_column(Notification, "provider_message_id", provider_id)
            row.last_error = ""
        elif error.permanent or row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            row.status = Status.FAILED
            row.last_error = str(error)[:2000]
        else:
            row.status = Status.PENDING
            row.last_error = str(error)[:2000]
            row.not_before = now + timedelta(
                seconds=settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1)
            )
        if row.purpose == Notification.Purpose.LOGIN_CODE:
            row.last_error = codes_masked(row.last_error)  # a provider may echo the text back
            if row.status in (Status.SENT, Status.FAILED):
                # Nobody but the owner needs the code once it has gone (or never will): not even
                # operations.
                row.body = codes_masked(row.body)
        row.save(
            update_fields=[
                "body",
                "lease_until",
                "status",
                "sent_at",
                "provider_message_id",
                "last_error",
                "not_before",
            ]
        )
    return row


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> Notification:
    """Send one due notification through its channel; a sent one is never sent again."""
    now = now or timezone.now()
    claimed = _claim(notification_id, now)
    if claimed is None:
        return Notification.objects.get(pk=notification_id)
    message = OutgoingMessage(
        recipient=claimed.recipient,
        subject=claimed.subject,
        body=claimed.body,
        retry_key=claimed.retry_key,
        headers=opt_out_headers(claimed.member) if claimed.promotional and claimed.member else {},
    )
    try:
        receipt = channel_backend(claimed.channel).send(message)
    except DeliveryError as exc:
        logger.info("notification %s attempt %s failed: %s", claimed.pk, claimed.attempts, exc)
        return _settle(claimed, now=timezone.now(), error=exc)
    return _settle(claimed, now=timezone.now(), error=None, provider_id=receipt.provider_message_id)


def notifications_dispatch(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Hand every due notification to the workers: new, deferred, backed-off, or with a lapsed lease."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFY_DISPATCH_BATCH
    due = Q(status=Status.PENDING, not_before__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    lapsed = Q(status=Status.SENDING, lease_until__lt=now)
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(due | lapsed)
            .order_by("not_before", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        # PENDING rows are marked as handed over; SENDING rows keep their status until re-claimed.
        Notification.objects.filter(pk__in=ids, status=Status.PENDING).update(lease_until=_lease(now))
        transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def notification_retry(*, notification: Notification, now: datetime | None = None) -> Notification:
    """Operations send a failed or skipped message again (a fresh set of attempts)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = notification_for_update(notification.pk)
        if row.status not in (Status.FAILED, Status.SKIPPED):
            raise NotificationNotRetryable()
        if row.purpose == Notification.Purpose.LOGIN_CODE:
            raise SignInCodeNotRetryable()
        if not row.body:
            raise NotificationTextCleared()
        row.status = Status.PENDING
        row.attempts = 0
        row.not_before = now
        row.skip_reason = ""
        row.lease_until = _lease(now)
        row.save(update_fields=["status", "attempts", "not_before", "skip_reason", "lease_until"])
        transaction.on_commit(lambda: _enqueue([row.pk]))
    return row
