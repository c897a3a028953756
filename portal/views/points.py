"""The owner's points: balance, tier and progress to the next, points about to expire, history."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.errors import DomainError
from loyalty.models import Exchange, ExchangeOffer
from loyalty.selectors import EXPIRY_WARNING_DAYS, Progress, member_exchanges, points_overview
from loyalty.services import exchange_cancel, points_exchange
from members.actors import Actor

from ..auth import owner_required
from ..idempotency import idempotency_key
from ._common import show_error


def progress_sentence(progress: Progress | None) -> str:
    """ "NT$3,200 more to Gold", "2 more visits to Gold", or both joined by the measure's word."""
    if progress is None:
        return ""
    tier = progress.next_tier.name
    spend = (
        _("NT$%(amount)s more") % {"amount": f"{progress.spend_needed:,}"} if progress.spend_needed else ""
    )
    visits = _("%(count)s more visits") % {"count": progress.visits_needed} if progress.visits_needed else ""
    if spend and visits:
        joined = _("%(spend)s and %(visits)s") if progress.measure == "both" else _("%(spend)s or %(visits)s")
        needed = joined % {"spend": spend, "visits": visits}
    else:
        needed = spend or visits
    if not needed:
        return _("You qualify for %(tier)s: it is yours at the next nightly review.") % {"tier": tier}
    return _("%(needed)s to %(tier)s") % {"needed": needed, "tier": tier}


@owner_required
@require_GET
def points(request):
    overview = points_overview(request.owner, now=timezone.now())
    return render(
        request,
        "portal/points.html",
        {
            "overview": overview,
            "progress": progress_sentence(overview.progress),
            "warning_days": EXPIRY_WARNING_DAYS,
            "exchanges": member_exchanges(request.owner),
            "nav": "points",
        },
    )


@owner_required
@require_POST
def exchange(request, offer_id: int):
    offer = ExchangeOffer.objects.filter(pk=offer_id, active=True).first()
    if offer is None:
        raise Http404
    try:
        made = points_exchange(offer=offer, member=request.owner, idempotency_key=idempotency_key(request))
    except DomainError as exc:
        show_error(request, exc)
        return redirect(reverse("portal:claim_centre") + f"#exchange-{offer.pk}")
    messages.success(request, _("Exchanged! The voucher is in your wallet."))
    return redirect("portal:voucher", voucher_id=made.voucher_id)


@owner_required
@require_POST
def exchange_cancel_view(request, exchange_id: int):
    made = Exchange.objects.filter(pk=exchange_id, account__member=request.owner).first()
    if made is None:
        raise Http404
    try:
        exchange_cancel(
            exchange=made, actor=Actor.owner(request.owner), reason=_("Cancelled by the owner in the portal")
        )
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Cancelled: your points are back."))
    return redirect("portal:points")
