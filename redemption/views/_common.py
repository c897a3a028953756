"""Helpers shared by the counter views."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from members.ratelimit import client_ip

from ..exceptions import FormTokenExpired, FormTokenInvalid

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


def form_token_refusals(*, back: Callable[..., str], expired_back: Callable[..., str] | None = None):
    """Answer a counter form whose one-time token (`tokens.form_token_posted`) is refused.

    Stale (the page was left open too long): say so and go back to `expired_back` (default `back`)
    for a fresh form. Not genuine (tampered, another user's, another form's): a refusal page with a
    way back to `back`. Both are called with the view's URL arguments. Nothing was recorded in
    either case. Goes inside `counter_view`, which sets what the refusal page shows.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except FormTokenExpired as exc:
                messages.error(request, exc.message)
                return redirect((expired_back or back)(**kwargs))
            except FormTokenInvalid as exc:
                return refused(request, exc.message, back_url=back(**kwargs))

        return wrapper

    return decorate


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
