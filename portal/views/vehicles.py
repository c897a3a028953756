"""My vehicles, a vehicle's wallet, its service history, and binding a new vehicle."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bookings.links import booking_url_for_alert
from members.exceptions import RateLimited
from members.ratelimit import ratelimit_hit
from vehicles.exceptions import InvalidPlate, InvalidVin
from vehicles.models import BindingRequest
from vehicles.selectors import vehicle_open_alerts, vehicle_visits
from vehicles.services import binding_request_submit
from vouchers.presentation import CardMaker

from ..auth import owner_required
from ..forms import BindForm
from ..idempotency import form_token_ok, idempotency_token
from ..selectors import (
    member_wallet_summary,
    owner_vehicle,
    vehicle_service_history,
    vehicle_summaries,
    vehicle_wallet,
)

HISTORY_PAGE_SIZE = 30


def wallet_entries(vouchers, *, now, cards: CardMaker | None = None) -> tuple[list[dict], list[dict]]:
    """(current, past) cards with their links; past: used, expired, voided or refunded."""
    cards = cards or CardMaker(now=now)
    # One reverse() per list, not per voucher: the id is the pattern's last path segment.
    head, _zero, tail = reverse("portal:voucher", args=[0]).rpartition("/0/")
    current, past = [], []
    for voucher in vouchers:
        card = cards.card(voucher)
        entry = {"card": card, "href": f"{head}/{voucher.pk}/{tail}", "voucher": voucher}
        (past if card.muted else current).append(entry)
    return current, past


@owner_required
@require_GET
def home(request):
    now = timezone.now()
    requests = BindingRequest.objects.filter(member=request.owner).order_by("-created_at")[:10]
    return render(
        request,
        "portal/home.html",
        {
            "vehicles": vehicle_summaries(request.owner, now=now),
            "member_summary": member_wallet_summary(request.owner, now=now),
            "binding_requests": [r for r in requests if r.status != BindingRequest.Status.APPROVED],
            "nav": "vehicles",
        },
    )


@owner_required
@require_GET
def vehicle_detail(request, vehicle_id: int):
    vehicle = owner_vehicle(request.owner, vehicle_id)
    if vehicle is None:
        raise Http404
    now = timezone.now()
    vouchers = vehicle_wallet(request.owner, vehicle)
    alerts = vehicle_open_alerts(vehicle)
    cards = CardMaker(now=now)
    car_current, car_past = wallet_entries(
        [v for v in vouchers if v.vehicle_id == vehicle.pk], now=now, cards=cards
    )
    member_current, member_past = wallet_entries(
        [v for v in vouchers if v.vehicle_id is None], now=now, cards=cards
    )
    return render(
        request,
        "portal/vehicle.html",
        {
            "vehicle": vehicle,
            "car_current": car_current,
            "member_current": member_current,
            "past": car_past + member_past,
            "alerts": alerts,
            "alert_booking_url": booking_url_for_alert(alerts[0]) if alerts else "",
            "nav": "vehicles",
        },
    )


@owner_required
@require_GET
def vehicle_history(request, vehicle_id: int):
    vehicle = owner_vehicle(request.owner, vehicle_id)
    if vehicle is None:
        raise Http404
    page = Paginator(vehicle_service_history(vehicle), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"vehicle": vehicle, "page": page, "visits": vehicle_visits(vehicle), "nav": "vehicles"}
    return render(request, "portal/vehicle_history.html", context)


@owner_required
@require_http_methods(["GET", "POST"])
def vehicle_bind(request):
    form = BindForm(request.POST or None)
    # One pending request per member and VIN already makes a resubmit harmless.
    if request.method == "POST" and form.is_valid() and form_token_ok(request, form):
        try:
            ratelimit_hit(
                key=f"portal:bind:member:{request.owner.pk}",
                limit=settings.PORTAL_BIND_ATTEMPTS_PER_MEMBER_PER_HOUR,
                window_seconds=3600,
            )
            outcome, result = binding_request_submit(
                member=request.owner, vin=form.cleaned_data["vin"], plate=form.cleaned_data["plate"]
            )
        except InvalidVin as exc:
            form.add_error("vin", exc.message)
        except InvalidPlate as exc:
            form.add_error("plate", exc.message)
        except RateLimited as exc:
            form.add_error(None, exc.message)
        else:
            if outcome == "bound":
                messages.success(
                    request, _("Your car %(plate)s is now in your account.") % {"plate": result.plate}
                )
                return redirect("portal:vehicle", vehicle_id=result.pk)
            if outcome == "already":
                messages.info(request, _("This car is already in your account."))
                return redirect("portal:vehicle", vehicle_id=result.pk)
            # The same answer whether the car exists, belongs to someone else or is unknown.
            messages.info(
                request,
                _(
                    "We could not match this VIN and plate to a car registered to your mobile number. "
                    "Our service team will check your request and let you know."
                ),
                extra_tags="code-binding_pending",
            )
            return redirect("portal:home")
    return render(
        request,
        "portal/vehicle_bind.html",
        {"form": form, "idempotency_token": idempotency_token(), "nav": "vehicles"},
    )
