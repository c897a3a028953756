"""The owner's booking requests: ask a dealer for a slot, see the answers, accept a proposed time,
cancel. Scoped to the signed-in member (a stranger's request is not found)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bookings.exceptions import BookingDateOutOfRange, BookingDatePassed, BookingSlotInvalid
from bookings.forms import BookingRequestForm, CancelForm
from bookings.models import BookingRequest
from bookings.rules import booking_window
from bookings.selectors import member_booking, member_bookings
from bookings.services import booking_accept, booking_cancel, booking_create
from config.errors import DomainError
from members.models import Dealer
from vehicles.selectors import vehicles_of_member

from ..auth import owner_required
from ..exceptions import FormExpired
from ..idempotency import idempotency_key, idempotency_token
from ._common import show_error

# Refusals that belong next to a field rather than above the form.
FIELD_OF = {BookingDateOutOfRange: "day", BookingDatePassed: "day", BookingSlotInvalid: "slot"}


def _prefill(request, vehicles) -> dict:
    """Initial values from the link a reminder or an alert carried; anything unknown is ignored."""
    initial = {}
    raw_vehicle = request.GET.get("vehicle", "")
    chosen = None
    if raw_vehicle.isascii() and raw_vehicle.isdigit() and len(raw_vehicle) < 19:
        chosen = next((v for v in vehicles if v.pk == int(raw_vehicle)), None)
    chosen = chosen or (vehicles[0] if vehicles else None)
    if chosen is not None:
        initial["vehicle"] = chosen.pk
        if (
            chosen.selling_dealer_id
            and Dealer.objects.filter(pk=chosen.selling_dealer_id, is_active=True).exists()
        ):
            initial["dealer"] = chosen.selling_dealer_id
    if request.GET.get("service") in BookingRequest.Service.values:
        initial["service"] = request.GET["service"]
    return initial


@owner_required
@require_http_methods(["GET", "POST"])
def booking_new(request):
    vehicles_qs = vehicles_of_member(request.owner)
    vehicles = list(vehicles_qs)
    if not vehicles:
        messages.info(request, _("Add your car first: a booking is for one of your cars."))
        return redirect("portal:vehicle_bind")
    form = BookingRequestForm(
        request.POST if request.method == "POST" else None,
        vehicles=vehicles_qs,
        initial=_prefill(request, vehicles),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking_create(
                member=request.owner,
                vehicle=data["vehicle"],
                dealer=data["dealer"],
                day=data["day"],
                slot=data["slot"],
                service=data["service"],
                note=data["note"],
                idempotency_key=idempotency_key(request),
            )
        except FormExpired as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(FIELD_OF.get(type(exc)), exc.message)
        else:
            messages.success(
                request, _("Your request has been sent. The dealer will confirm it or propose another time.")
            )
            return redirect("portal:bookings")
    first, last = booking_window(timezone.localdate())
    form.set_window(first, last)
    return render(
        request,
        "portal/booking_new.html",
        {
            "form": form,
            "idempotency_token": idempotency_token(),
            "first": first,
            "last": last,
            "nav": "vehicles",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@owner_required
@require_GET
def bookings(request):
    return render(
        request,
        "portal/bookings.html",
        {
            "bookings": member_bookings(request.owner),
            "token": idempotency_token(),
            "today": timezone.localdate(),
            "nav": "vehicles",
        },
    )


def _own_or_404(request, booking_id: int) -> BookingRequest:
    booking = member_booking(request.owner, booking_id)
    if booking is None:
        raise Http404
    return booking


@owner_required
@require_POST
def booking_accept_view(request, booking_id: int):
    booking = _own_or_404(request, booking_id)
    try:
        idempotency_key(request)  # every action form carries its token (a stale page is refused)
        booking_accept(booking=booking, member=request.owner)
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Booked: the dealer expects your car at the time proposed."))
    return redirect("portal:bookings")


@owner_required
@require_POST
def booking_cancel_view(request, booking_id: int):
    booking = _own_or_404(request, booking_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        idempotency_key(request)
        booking_cancel(booking=booking, member=request.owner, reason=reason)
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Your booking request is cancelled."))
    return redirect("portal:bookings")
