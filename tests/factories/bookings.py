import uuid
from datetime import timedelta

from django.utils import timezone

from bookings.models import BookingRequest, Slot
from bookings.services import booking_create


def booking(
    *, member, vehicle, dealer, days_ahead: int = 3, slot: str = Slot.MORNING, service=None, note="", now=None
):
    """A request made through the service, `days_ahead` days from today."""
    now = now or timezone.now()
    return booking_create(
        member=member,
        vehicle=vehicle,
        dealer=dealer,
        day=timezone.localdate(now) + timedelta(days=days_ahead),
        slot=slot,
        service=service or BookingRequest.Service.MAINTENANCE,
        note=note,
        idempotency_key=f"test:{uuid.uuid4().hex}",
        now=now,
    )
