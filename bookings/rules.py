"""The dates a booking may name, as one pure rule the forms, the pages and the services share."""

from datetime import date, timedelta

from .exceptions import BookingDateOutOfRange

# A dealer plans a few weeks ahead at most; a request further out would only be forgotten.
HORIZON_DAYS = 60
# The owner asks from tomorrow (the dealer needs time to answer); the dealer may offer today.
OWNER_EARLIEST_DAYS = 1
DEALER_EARLIEST_DAYS = 0
NOTE_MAX = 500


def booking_window(today: date, *, by_dealer: bool = False) -> tuple[date, date]:
    """(first, last) day a new request (or, `by_dealer`, a proposal) may name."""
    first = today + timedelta(days=DEALER_EARLIEST_DAYS if by_dealer else OWNER_EARLIEST_DAYS)
    return first, today + timedelta(days=HORIZON_DAYS)


def booking_day_check(day: date, *, today: date, by_dealer: bool = False) -> None:
    """Raise BookingDateOutOfRange when `day` is outside the window."""
    first, last = booking_window(today, by_dealer=by_dealer)
    if not first <= day <= last:
        raise BookingDateOutOfRange(first=first.isoformat(), last=last.isoformat())
