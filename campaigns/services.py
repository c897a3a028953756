"""Use cases of the campaigns app: the notification outbox (more in later modules)."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from members.models import Member

from .models import Notification

logger = logging.getLogger(__name__)


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
) -> tuple[Notification, bool]:
    """Write the message to the outbox (once per `dedup_key`) and send it after commit.

    Returns (notification, created); a second call with the same key changes nothing.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                member=member,
                channel=channel,
                recipient=recipient,
                purpose=purpose,
                body=body,
                dedup_key=dedup_key[:200],
                language=language,
                subject=subject[:200],
                template_key=template_key,
                promotional=promotional,
                not_before=not_before or now,
                created_at=now,
            )
    except IntegrityError:
        return Notification.objects.get(dedup_key=dedup_key[:200]), False
    transaction.on_commit(lambda: async_task("campaigns.tasks.notification_send", notification.pk))
    return notification, True


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> Notification:
    """Send one pending notification through its channel; a sent one is never sent again."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != Notification.Status.PENDING or notification.not_before > now:
            return notification
        notification.attempts += 1
        # Development channel: the console (and the outbox operations can read). Real adapters
        # (SMS provider, e-mail, LINE) plug in here.
        logger.warning("[%s to %s] %s", notification.channel, notification.recipient, notification.body)
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.save(update_fields=["attempts", "status", "sent_at"])
    return notification
