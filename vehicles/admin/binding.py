from django import forms
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.admin.tools import ReasonForm, require_permission, run_action

from ..models import BindingRequest
from ..services import binding_request_approve, binding_request_reject
from .queue import PendingFirstMixin


class ApproveBindingForm(ReasonForm):
    role = forms.ChoiceField(
        label=_("Bind as"),
        choices=[
            ("owner", _("Owner (ownership transfers to this member)")),
            ("driver", _("Authorised driver")),
        ],
        initial="owner",
        widget=forms.RadioSelect,
    )
    field_order = ["role", "reason"]


@admin.register(BindingRequest)
class BindingRequestAdmin(PendingFirstMixin, admin.ModelAdmin):
    """The binding-requests queue: owners whose car could not be matched automatically."""

    list_display = ("created_at", "status", "member", "plate", "vin", "vehicle", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("member", "vehicle", "vehicle__model", "decided_by")
    search_fields = ("vin", "plate", "member__phone", "member__name")
    readonly_fields = (
        "member",
        "vin",
        "plate",
        "vehicle",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_reason",
    )
    fields = readonly_fields
    change_form_template = "admin/vehicles/bindingrequest/change_form.html"

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
                "<path:object_id>/approve/", wrap(self.approve_view), name="vehicles_bindingrequest_approve"
            ),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="vehicles_bindingrequest_reject"),
            *super().get_urls(),
        ]

    def _summary(self, request_obj: BindingRequest):
        return [
            (_("Member"), request_obj.member),
            (_("VIN"), request_obj.vin),
            (_("Licence plate"), request_obj.plate),
            (_("Vehicle on record"), request_obj.vehicle or _("none — no vehicle has this VIN and plate")),
        ]

    def approve_view(self, request, object_id):
        require_permission(request, "vehicles.change_bindingrequest")
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)

        def perform(data):
            binding_request_approve(request=obj, actor=request.user, role=data["role"], reason=data["reason"])
            return gettext("Binding request approved.")

        return run_action(
            self,
            request,
            obj,
            form=ApproveBindingForm(request.POST or None),
            title=gettext("Approve binding request"),
            perform=perform,
            log_message=lambda d: (
                gettext("Approved as %(role)s. Reason: %(reason)s")
                % {"role": d["role"], "reason": d["reason"]}
            ),
            extra_context={"summary": self._summary(obj)},
        )

    def reject_view(self, request, object_id):
        require_permission(request, "vehicles.change_bindingrequest")
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)

        def perform(data):
            binding_request_reject(request=obj, actor=request.user, reason=data["reason"])
            return gettext("Binding request rejected.")

        return run_action(
            self,
            request,
            obj,
            form=ReasonForm(request.POST or None),
            title=gettext("Reject binding request"),
            perform=perform,
            log_message=lambda d: gettext("Rejected. Reason: %(reason)s") % {"reason": d["reason"]},
            extra_context={"summary": self._summary(obj)},
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_decide": request.user.has_perm("vehicles.change_bindingrequest"),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)
