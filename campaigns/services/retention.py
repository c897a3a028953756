"""What the outbox forgets: the text of old messages (nightly), and everything about an erased member.

A message's row stays (who was sent what kind of message when, and with what result, is the record
that consent was respected); its text, subject and any provider error echoing it are cleared.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from members.models import Member

from ..models import Notification

Status = Notification.Status
FINISHED = (Status.SENT, Status.FAILED, Status.SKIPPED)
ERASED_REASON = "member erased"


def notification_bodies_prune(
    *, sent_before: datetime, after_pk: int = 0, batch_size: int = 2000
) -> tuple[int, int | None]:
    """Clear the text of one batch of finished messages created before `sent_before`, walking the
    table in primary-key order from `after_pk`. Returns (rows cleared, the cursor to continue from,
    or None when the table is done). Idempotent: cleared rows are not matched again."""
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(pk__gt=after_pk, created_at__lt=sent_before)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return 0, None
        cleared = (
            Notification.objects.filter(pk__gte=ids[0], pk__lte=ids[-1], status__in=FINISHED)
            .filter(created_at__lt=sent_before)
            .exclude(body="", subject="", last_error="")
            .update(body="", subject="", last_error="")
        )
    return cleared, (ids[-1] if len(ids) == batch_size else None)


def notifications_forget_member(*, member: Member, addresses: list[str], now: datetime | None = None) -> int:
    """For an erased member: messages to them lose their text and address; those not yet sent are
    skipped. Messages sent to one of their old addresses without a member (sign-in codes before the
    first sign-in) are included. Returns how many rows changed."""
    now = now or timezone.now()
    addresses = [a for a in addresses if a]
    rows = Notification.objects.filter(Q(member=member) | Q(recipient__in=addresses))
    with transaction.atomic():
        rows.filter(status=Status.PENDING).update(status=Status.SKIPPED, skip_reason=ERASED_REASON)
        # A message being sent right now keeps its lease; its result is written over blank text.
        return rows.update(body="", subject="", last_error="", recipient="")
