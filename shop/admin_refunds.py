"""Order refunds in the back office: Finance approves (paid back by ECPay or a recorded transfer, the
e-invoice voided or allowed) or rejects, each with a reason, through `run_action` (audited)."""

from django import forms
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.admin.tools import FastListMixin, ReadOnlyAdminMixin, ReasonForm, require_permission, run_action

from .invoicing.ecpay import invoice_client
from .models import OrderRefund
from .payments.ecpay import gateway
from .services import order_refund_approve, order_refund_reject

DECIDE_PERMISSION = "shop.change_orderrefund"


class ApproveForm(ReasonForm):
    reference = forms.CharField(
        label=_("Transfer reference"),
        max_length=40,
        required=False,
        help_text=_(
            "Only for an order not paid by credit card through ECPay: the bank transfer's reference."
        ),
    )


@admin.register(OrderRefund)
class OrderRefundAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("requested_at", "order", "amount_twd", "fee_twd", "status", "method", "invoice_action")
    list_filter = ("status", "method", "invoice_action")
    search_fields = ("order__number", "reference")
    list_select_related = ("order",)
    date_hierarchy = "requested_at"
    fields = (
        "order",
        "status",
        "requested_at",
        "reason",
        "value_twd",
        "fee_twd",
        "amount_twd",
        "partly_used",
        "method",
        "reference",
        "invoice_action",
        "allowance_number",
        "decided_at",
        "decided_by",
        "decision_reason",
    )
    readonly_fields = fields
    change_form_template = "admin/shop/orderrefund/change_form.html"

    def get_urls(self):
        own = [
            path(
                "<int:pk>/approve/",
                self.admin_site.admin_view(self.approve_view),
                name="shop_orderrefund_approve",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="shop_orderrefund_reject",
            ),
        ]
        return own + super().get_urls()

    def _summary(self, refund: OrderRefund) -> list:
        return [
            (_("Order number"), refund.order.number),
            (_("Value of the vouchers (NT$)"), refund.value_twd),
            (_("Refund fee (NT$)"), refund.fee_twd),
            (_("Refund (NT$)"), refund.amount_twd),
        ]

    def _decide(self, request, pk: int, *, form, title, perform, log_message):
        require_permission(request, DECIDE_PERMISSION)
        refund = self.get_object(request, str(pk))
        if refund is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(pk))
        return run_action(
            self,
            request,
            refund,
            form=form,
            title=title,
            perform=lambda data: perform(refund, data),
            log_message=log_message,
            extra_context={"summary": self._summary(refund)},
        )

    def approve_view(self, request, pk: int):
        def perform(refund, data):
            order_refund_approve(
                refund=refund,
                actor=Actor.operations(request.user),
                gateway=gateway(),
                invoice_client=invoice_client(),
                reason=data["reason"],
                reference=data["reference"],
            )
            return _("The refund was approved and paid back.")

        return self._decide(
            request,
            pk,
            form=ApproveForm(request.POST or None),
            title=_("Approve the refund"),
            perform=perform,
            log_message=lambda data: f"refund approved ({data['reference'] or 'ecpay'}): {data['reason']}",
        )

    def reject_view(self, request, pk: int):
        def perform(refund, data):
            order_refund_reject(
                refund=refund,
                actor=Actor.operations(request.user),
                reason=data["reason"],
            )
            return _("The refund was rejected; the vouchers can be used again.")

        return self._decide(
            request,
            pk,
            form=ReasonForm(request.POST or None),
            title=_("Reject the refund"),
            perform=perform,
            log_message=lambda data: f"refund rejected: {data['reason']}",
        )
