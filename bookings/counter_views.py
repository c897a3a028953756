"""The counter's booking requests: the dealer's open requests by day, and on each one confirm,
propose another time or decline. Every page is scoped to the advisor's dealer (`counter_view`);
every action form carries a one-time counter token bound to the user, the action and the request."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from config.errors import DomainError
from members.actors import Actor
from redemption.access import counter_view
from redemption.tokens import form_token_issue, form_token_posted
from redemption.views._common import counter_render, form_token_refusals

from .exceptions import BookingDateOutOfRange, BookingProposalSameTime, BookingSlotInvalid
from .forms import ConfirmForm, DeclineForm, ProposeForm
from .rules import booking_window
from .selectors import booking_history, dealer_booking, dealer_confirmed_bookings, dealer_open_bookings
from .services import booking_confirm, booking_decline, booking_propose

ACTIONS = ("booking_confirm", "booking_propose", "booking_decline")


def _target(booking_id: int) -> str:
    return f"booking:{booking_id}"


def detail_url(booking_id: int) -> str:
    return reverse("counter_bookings:detail", args=[booking_id])


def _booking_or_404(request, booking_id: int):
    booking = dealer_booking(request.counter.dealer, booking_id)
    if booking is None:
        raise Http404
    return booking


@require_safe
@counter_view
def booking_list(request):
    dealer = request.counter.dealer
    today = timezone.localdate()
    return counter_render(
        request,
        "counter/bookings.html",
        {
            "open_bookings": list(dealer_open_bookings(dealer)),
            "confirmed": list(dealer_confirmed_bookings(dealer, since=today)),
            "today": today,
        },
    )


def _render(request, booking, *, status=200, **forms):
    first, last = booking_window(timezone.localdate(), by_dealer=True)
    propose = forms.get("propose") or ProposeForm(
        initial={"day": booking.offered_on or booking.requested_on, "slot": booking.offered_slot}
    )
    propose.set_window(first, last)
    user_id = request.user.pk
    return counter_render(
        request,
        "counter/booking.html",
        {
            "booking": booking,
            "history": booking_history(booking),
            "confirm_form": forms.get("confirm") or ConfirmForm(),
            "propose_form": propose,
            "decline_form": forms.get("decline") or DeclineForm(),
            "tokens": {
                action: form_token_issue(user_id=user_id, action=action, target=_target(booking.pk))
                for action in ACTIONS
            },
            "focus_search": False,
        },
        status=status,
    )


@require_safe
@counter_view
def booking_detail(request, booking_id: int):
    return _render(request, _booking_or_404(request, booking_id))


def _act(request, booking_id: int, action: str, form_class, key: str, call):
    """Shared shape of the three actions: scope, token, form, service; a refusal shown on the form."""
    booking = _booking_or_404(request, booking_id)
    form_token_posted(request, action=action, target=_target(booking.pk))
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(booking, form.cleaned_data, Actor.advisor(request.user))
        except (BookingDateOutOfRange, BookingSlotInvalid, BookingProposalSameTime) as exc:
            form.add_error("day" if "day" in form.fields else None, exc.message)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return None
    return _render(request, booking, status=400, **{key: form})


def _detail(booking_id: int, **_kwargs) -> str:
    return detail_url(booking_id)


@require_POST
@counter_view
@form_token_refusals(back=_detail)
def booking_confirm_view(request, booking_id: int):
    dealer = request.counter.dealer
    refused = _act(
        request,
        booking_id,
        "booking_confirm",
        ConfirmForm,
        "confirm",
        lambda booking, data, actor: booking_confirm(
            booking=booking, dealer=dealer, actor=actor, note=data["note"]
        ),
    )
    if refused:
        return refused
    messages.success(request, _("Booking confirmed. The owner will be told."))
    return redirect("counter_bookings:list")


@require_POST
@counter_view
@form_token_refusals(back=_detail)
def booking_propose_view(request, booking_id: int):
    dealer = request.counter.dealer
    refused = _act(
        request,
        booking_id,
        "booking_propose",
        ProposeForm,
        "propose",
        lambda booking, data, actor: booking_propose(
            booking=booking, dealer=dealer, day=data["day"], slot=data["slot"], note=data["note"], actor=actor
        ),
    )
    if refused:
        return refused
    messages.success(request, _("Another time proposed. The owner will be asked to accept it."))
    return redirect("counter_bookings:list")


@require_POST
@counter_view
@form_token_refusals(back=_detail)
def booking_decline_view(request, booking_id: int):
    dealer = request.counter.dealer
    refused = _act(
        request,
        booking_id,
        "booking_decline",
        DeclineForm,
        "decline",
        lambda booking, data, actor: booking_decline(
            booking=booking, dealer=dealer, reason=data["reason"], actor=actor
        ),
    )
    if refused:
        return refused
    messages.success(request, _("Request declined. The owner will be told why."))
    return redirect("counter_bookings:list")
