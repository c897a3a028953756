"""Selling a pack or paid voucher to the car at the counter, paid on the spot, and its receipt.

The same order, payment and issuance pipeline as the online shop (`shop.services`); the advisor's
dealer is recorded as the selling dealer for settlement."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.validators import MaxValueValidator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from config.errors import DomainError
from members.actors import Actor
from shop.invoicing.forms import InvoiceFieldsForm
from shop.models import Payment
from shop.selectors import order_invoice, shop_catalogue
from shop.services import order_create, order_payment_record
from vehicles.models import Vehicle
from vehicles.selectors import vehicle_current_owner
from vouchers.models import Order

from ..access import counter_view
from ..exceptions import FormTokenExpired, FormTokenInvalid
from ..tokens import form_token_issue, form_token_read
from ._common import counter_render, refused, vehicle_url

SELL_ACTION = "sell"
COUNTER_METHODS = [
    (Payment.Method.CASH.value, Payment.Method.CASH.label),
    (Payment.Method.CARD_TERMINAL.value, Payment.Method.CARD_TERMINAL.label),
    (Payment.Method.TRANSFER.value, Payment.Method.TRANSFER.label),
]


class SaleForm(InvoiceFieldsForm):
    product = forms.ChoiceField(label=gettext_lazy("Pack or voucher"))
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, initial=1)
    method = forms.ChoiceField(label=gettext_lazy("Payment method"), choices=COUNTER_METHODS)
    reference = forms.CharField(
        label=gettext_lazy("Payment reference"),
        max_length=40,
        help_text=gettext_lazy("The cash receipt, card slip or transfer number."),
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {f"{p.kind}:{p.code}": p for p in products}
        self.fields["product"].choices = [
            (key, f"{p.name} · NT${p.price_twd:,}") for key, p in self.products.items()
        ]
        self.fields["quantity"].validators.append(MaxValueValidator(settings.SHOP_MAX_QUANTITY))


def _vehicle_or_404(vehicle_id: int) -> Vehicle:
    return get_object_or_404(Vehicle.objects.select_related("model"), pk=vehicle_id)


def _target(vehicle: Vehicle) -> str:
    return f"vehicle:{vehicle.pk}"


@require_http_methods(["GET", "POST"])
@counter_view
def sale(request, vehicle_id: int):
    vehicle = _vehicle_or_404(vehicle_id)
    owner = vehicle_current_owner(vehicle)
    products = [p for p in shop_catalogue(counter=True) if p.fits(vehicle)]
    form = SaleForm(request.POST or None, products=products)
    token = request.POST.get("token") or form_token_issue(
        user_id=request.user.pk, action=SELL_ACTION, target=_target(vehicle)
    )
    if request.method == "POST" and owner is not None and form.is_valid():
        try:
            read = form_token_read(
                token, user_id=request.user.pk, action=SELL_ACTION, target=_target(vehicle)
            )
        except FormTokenExpired as exc:
            messages.error(request, exc.message)
            return redirect("counter:sale", vehicle_id=vehicle.pk)
        except FormTokenInvalid as exc:
            return refused(request, exc.message, back_url=vehicle_url(vehicle.pk))
        data = form.cleaned_data
        try:
            order = order_create(
                member=owner,
                vehicle=vehicle,
                product=form.products[data["product"]],
                quantity=data["quantity"],
                channel=Order.Channel.COUNTER,
                dealer=request.counter.dealer,
                actor=Actor.advisor(request.user),
                idempotency_key=read.idempotency_key,
                invoice=data["invoice"],
            )
            if order.status == Order.Status.PENDING:
                order_payment_record(
                    order=order,
                    method=data["method"],
                    reference=data["reference"],
                    actor=Actor.advisor(request.user),
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("counter:sale_receipt", number=order.number)
    return counter_render(
        request,
        "counter/sale.html",
        {"vehicle": vehicle, "owner": owner, "form": form, "token": token, "has_products": bool(products)},
    )


@require_safe
@counter_view
def sale_receipt(request, number: str):
    """A printable receipt; only the dealer that sold it sees it."""
    order = (
        Order.objects.select_related("vehicle", "member", "bundle", "definition", "dealer")
        .filter(number=number, dealer=request.counter.dealer, channel=Order.Channel.COUNTER)
        .first()
    )
    if order is None:
        raise Http404
    return counter_render(
        request,
        "counter/sale_receipt.html",
        {
            "order": order,
            "vouchers": order.vouchers.select_related("definition").order_by("pk"),
            "payments": order.payments.order_by("paid_at"),
            "invoice": order_invoice(order),
            "back_url": reverse("counter:vehicle", args=[order.vehicle_id]),
            "message": _("Sold and paid: the vouchers are on the car."),
        },
    )
