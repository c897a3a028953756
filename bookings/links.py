"""Links into the owner's booking pages, for messages sent outside the site (reminders, alerts)."""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse


def booking_new_url(*, vehicle_id: int | None = None, service: str | None = None) -> str:
    """The portal's booking form, absolute, prefilled with the car and the service when given."""
    params = {key: value for key, value in (("vehicle", vehicle_id), ("service", service)) if value}
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.SITE_URL}{reverse('portal:booking_new')}{query}"


def bookings_url() -> str:
    """The owner's list of requests (answers, proposals to accept)."""
    return f"{settings.SITE_URL}{reverse('portal:bookings')}"
