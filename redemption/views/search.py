"""The counter's start page and its one search box."""

from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..access import counter_view
from ..forms import SearchForm
from ..search import Outcome, counter_search
from ..selectors import dealer_open_holds, hold_is_stale
from ._common import address, counter_render, vehicle_url


@require_safe
@counter_view
def home(request):
    now = timezone.now()
    holds = dealer_open_holds(dealer=request.counter.dealer)
    return counter_render(
        request,
        "counter/home.html",
        {"holds": [(hold, hold_is_stale(hold, now=now)) for hold in holds]},
    )


@require_safe
@counter_view
def search(request):
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    result = counter_search(text, advisor_id=request.user.pk, client_address=address(request))
    if result.outcome == Outcome.EMPTY:
        return redirect("counter:home")
    if result.outcome == Outcome.VEHICLE:
        return redirect(
            vehicle_url(result.vehicle.pk, voucher_id=result.voucher.pk if result.voucher else None)
        )
    return counter_render(
        request, "counter/search.html", {"result": result, "q": text}, status=result.http_status
    )
