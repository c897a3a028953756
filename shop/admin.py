"""The shop in the back office: orders with their timeline, settling a stuck order by hand, the
payment notifications as received, sales per pack and voucher, and the texts buyers must be shown."""

from datetime import date

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, Sum
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.admin.tools import (
    DealerScopedMixin,
    FastListMixin,
    ReadOnlyAdminMixin,
    ReasonForm,
    require_permission,
    run_action,
)
from vouchers.models import Order

from . import admin_refunds  # noqa: F401 (registers the order refunds admin)
from .models import Invoice, OrderEvent, OrderRefund, Payment, PaymentNotification, ShopNotice
from .services import order_payment_record


class _OrderPartInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A part of the order's record: whoever may view the order sees it."""

    extra = 0

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("vouchers.view_order")


class OrderEventInline(_OrderPartInline):
    model = OrderEvent
    fields = ("at", "kind", "actor_label", "note")
    readonly_fields = fields
    verbose_name_plural = _("timeline")


class PaymentInline(_OrderPartInline):
    model = Payment
    fields = ("paid_at", "method", "amount_twd", "provider", "trade_no")
    readonly_fields = fields


class InvoiceInline(_OrderPartInline):
    model = Invoice
    fields = (
        "status",
        "number",
        "issued_at",
        "random_number",
        "carrier_kind",
        "carrier",
        "donation_code",
        "tax_id",
        "title",
        "attempts",
        "last_error",
        "allowance_total_twd",
        "allowances",
    )
    readonly_fields = fields
    verbose_name_plural = _("e-invoice")


class OrderRefundInline(_OrderPartInline):
    model = OrderRefund
    fields = (
        "requested_at",
        "status",
        "value_twd",
        "fee_twd",
        "amount_twd",
        "method",
        "reference",
        "invoice_action",
    )
    readonly_fields = fields
    show_change_link = True


class SettleForm(ReasonForm):
    method = forms.ChoiceField(label=_("Payment method"), choices=Payment.Method.choices)
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=40,
        help_text=_("The bank transfer's or the provider's trade number: one payment settles one order."),
    )


@admin.register(Order)
class OrderAdmin(DealerScopedMixin, FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "item",
        "member",
        "vehicle",
        "amount_twd",
        "status",
        "invoice_number",
        "channel",
        "dealer",
        "created_at",
    )
    list_filter = ("status", "channel", "dealer", "bundle", "invoice__status")
    date_hierarchy = "created_at"
    list_select_related = ("bundle", "definition", "member", "vehicle", "dealer", "invoice")
    search_fields = ("number", "external_ref", "member__phone", "vehicle__plate_key", "vehicle__vin")
    fields = (
        "number",
        "status",
        "channel",
        "dealer",
        "member",
        "vehicle",
        "bundle",
        "definition",
        "quantity",
        "unit_price_twd",
        "amount_twd",
        "created_at",
        "expires_at",
        "paid_at",
        "issued_at",
        "issued_vouchers",
    )
    readonly_fields = fields
    inlines = [InvoiceInline, OrderEventInline, PaymentInline, OrderRefundInline]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("vouchers.view_order")

    @admin.display(description=_("item"))
    def item(self, order: Order) -> str:
        return f"{order.bundle or order.definition or '—'} × {order.quantity}"

    @admin.display(description=_("e-invoice"))
    def invoice_number(self, order: Order) -> str:
        invoice = getattr(order, "invoice", None)
        if invoice is None:
            return "—"
        return invoice.number or invoice.get_status_display()

    @admin.display(description=_("vouchers issued"))
    def issued_vouchers(self, order: Order) -> str:
        count = order.vouchers.count()
        url = reverse("admin:vouchers_voucher_changelist") + f"?order__id__exact={order.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    def get_urls(self):
        own = [
            path("<int:pk>/settle/", self.admin_site.admin_view(self.settle_view), name="shop_order_settle"),
            path("sales/", self.admin_site.admin_view(self.sales_view), name="shop_order_sales"),
        ]
        return own + super().get_urls()

    def settle_view(self, request, pk: int):
        """A stuck order whose money Finance has found: record the payment, issue, keep the reason."""
        require_permission(request, "vouchers.change_order")
        order = self.get_object(request, str(pk))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(pk))
        form = SettleForm(request.POST or None)

        def perform(data):
            order_payment_record(
                order=order,
                method=data["method"],
                reference=data["reference"],
                reason=data["reason"],
                by_hand=True,
                actor=Actor.operations(request.user),
            )
            return _("The order was settled and its vouchers issued.")

        return run_action(
            self,
            request,
            order,
            form=form,
            title=_("Settle by hand"),
            perform=perform,
            log_message=lambda data: (
                f"settled by hand ({data['method']} {data['reference']}): {data['reason']}"
            ),
            extra_context={
                "summary": [
                    (_("Order number"), order.number),
                    (_("Status"), order.get_status_display()),
                    (_("Amount (NT$)"), order.amount_twd),
                ]
            },
        )

    def sales_view(self, request):
        """Sales per pack and per paid voucher over a date range (Asia/Taipei), by channel."""
        today = timezone.localdate()
        try:
            start = (
                date.fromisoformat(request.GET.get("from", ""))
                if request.GET.get("from")
                else today.replace(day=1)
            )
            end = date.fromisoformat(request.GET.get("to", "")) if request.GET.get("to") else today
        except ValueError:
            start, end = today.replace(day=1), today
        sold = self.get_queryset(request).filter(
            status__in=[
                Order.Status.PAID,
                Order.Status.ISSUED,
                Order.Status.PARTLY_REFUNDED,
                Order.Status.REFUNDED,
            ],
            paid_at__date__gte=start,
            paid_at__date__lte=end,
        )
        totals = dict(orders=Count("pk"), units=Sum("quantity"), revenue=Sum("amount_twd"))
        by_channel = {c: Count("pk", filter=Q(channel=c)) for c in Order.Channel.values}
        rows = [
            {
                **row,
                "name": row["bundle__name"] or row["definition__name"],
                "per_channel": [row[c] for c in by_channel],
            }
            for row in sold.values("bundle__name", "definition__name")
            .annotate(**totals, **by_channel)
            .order_by("-revenue")
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Sales per pack and voucher"),
            "rows": rows,
            "channels": Order.Channel.choices,
            "total": sold.aggregate(**totals),
            "start": start,
            "end": end,
        }
        return TemplateResponse(request, "admin/shop/sales.html", context)


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "source", "merchant_trade_no", "outcome", "reason", "remote_addr")
    list_filter = ("outcome", "source")
    search_fields = ("merchant_trade_no",)
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "source",
        "merchant_trade_no",
        "order",
        "outcome",
        "reason",
        "remote_addr",
        "payload",
    )
    readonly_fields = fields


@admin.register(ShopNotice)
class ShopNoticeAdmin(admin.ModelAdmin):
    list_display = ("issuer_name", "issuer_tax_id", "updated_at")

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not ShopNotice.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # one notice for the whole shop (a database constraint holds it)
        super().save_model(request, obj, form, change)
