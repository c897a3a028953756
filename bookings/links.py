"""Links into the owner's booking pages, for messages sent outside the site (reminders, alerts)."""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from vehicles.models import VehicleAlert
from vouchers.models import VoucherDefinition

Kind, Service = VehicleAlert.Kind, VoucherDefinition.Category
# The service an owner books for what the car reported: tyres for their pressure, the rest is a
# workshop check (maintenance).
ALERT_SERVICE = {Kind.TYRE_PRESSURE: Service.TYRE}


def booking_new_url(*, vehicle_id: int | None = None, service: str | None = None) -> str:
    """The portal's booking form, absolute, prefilled with the car and the service when given."""
    params = {key: value for key, value in (("vehicle", vehicle_id), ("service", service)) if value}
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.SITE_URL}{reverse('portal:booking_new')}{query}"


def bookings_url() -> str:
    """The owner's list of requests (answers, proposals to accept)."""
    return f"{settings.SITE_URL}{reverse('portal:bookings')}"


def booking_url_for_alert(alert: VehicleAlert) -> str:
    """The booking form for the car that reported the alert, with the service that checks it."""
    return booking_new_url(vehicle_id=alert.vehicle_id, service=alert_service(alert.kind))


def alert_service(kind: str) -> str:
    return ALERT_SERVICE.get(kind, Service.MAINTENANCE)
