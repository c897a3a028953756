"""Row locks of the bookings app (the rule: docs/architecture.md, "Concurrency rules"). Call inside
`transaction.atomic()`. Order: vehicle → booking request."""

from .models import BookingRequest


def booking_for_update(booking_id: int) -> BookingRequest:
    return (
        BookingRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("dealer", "vehicle")
        .get(pk=booking_id)
    )
