"""Messages about a member's loyalty standing, announced by the loyalty app (its signals)."""

from datetime import datetime

from django.utils import timezone

from loyalty.models import TierChange

from ..models import Notification
from .notify import Draft, member_notify


def tier_change_notify(*, change_id: int, now: datetime | None = None) -> Notification | None:
    """One message per tier change (consent, quiet hours and the outbox's de-duplication apply)."""
    change = TierChange.objects.select_related("account__member", "to_tier").filter(pk=change_id).first()
    if change is None or change.kind not in (TierChange.Kind.UPGRADED, TierChange.Kind.DOWNGRADED):
        return None
    member = change.account.member
    if member.erased_at is not None:
        return None
    key = "tier_upgraded" if change.kind == TierChange.Kind.UPGRADED else "tier_downgraded"
    notification, _created = member_notify(
        Draft(
            member=member,
            purpose=Notification.Purpose.LOYALTY,
            template_key=key,
            dedup_key=f"tier-change:{change.pk}",
            context={"tier": change.to_tier.name},
        ),
        now=now or timezone.now(),
    )
    return notification
