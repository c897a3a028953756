"""Helpers shared by the counter views."""

from django.shortcuts import render
from django.urls import reverse

from members.ratelimit import client_ip

REVERSE_PERMISSION = "redemption.reverse_redemption"


def counter_render(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a counter page with what every counter page shows (dealer, advisor, search box)."""
    base = {"counter": request.counter, "focus_search": True}
    base.update(context or {})
    return render(request, template, base, status=status)


def refused(request, message: str, *, back_url: str, status: int = 400):
    """A refusal that changed nothing, with a way back (tampered form, foreign token)."""
    return counter_render(
        request, "counter/refused.html", {"message": message, "back_url": back_url}, status=status
    )


def vehicle_url(vehicle_id: int, *, voucher_id: int | None = None) -> str:
    url = reverse("counter:vehicle", args=[vehicle_id])
    return f"{url}?voucher={voucher_id}" if voucher_id else url


def receipt_url(redemption_id: int) -> str:
    return reverse("counter:receipt", args=[redemption_id])


def int_or_none(raw) -> int | None:
    """A positive id from a query string, or None for anything else (garbage never raises)."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    value = int(raw)
    return value or None


def address(request) -> str:
    return client_ip(request)
