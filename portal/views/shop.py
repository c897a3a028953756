"""The owner's shop: catalogue, choose car and quantity, review, pay through ECPay, and the orders."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.validators import MaxValueValidator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import DomainError
from members.actors import Actor
from shop.invoicing.forms import InvoiceFieldsForm
from shop.models import ShopNotice
from shop.payments.ecpay import gateway
from shop.selectors import member_order, member_orders, order_invoice, shop_catalogue, shop_product
from shop.services import order_cancel, order_create, order_refund_assess, order_require_payable
from vehicles.selectors import vehicles_of_member

from ..auth import owner_required
from ..idempotency import idempotency_key, idempotency_token
from ._common import show_error


class BuyForm(InvoiceFieldsForm):
    vehicle = forms.TypedChoiceField(label=gettext_lazy("For vehicle"), coerce=int)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, initial=1)

    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.vehicles = {v.pk: v for v in vehicles}
        self.fields["vehicle"].choices = [
            (v.pk, f"{v.plate} · {v.model.name if v.model else ''}") for v in vehicles
        ]
        self.fields["quantity"].validators.append(MaxValueValidator(settings.SHOP_MAX_QUANTITY))
        self.fields["quantity"].widget.attrs["max"] = settings.SHOP_MAX_QUANTITY


def _product_or_404(kind: str, code: str):
    product = shop_product(kind, code)
    if product is None:
        raise Http404
    return product


@owner_required
@require_GET
def catalogue(request):
    return render(
        request,
        "portal/shop/catalogue.html",
        {"products": shop_catalogue(), "notice": ShopNotice.objects.first(), "nav": "shop"},
    )


@owner_required
@require_http_methods(["GET", "POST"])
def product(request, kind: str, code: str):
    """GET: the product and its form. POST: the review page; POST with `confirm`: the order is placed."""
    item = _product_or_404(kind, code)
    vehicles = [v for v in vehicles_of_member(request.owner) if item.fits(v)]
    form = BuyForm(request.POST or None, vehicles=vehicles)
    context = {"product": item, "form": form, "notice": ShopNotice.objects.first(), "nav": "shop"}
    if request.method == "POST" and form.is_valid():
        vehicle, quantity = form.vehicles[form.cleaned_data["vehicle"]], form.cleaned_data["quantity"]
        if "confirm" not in request.POST:
            context.update(
                vehicle=vehicle,
                quantity=quantity,
                invoice=form.cleaned_data["invoice"],
                total=item.price_twd * quantity,
                idempotency_token=idempotency_token(),
            )
            return render(request, "portal/shop/review.html", context)
        try:
            order = order_create(
                member=request.owner,
                vehicle=vehicle,
                product=item,
                quantity=quantity,
                actor=Actor.owner(request.owner),
                idempotency_key=idempotency_key(request),
                invoice=form.cleaned_data["invoice"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("portal:order_pay", number=order.number)
    return render(request, "portal/shop/product.html", context)


@owner_required
@require_GET
def order_pay(request, number: str):
    """The signed form that takes the owner to ECPay's payment page."""
    order = member_order(request.owner, number)
    if order is None:
        raise Http404
    try:
        order_require_payable(order, now=timezone.now())
        base = settings.SHOP_PUBLIC_BASE_URL.rstrip("/")
        absolute = (lambda path: base + path) if base else request.build_absolute_uri
        checkout = gateway().checkout(
            merchant_trade_no=order.number,
            amount=order.amount_twd,
            item_name=f"{order.bundle or order.definition} x {order.quantity}",
            description=_("Service vouchers"),
            return_url=absolute(reverse("shop:ecpay_notify")),
            client_back_url=absolute(reverse("portal:order", args=[order.number])),
            checkout_url=reverse("shop:fake_checkout"),
            now=timezone.now(),
        )
    except DomainError as exc:
        show_error(request, exc)
        return redirect("portal:order", number=order.number)
    return render(request, "portal/shop/pay.html", {"order": order, "checkout": checkout, "nav": "shop"})


@owner_required
@require_GET
def orders(request):
    return render(
        request, "portal/shop/orders.html", {"orders": member_orders(request.owner)[:100], "nav": "shop"}
    )


def _refundable(member, order) -> bool:
    """Whether to offer a refund: the same assessment the refund service applies."""
    try:
        order_refund_assess(order, member=member)
    except DomainError:
        return False
    return True


@owner_required
@require_GET
def order_detail(request, number: str):
    order = member_order(request.owner, number)
    if order is None:
        raise Http404
    return render(
        request,
        "portal/shop/order.html",
        {
            "order": order,
            "vouchers": order.vouchers.select_related("definition").order_by("pk"),
            "payments": order.payments.order_by("paid_at"),
            "invoice": order_invoice(order),
            "refundable": _refundable(request.owner, order),
            "refunds": order.refunds.order_by("requested_at"),
            "events": order.events.order_by("at", "pk"),
            "payable": order.status == order.Status.PENDING,
            "idempotency_token": idempotency_token(),
            "nav": "shop",
        },
    )


@owner_required
@require_POST
def order_cancel_view(request, number: str):
    order = member_order(request.owner, number)
    if order is None:
        raise Http404
    try:
        order_cancel(order=order, actor=Actor.owner(request.owner))
    except DomainError as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("The order was cancelled."))
    return redirect("portal:order", number=order.number)
