"""Row locks of the campaigns app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from .models import Campaign, Notification


def campaign_for_update(campaign_id: int) -> Campaign:
    return Campaign.objects.select_for_update(no_key=True, of=("self",)).get(pk=campaign_id)


def notification_for_update(notification_id: int, *, with_member: bool = False) -> Notification:
    """Lock one outbox row (its member is read, not locked)."""
    queryset = Notification.objects.select_for_update(no_key=True, of=("self",))
    if with_member:
        queryset = queryset.select_related("member")
    return queryset.get(pk=notification_id)
