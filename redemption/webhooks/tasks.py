"""django-q2 tasks and the retry job: thin interfaces over sending.py."""

from django_q.tasks import async_task

from .sending import DELIVER_TASK, webhooks_due
from .sending import webhook_deliver as _deliver


def webhook_deliver(delivery_id: int) -> str:
    return _deliver(delivery_id=delivery_id)


def webhooks_retry_due() -> dict:
    """Every minute: enqueue the deliveries due for a retry (and any whose first task was lost)."""
    due = webhooks_due()
    for delivery_id in due:
        async_task(DELIVER_TASK, delivery_id)
    return {"enqueued": len(due)}
