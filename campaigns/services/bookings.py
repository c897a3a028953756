"""Messages to the owner about a booking request, announced by the bookings app (its signal).

The dealer's answer (confirmed, another time proposed, declined) and the owner's own acceptance of
a proposal each give one message, keyed by the history entry, so a replayed task writes nothing.
Service consent and quiet hours apply as for any service message; nothing is sent when the owner
cancels (they did it themselves).
"""

from datetime import datetime

from django.utils import timezone, translation

from bookings.links import booking_new_url, bookings_url
from bookings.models import BookingEvent

from ..messages import date_text
from ..models import Notification
from .notify import Draft, member_notify

Action = BookingEvent.Action
TEMPLATES = {
    Action.CONFIRMED: "booking_confirmed",
    Action.ACCEPTED: "booking_confirmed",
    Action.PROPOSED: "booking_proposed",
    Action.DECLINED: "booking_declined",
}


def booking_owner_notify(*, event_id: int, now: datetime | None = None) -> Notification | None:
    """Tell the owner about this change of their request; None when the change needs no message."""
    event = (
        BookingEvent.objects.select_related("booking__member", "booking__vehicle", "booking__dealer")
        .filter(pk=event_id)
        .first()
    )
    if event is None or event.action not in TEMPLATES:
        return None
    booking = event.booking
    member = booking.member
    if member.erased_at is not None:
        return None
    with translation.override(member.language):
        service = str(booking.get_service_display())
        slot = str(event.get_slot_display()) if event.slot else ""
    notification, _created = member_notify(
        Draft(
            member=member,
            purpose=Notification.Purpose.BOOKING,
            template_key=TEMPLATES[event.action],
            dedup_key=f"booking:{event.pk}",
            context={
                "dealer": booking.dealer.name,
                "dealer_phone": booking.dealer.phone,
                "plate": booking.vehicle.plate,
                "service": service,
                "day": date_text(event.day, member.language) if event.day else "",
                "slot": slot,
                "note": event.note,
                "bookings_url": bookings_url(),
                "booking_url": booking_new_url(vehicle_id=booking.vehicle_id, service=booking.service),
            },
        ),
        now=now or timezone.now(),
    )
    return notification
