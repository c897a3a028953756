"""The vehicle page, and redeeming (or starting a service on) one of its vouchers."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from config.errors import DomainError
from vehicles.models import Vehicle
from vehicles.selectors import vehicle_open_alerts, vehicle_visits, vehicle_with_owner
from vouchers.eligibility import Reason
from vouchers.exceptions import VoucherNotUsable

from ..access import counter_view
from ..forms import MILEAGE_REFUSALS, UseVoucherForm
from ..owner_panel import PanelScope, owner_panel_columns, owner_panel_shape
from ..owner_panel_page import owner_panel
from ..presentation import (
    USE_ACTION,
    history_lines,
    reasons_sentence,
    unusable_reason_texts,
    use_target,
    vehicle_page,
)
from ..selectors import open_holds_by_voucher, vehicle_with_voucher
from ..services import redemption_redeem, redemption_start
from ..tokens import form_token_posted
from ._common import counter_render, form_token_refusals, int_or_none, receipt_url, vehicle_url


def _panel_scope(request) -> PanelScope:
    return PanelScope(dealer_id=request.counter.dealer.pk, now=timezone.now())


def _vehicle_with_owner_or_404(vehicle_id: int, *, scope: PanelScope) -> Vehicle:
    # With its owner, its drivers and the owner panel's columns: one query instead of three.
    vehicle = vehicle_with_owner(
        vehicle_id,
        owner_annotations=owner_panel_columns,
        owner_values={"dealer_id": scope.dealer_id, "now": scope.now},
        shape=owner_panel_shape(),
    )
    if vehicle is None:
        raise Http404
    return vehicle


def _render(request, vehicle, *, highlight=None, bound=None, status=200, scope=None, panel_row=None):
    """`bound`: (voucher id, form, token) of a form that came back with errors; `panel_row`: the
    vehicle read with the owner panel's columns for `scope` (else the panel reads them: one query)."""
    scope = scope or _panel_scope(request)
    page = vehicle_page(
        vehicle=vehicle,
        dealer=request.counter.dealer,
        user=request.user,
        now=scope.now,
        highlight_voucher_id=bound[0] if bound else highlight,
    )
    if bound:
        for row in page.usable:
            if row.voucher.pk == bound[0]:
                row.token = bound[2]  # keep the idempotency key of the first attempt
    focus = None
    if page.highlighted is not None and any(row is page.highlighted for row in page.usable):
        focus = f"mileage-{page.highlighted.voucher.pk}"
    return counter_render(
        request,
        "counter/vehicle.html",
        {
            "page": page,
            "history": history_lines(page, dealer=request.counter.dealer),
            "visits": vehicle_visits(page.vehicle),
            "owner_panel": owner_panel(page.owner, scope=scope, row=panel_row),
            "alerts": vehicle_open_alerts(vehicle),
            "bound_voucher_id": bound[0] if bound else None,
            "bound_form": bound[1] if bound else None,
            "focus_id": focus,
            "highlight_missing": highlight is not None and page.highlighted is None,
            "scanned": bound is None and page.highlighted is not None,
            "focus_search": focus is None,
        },
        status=status,
    )


@require_safe
@counter_view
def vehicle_detail(request, vehicle_id: int):
    scope = _panel_scope(request)
    vehicle = _vehicle_with_owner_or_404(vehicle_id, scope=scope)
    highlight = int_or_none(request.GET.get("voucher"))
    return _render(request, vehicle, highlight=highlight, scope=scope, panel_row=vehicle)


def _not_usable_message(voucher, error: VoucherNotUsable) -> str:
    hold = open_holds_by_voucher([voucher.pk]).get(voucher.pk) if Reason.HELD in error.reasons else None
    return _("Voucher …%(tail)s was not used: %(reasons)s. Nothing was recorded.") % {
        "tail": voucher.code[-4:],
        "reasons": reasons_sentence(unusable_reason_texts(error.reasons, hold=hold)),
    }


@require_POST
@counter_view
@form_token_refusals(back=lambda vehicle_id, voucher_id: vehicle_url(vehicle_id, voucher_id=voucher_id))
def voucher_use(request, vehicle_id: int, voucher_id: int):
    # The rows only, in one query: the redemption locks and reads both again, and a form sent back
    # with errors (rare) reads what the page shows when it renders.
    vehicle, voucher = vehicle_with_voucher(vehicle_id=vehicle_id, voucher_id=voucher_id)
    if voucher is None:
        raise Http404
    back = vehicle_url(vehicle.pk, voucher_id=voucher.pk)
    raw_token = request.POST.get("token")
    token = form_token_posted(
        request, action=USE_ACTION, target=use_target(voucher_id=voucher.pk, vehicle_id=vehicle.pk)
    )

    form = UseVoucherForm(request.POST)
    if not form.is_valid():
        return _render(request, vehicle, bound=(voucher.pk, form, raw_token))
    start = form.cleaned_data["action"] == UseVoucherForm.START
    service = redemption_start if start else redemption_redeem
    now = timezone.now()
    try:
        redemption = service(
            voucher=voucher,
            vehicle=vehicle,
            dealer=request.counter.dealer,
            idempotency_key=token.idempotency_key,
            advisor=request.user,
            mileage_km=form.cleaned_data["mileage"],
            odometer_replacement=form.odometer_replacement(),
            work_order=form.cleaned_data["work_order"],
            now=now,
        )
    except MILEAGE_REFUSALS as exc:
        form.show_refusal(exc)
        return _render(request, vehicle, bound=(voucher.pk, form, raw_token))
    except VoucherNotUsable as exc:
        messages.error(request, _not_usable_message(voucher, exc))
        return redirect(back)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)

    if redemption.dealer_id != request.counter.dealer.pk:
        # A replay of a form submitted while this user worked for another dealer.
        messages.error(request, _("This form was already submitted at another dealer. Nothing was recorded."))
        return redirect(back)
    if redemption.replayed:
        messages.info(
            request,
            _("This form had already been submitted, so nothing more was used. This is the first receipt."),
        )
    elif start:
        messages.success(
            request, _("Service started: one use is held until you complete or cancel the service.")
        )
    else:
        left = redemption.redeemed_entry.uses_left_after
        messages.success(
            request,
            ngettext("Redeemed. %(left)s use left.", "Redeemed. %(left)s uses left.", left) % {"left": left},
        )
    return redirect(receipt_url(redemption.pk))
