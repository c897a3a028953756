"""The receipt of one redemption of this dealer: printable, and readable on a phone."""

from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..access import counter_view
from ..forms import CompleteForm
from ..presentation import CANCEL_ACTION, COMPLETE_ACTION, REVERSE_ACTION, redemption_target
from ..selectors import (
    advisor_label,
    dealer_redemption,
    hold_is_stale,
    redemption_in_reversal_window,
    redemption_reversible_until,
)
from ..tokens import form_token_issue
from ._common import REVERSE_PERMISSION, counter_render


def scoped_redemption_or_404(request, redemption_id: int):
    redemption = dealer_redemption(dealer=request.counter.dealer, redemption_id=redemption_id)
    if redemption is None:
        raise Http404
    return redemption


def render_receipt(request, redemption, *, complete_form=None, complete_token=None, status=200):
    now = timezone.now()
    target = redemption_target(redemption.pk)
    user_id = request.user.pk
    held = redemption.status == redemption.Status.HELD
    in_window = redemption_in_reversal_window(redemption, now=now)
    can_reverse = in_window and request.user.has_perm(REVERSE_PERMISSION)
    context = {
        "redemption": redemption,
        "voucher": redemption.voucher,
        "advisor": advisor_label(redemption.advisor),
        "reversed_by": advisor_label(redemption.reversed_by),
        "uses_left_after": redemption.redeemed_entry.uses_left_after if redemption.redeemed_entry else None,
        "held": held,
        "stale": hold_is_stale(redemption, now=now),
        "reversible_until": redemption_reversible_until(redemption),
        "show_reverse": can_reverse,
        "can_reverse": can_reverse,
        "complete_form": complete_form or CompleteForm(mileage_known=redemption.mileage_km is not None),
        "complete_token": (
            complete_token or form_token_issue(user_id=user_id, action=COMPLETE_ACTION, target=target)
        )
        if held
        else "",
        "cancel_token": form_token_issue(user_id=user_id, action=CANCEL_ACTION, target=target)
        if held
        else "",
        "reverse_action": REVERSE_ACTION,
        "focus_search": not held,
        "focus_id": "complete-mileage" if held else None,
    }
    return counter_render(request, "counter/receipt.html", context, status=status)


@require_safe
@counter_view
def receipt(request, redemption_id: int):
    return render_receipt(request, scoped_redemption_or_404(request, redemption_id))
