"""django-q2 tasks: thin interfaces that take ids and call services. Each is safe to run twice."""

from members.models import Member
from vehicles.models import Ownership, Vehicle

from .jobs import job_run
from .services import event_vouchers_issue, notification_deliver
from .services import loyalty as loyalty_messages
from .services.events import Event


def notification_send(notification_id: int) -> str:
    return notification_deliver(notification_id=notification_id).status


def notifications_send(notification_ids: list[int]) -> dict:
    statuses: dict[str, int] = {}
    for pk in notification_ids:
        status = notification_deliver(notification_id=pk).status
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def job_continue(job: str, run_id: int) -> dict:
    from django.conf import settings

    return job_run(job, run_id=run_id, slice_seconds=settings.JOBS_SLICE_SECONDS).result


def event_issue(event: str, vehicle_id: int | None, member_id: int | None) -> int:
    vehicle = Vehicle.objects.filter(pk=vehicle_id).first() if vehicle_id else None
    member = Member.objects.filter(pk=member_id).first() if member_id else None
    if (vehicle_id and vehicle is None) or (member_id and member is None):
        return 0  # deleted since: nothing to issue
    return len(event_vouchers_issue(event=event, vehicle=vehicle, member=member))


def delivered_issue(vehicle_ids: list[int]) -> int:
    """The delivery event for vehicles an import delivered (the once-keys make a replay issue nothing)."""
    owners = dict(
        Ownership.objects.current().filter(vehicle_id__in=vehicle_ids).values_list("vehicle_id", "member_id")
    )
    return sum(event_issue(Event.VEHICLE_DELIVERED, pk, owners.get(pk)) for pk in vehicle_ids)


def vehicle_bound(vehicle_id: int, member_id: int) -> int:
    """A member became a vehicle's owner: the event's vouchers (a referral's reward is loyalty's)."""
    return event_issue(Event.VEHICLE_BOUND, vehicle_id, member_id)


def tier_change_notify(change_id: int) -> str:
    notification = loyalty_messages.tier_change_notify(change_id=change_id)
    return notification.status if notification else ""


def nps_survey_for_redemption(redemption_id: int) -> bool:
    from .services.nps import nps_survey_send

    return nps_survey_send(redemption_id=redemption_id) is not None


def nps_survey_for_visit(visit_id: int) -> bool:
    from .services.nps import nps_survey_send

    return nps_survey_send(visit_id=visit_id) is not None


def booking_notify(event_id: int) -> str:
    from .services.bookings import booking_owner_notify

    notification = booking_owner_notify(event_id=event_id)
    return notification.status if notification else ""


def vehicle_alert_notify(alert_id: int) -> str:
    from .services.alerts import vehicle_alert_notify as notify

    notification = notify(alert_id=alert_id)
    return notification.status if notification else ""
