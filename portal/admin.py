from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.admin.tools import ReasonForm, require_permission, run_action
from members.models import ErasureRequest
from members.services import erased_member_pseudonym, erasure_request_refuse
from vehicles.admin.queue import PendingFirstMixin

from .models import LoginCode
from .services import member_erase


@admin.register(LoginCode)
class LoginCodeAdmin(admin.ModelAdmin):
    """Read-only, for support ("I never got my code"): the code itself is never stored, only its hash."""

    list_display = [
        "phone",
        "created_at",
        "expires_at",
        "attempts",
        "max_attempts",
        "closed_reason",
        "client_ip",
    ]
    list_filter = ["closed_reason"]
    search_fields = ["phone"]
    date_hierarchy = "created_at"
    exclude = ["salt", "code_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ErasureRequest)
class ErasureRequestAdmin(PendingFirstMixin, admin.ModelAdmin):
    """Owners' erasure requests, pending first. Registered here, not in members, because carrying one
    out (portal.services.member_erase) also clears the outbox and sign-in codes above members."""

    list_display = ("requested_at", "status", "member", "source", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("member", "decided_by")
    search_fields = ("member__name", "=member__pk")
    fields = ("member", "status", "source", "requested_at", "decided_at", "decided_by", "decision_reason")
    readonly_fields = fields
    change_form_template = "admin/members/erasurerequest/change_form.html"
    show_full_result_count = False

    def get_ordering(self, request):
        return ["pending_first", "requested_at", "-pk"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decided only through "erase" / "refuse", which call the services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/erase/", wrap(self.erase_view), name="members_erasurerequest_erase"),
            path("<path:object_id>/refuse/", wrap(self.refuse_view), name="members_erasurerequest_refuse"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_decide": request.user.has_perm("members.carry_out_erasurerequest"),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _decide(self, request, object_id, *, erase: bool):
        require_permission(request, "members.carry_out_erasurerequest")
        erasure = self.get_object(request, object_id)
        if erasure is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        label = gettext("Erase personal data") if erase else gettext("Refuse erasure")

        def perform(data):
            if erase:
                member_erase(erasure_request=erasure, actor=request.user, reason=data["reason"])
                return gettext("Personal data erased; the member is now %(name)s.") % {
                    "name": erased_member_pseudonym(erasure.member_id)
                }
            erasure_request_refuse(erasure_request=erasure, actor=request.user, reason=data["reason"])
            return gettext("Erasure refused; the owner sees your reason in the portal.")

        return run_action(
            self,
            request,
            erasure,
            form=ReasonForm(request.POST or None),
            title=label,
            perform=perform,
            log_message=lambda d: (
                gettext("%(action)s. Reason: %(reason)s") % {"action": label, "reason": d["reason"]}
            ),
            extra_context={
                "submit_label": label,
                "note": ERASE_NOTE if erase else REFUSE_NOTE,
                "summary": [
                    (_("Member"), erasure.member),
                    (_("Requested"), erasure.requested_at),
                    (_("Status"), erasure.get_status_display()),
                ],
            },
        )

    def erase_view(self, request, object_id):
        return self._decide(request, object_id, erase=True)

    def refuse_view(self, request, object_id):
        return self._decide(request, object_id, erase=False)


ERASE_NOTE = _(
    "Clears the member's name, mobile number, e-mail, birthday and LINE id (a pseudonym remains), "
    "withdraws their consents, deletes their sign-in codes, clears the text and addresses of their "
    "messages and ends their portal sessions. Vouchers, ledgers, redemptions, orders, refunds and the "
    "consent history are kept. This cannot be undone."
)
REFUSE_NOTE = _("The owner sees the status and your reason in the portal.")
