from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.admin.tools import ReasonForm, require_permission, run_action
from vehicles.admin.queue import PendingFirstMixin

from ..models import RefundRequest
from ..services import refund_approve, refund_reject


@admin.register(RefundRequest)
class RefundRequestAdmin(PendingFirstMixin, admin.ModelAdmin):
    """The refund queue: requests waiting for operations first, oldest waiting first."""

    list_display = (
        "created_at",
        "status",
        "voucher",
        "member",
        "amount_twd",
        "reason",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status",)
    list_select_related = ("voucher", "member", "decided_by")
    search_fields = ("voucher__code", "member__phone", "member__name")
    fields = (
        "voucher",
        "member",
        "amount_twd",
        "reason",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_reason",
    )
    readonly_fields = fields
    change_form_template = "admin/vouchers/refundrequest/change_form.html"
    show_full_result_count = False

    def get_ordering(self, request):
        # Pending requests oldest first (fair queue), then decided ones newest first.
        return (
            ["pending_first", "created_at", "-pk"]
            if request.GET.get("status__exact") == "pending"
            else ["pending_first", "-created_at", "-pk"]
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decided only through approve / reject, which call the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/<str:decision>/decide/",
                wrap(self.decide_view),
                name="vouchers_refundrequest_decide",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_decide": request.user.has_perm("vouchers.change_refundrequest"),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, object_id, decision):
        if decision not in ("approve", "reject"):
            from django.http import Http404

            raise Http404
        require_permission(request, "vouchers.change_refundrequest")
        refund = self.get_object(request, object_id)
        if refund is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        approve = decision == "approve"
        label = gettext("Approve refund") if approve else gettext("Reject refund")

        def perform(data):
            if approve:
                refund_approve(refund=refund, actor=Actor.operations(request.user), reason=data["reason"])
                return gettext("Refund approved; the voucher is refunded.")
            refund_reject(refund=refund, actor=Actor.operations(request.user), reason=data["reason"])
            return gettext("Refund rejected; the voucher is usable again.")

        return run_action(
            self,
            request,
            refund,
            form=ReasonForm(request.POST or None),
            title=label,
            perform=perform,
            log_message=lambda d: (
                gettext("%(action)s. Reason: %(reason)s") % {"action": label, "reason": d["reason"]}
            ),
            extra_context={
                "submit_label": label,
                "summary": [
                    (_("Voucher"), refund.voucher),
                    (_("Definition"), refund.voucher.definition),
                    (_("Member"), refund.member or "—"),
                    (_("Amount (NT$)"), refund.amount_twd),
                    (_("Owner's reason"), refund.reason or "—"),
                    (_("Status"), refund.get_status_display()),
                ],
            },
        )
