"""The claim centre: definitions open for self-claim, and claiming one."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.errors import DomainError
from loyalty.selectors import exchange_offers
from vouchers.services import voucher_claim

from ..auth import owner_required
from ..claim_centre import claim_offers
from ..idempotency import idempotency_key, idempotency_token
from ..selectors import claimable_definitions, owner_vehicle
from ._common import show_error


@owner_required
@require_GET
def claim_centre(request):
    now = timezone.now()
    offers = claim_offers(request.owner, now=now)
    balance, exchange = exchange_offers(request.owner, now=now)
    return render(
        request,
        "portal/claim.html",
        {
            "offers": offers,
            "points_balance": balance,
            "exchange_offers": exchange,
            "idempotency_token": idempotency_token(),
            "nav": "claim",
        },
    )


@owner_required
@require_POST
def claim(request, definition_id: int):
    now = timezone.now()
    definition = claimable_definitions(now=now).filter(pk=definition_id).first()
    if definition is None:
        raise Http404
    vehicle = None
    raw_vehicle = request.POST.get("vehicle", "")
    if raw_vehicle:
        if not (raw_vehicle.isascii() and raw_vehicle.isdigit()):  # "²".isdigit(), yet int("²") fails
            raise Http404
        vehicle = owner_vehicle(request.owner, int(raw_vehicle))
        if vehicle is None:
            raise Http404
    try:
        vouchers = voucher_claim(
            definition=definition,
            member=request.owner,
            vehicle=vehicle,
            idempotency_key=idempotency_key(request),
        )
    except DomainError as exc:
        show_error(request, exc)
        return redirect(reverse("portal:claim_centre") + f"#offer-{definition.pk}")
    messages.success(request, _("Claimed! The voucher is in your wallet."))
    return redirect("portal:voucher", voucher_id=vouchers[0].pk)
