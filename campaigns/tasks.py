"""django-q2 tasks: thin interfaces that take ids and call services."""

from .services import notification_deliver


def notification_send(notification_id: int) -> str:
    return notification_deliver(notification_id=notification_id).status
