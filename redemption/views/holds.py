"""The second step of a two-step redemption: complete the held service, or cancel it."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.stored_text import stored_text
from members.actors import Actor

from ..access import counter_view
from ..forms import MILEAGE_REFUSALS, CompleteForm
from ..presentation import CANCEL_ACTION, COMPLETE_ACTION, redemption_target
from ..services import redemption_cancel, redemption_complete
from ..tokens import form_token_posted
from ._common import form_token_refusals, receipt_url, vehicle_url
from .receipt import render_receipt, scoped_redemption_or_404


@require_POST
@counter_view
@form_token_refusals(back=receipt_url)
def hold_complete(request, redemption_id: int):
    redemption = scoped_redemption_or_404(request, redemption_id)
    back = receipt_url(redemption.pk)
    token = form_token_posted(request, action=COMPLETE_ACTION, target=redemption_target(redemption.pk))
    form = CompleteForm(request.POST, mileage_known=redemption.mileage_km is not None)
    if not form.is_valid():
        return render_receipt(request, redemption, complete_form=form, complete_token=request.POST["token"])
    now = timezone.now()
    try:
        completed = redemption_complete(
            redemption=redemption,
            idempotency_key=token.idempotency_key,
            dealer=request.counter.dealer,
            advisor=request.user,
            mileage_km=form.cleaned_data["mileage"],
            odometer_replacement=form.odometer_replacement(),
            work_order=form.cleaned_data["work_order"] or None,
            now=now,
        )
    except MILEAGE_REFUSALS as exc:
        form.show_refusal(exc)
        return render_receipt(request, redemption, complete_form=form, complete_token=request.POST["token"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if completed.replayed:
        messages.info(
            request, _("This service had already been completed with this form; nothing more was used.")
        )
    else:
        left = completed.redeemed_entry.uses_left_after
        messages.success(
            request,
            ngettext("Service completed. %(left)s use left.", "Service completed. %(left)s uses left.", left)
            % {"left": left},
        )
    return redirect(back)


@require_POST
@counter_view
@form_token_refusals(back=receipt_url)
def hold_cancel(request, redemption_id: int):
    redemption = scoped_redemption_or_404(request, redemption_id)
    back = receipt_url(redemption.pk)
    form_token_posted(request, action=CANCEL_ACTION, target=redemption_target(redemption.pk))
    now = timezone.now()
    try:
        cancelled = redemption_cancel(
            redemption=redemption,
            dealer=request.counter.dealer,
            actor=Actor.advisor(request.user),
            reason=stored_text(gettext_lazy("Cancelled at the counter.")),
            now=now,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if cancelled.replayed:
        messages.info(request, _("This service had already been cancelled."))
    else:
        messages.success(request, _("Service cancelled. The held use is back on the voucher."))
    return redirect(vehicle_url(redemption.vehicle_id))
