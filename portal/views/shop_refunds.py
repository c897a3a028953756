"""The owner asks for the refund of what is left of an order: a confirmation step showing the amount
(from the same assessment the service applies), then the request goes to Finance."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from config.errors import DomainError
from shop.selectors import member_order
from shop.services import order_refund_assess, order_refund_request

from ..auth import owner_required
from ._common import show_error


class RefundForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), max_length=300, required=False)


@owner_required
@require_http_methods(["GET", "POST"])
def order_refund(request, number: str):
    order = member_order(request.owner, number)
    if order is None:
        raise Http404
    form = RefundForm(request.POST or None)
    try:
        quote = order_refund_assess(order, member=request.owner)
        if request.method == "POST" and form.is_valid():
            order_refund_request(order=order, member=request.owner, reason=form.cleaned_data["reason"])
            messages.success(request, _("Your refund request was sent. Finance will answer it shortly."))
            return redirect("portal:order", number=order.number)
    except DomainError as exc:
        show_error(request, exc)
        return redirect("portal:order", number=order.number)
    return render(
        request, "portal/shop/refund.html", {"order": order, "quote": quote, "form": form, "nav": "shop"}
    )
