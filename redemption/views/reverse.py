"""Reverse a completed redemption of this dealer: within the window, with a reason, with permission."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from members.actors import Actor

from ..access import counter_view
from ..forms import ReverseForm
from ..presentation import REVERSE_ACTION, redemption_target
from ..selectors import advisor_label, redemption_in_reversal_window, redemption_reversible_until
from ..services import redemption_reverse
from ..tokens import form_token_issue, form_token_posted
from ._common import REVERSE_PERMISSION, counter_render, form_token_refusals, receipt_url
from .receipt import scoped_redemption_or_404


def _page_url(redemption_id: int) -> str:
    return reverse("counter:reverse", args=[redemption_id])


def _render(request, redemption, *, form=None, token=None, status=200):
    now = timezone.now()
    target = redemption_target(redemption.pk)
    return counter_render(
        request,
        "counter/reverse.html",
        {
            "redemption": redemption,
            "advisor": advisor_label(redemption.advisor),
            "form": form or ReverseForm(),
            "token": token or form_token_issue(user_id=request.user.pk, action=REVERSE_ACTION, target=target),
            "reversible": redemption.status == redemption.Status.COMPLETED
            and redemption_in_reversal_window(redemption, now=now),
            "reversible_until": redemption_reversible_until(redemption),
            "focus_search": False,
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@counter_view
@form_token_refusals(back=receipt_url, expired_back=_page_url)
def redemption_reverse_view(request, redemption_id: int):
    redemption = scoped_redemption_or_404(request, redemption_id)
    if not request.user.has_perm(REVERSE_PERMISSION):
        return counter_render(
            request, "counter/reverse_forbidden.html", {"redemption": redemption}, status=403
        )
    if request.method != "POST":
        return _render(request, redemption)
    form_token_posted(request, action=REVERSE_ACTION, target=redemption_target(redemption.pk))
    form = ReverseForm(request.POST)
    if not form.is_valid():
        return _render(request, redemption, form=form, token=request.POST["token"])
    now = timezone.now()
    try:
        reversed_ = redemption_reverse(
            redemption=redemption,
            reason=form.cleaned_data["reason"],
            actor=Actor.advisor(request.user),
            dealer=request.counter.dealer,
            now=now,
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _render(request, redemption, form=form, token=request.POST["token"])
    if reversed_.replayed:
        messages.info(request, _("This redemption had already been reversed; nothing changed."))
    else:
        messages.success(request, _("Redemption reversed. The use is back on the voucher."))
    return redirect(receipt_url(redemption.pk))
