"""A voucher's page (rules, history, QR code) and the owner's actions on it; member-held vouchers."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import DomainError
from members.actors import Actor
from redemption.presentation import reasons_sentence, unusable_reason_texts
from redemption.selectors import open_holds_by_voucher
from vehicles.models import Ownership
from vouchers.eligibility import Reason, voucher_ineligibility
from vouchers.models import Voucher, VoucherDefinition
from vouchers.presentation import voucher_card
from vouchers.services import voucher_activate, voucher_refund_quote, voucher_refund_request

from ..auth import owner_required
from ..exceptions import RefundNotYours
from ..forms import RefundForm
from ..idempotency import idempotency_key, idempotency_token
from ..qr import voucher_qr_svg
from ..selectors import (
    member_wallet,
    member_wallet_summary,
    owner_voucher,
    voucher_ledger,
    voucher_redemptions,
    voucher_refund_requests,
)
from ._common import show_error
from .vehicles import wallet_entries

Status = Voucher.Status
Holder = VoucherDefinition.HolderType
# States in which the counter can act on the voucher, so the owner should be able to show it.
QR_STATUSES = (Status.ACTIVE, Status.HELD)


def may_request_refund(member, voucher: Voucher) -> bool:
    """The member holding the voucher, or for a car's own voucher the car's owner (not a driver)."""
    if voucher.member_id is not None:
        return voucher.member_id == member.pk
    return (
        voucher.vehicle_id is not None
        and Ownership.objects.current().filter(vehicle_id=voucher.vehicle_id, member=member).exists()
    )


def _owner_voucher_or_404(request, voucher_id: int) -> Voucher:
    voucher = owner_voucher(request.owner, voucher_id)
    if voucher is None:
        raise Http404
    return voucher


@owner_required
@require_GET
def voucher_detail(request, voucher_id: int):
    voucher = _owner_voucher_or_404(request, voucher_id)
    now = timezone.now()
    definition = voucher.definition
    card = voucher_card(voucher, now=now)
    past_end = voucher.valid_until is not None and now > voucher.valid_until
    refunds = voucher_refund_requests(voucher)
    # The same reasons the counter and the API give; where the owner stands nothing is known of
    # the car or dealer they will present it at, so only the voucher's own state and window count.
    reasons = voucher_ineligibility(voucher, vehicle=None, dealer=None, now=now)
    hold = open_holds_by_voucher([voucher.pk]).get(voucher.pk) if Reason.HELD in reasons else None
    refund_possible = voucher_refund_quote(voucher, now=now).possible
    context = {
        "voucher": voucher,
        "definition": definition,
        "card": card,
        "qr": voucher_qr_svg(voucher) if voucher.status in QR_STATUSES and not past_end else None,
        "past_end": past_end,
        "unusable_reasons": reasons_sentence(unusable_reason_texts(reasons, hold=hold)),
        "not_yet_valid": voucher.valid_from is not None and now < voucher.valid_from,
        "redemptions": voucher_redemptions(voucher),
        "ledger": voucher_ledger(voucher),
        "refunds": refunds,
        "can_activate": voucher.status == Status.INACTIVE
        and definition.activation_mode == VoucherDefinition.ActivationMode.HOLDER
        and not past_end,
        "needs_identity": definition.activation_requires_verified_identity
        and not request.owner.identity_verified,
        "can_refund": refund_possible and may_request_refund(request.owner, voucher),
        "refund_owner_only": refund_possible and not may_request_refund(request.owner, voucher),
        "idempotency_token": idempotency_token(),
        "models": list(definition.allowed_models.all()),
        "dealers": list(definition.allowed_dealers.all()),
        "cities": definition.cities_list,
        "nav": "vehicles" if voucher.vehicle_id else "wallet",
    }
    return render(request, "portal/voucher.html", context)


@owner_required
@require_POST
def voucher_activate_view(request, voucher_id: int):
    voucher = _owner_voucher_or_404(request, voucher_id)
    try:
        voucher_activate(
            voucher=voucher,
            via="holder",
            member=request.owner,
            actor=Actor.owner(request.owner),
            idempotency_key=idempotency_key(request),
        )
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("The voucher is activated and ready to use."))
    return redirect("portal:voucher", voucher_id=voucher.pk)


@owner_required
@require_http_methods(["GET", "POST"])
def voucher_refund_view(request, voucher_id: int):
    """GET: what a refund request would lock and the amount it asks back, to confirm; only the
    confirming POST asks (a form without `confirm`, e.g. from a page cached before this step,
    comes back here and changes nothing)."""
    voucher = _owner_voucher_or_404(request, voucher_id)
    back = redirect("portal:voucher", voucher_id=voucher.pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        return _refund_request(request, voucher)
    if request.method == "POST":
        return redirect("portal:voucher_refund", voucher_id=voucher.pk)
    if not may_request_refund(request.owner, voucher):
        show_error(request, RefundNotYours())
        return back
    quote = voucher_refund_quote(voucher, now=timezone.now())
    if quote.refusal is not None:
        show_error(request, quote.refusal)
        return back
    context = {
        "voucher": voucher,
        "card": voucher_card(voucher),
        "quote": quote,
        "refund_form": RefundForm(),
        "idempotency_token": idempotency_token(),
        "nav": "vehicles" if voucher.vehicle_id else "wallet",
    }
    return render(request, "portal/voucher_refund_confirm.html", context)


def _refund_request(request, voucher: Voucher):
    form = RefundForm(request.POST)
    try:
        key = idempotency_key(request)
        if not may_request_refund(request.owner, voucher):
            raise RefundNotYours()
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        voucher_refund_request(
            voucher=voucher,
            member=request.owner,
            reason=reason,
            actor=Actor.owner(request.owner),
            idempotency_key=key,
        )
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(
            request, _("Your refund request is sent. The voucher is locked until our service team decides.")
        )
    return redirect("portal:voucher", voucher_id=voucher.pk)


@owner_required
@require_GET
def wallet(request):
    now = timezone.now()
    current, past = wallet_entries(member_wallet(request.owner), now=now)
    return render(
        request,
        "portal/wallet.html",
        {
            "current": current,
            "past": past,
            "summary": member_wallet_summary(request.owner, now=now),
            "nav": "wallet",
        },
    )
