from datetime import date

from django import forms
from django.contrib import admin
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.admin.tools import FastListMixin, ReasonForm, require_permission, run_action

from ..models import LedgerEntry, Voucher
from ..services import voucher_activate, voucher_extend, voucher_lock, voucher_unlock, voucher_void
from ..validity import end_of_day
from .extensions import voucher_tools
from .ledger import who
from .search import voucher_search_condition

Status = Voucher.Status


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "kind",
        "delta",
        "status_before",
        "status_after",
        "uses_left_after",
        "actor",
        who,
        "dealer",
        "reason",
    )
    readonly_fields = fields
    ordering = ("pk",)
    verbose_name_plural = _("ledger (append-only)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "dealer")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ExtendForm(ReasonForm):
    valid_until = forms.DateField(
        label=_("New last day of validity"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The voucher stays valid until the end of this day (Asia/Taipei)."),
    )
    field_order = ["valid_until", "reason"]

    def clean_valid_until(self) -> date:
        day = self.cleaned_data["valid_until"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Choose a day from today on."))
        return day


# action name: (button label, statuses in which the service accepts it)
ACTIONS = {
    "activate": (_("Activate"), (Status.INACTIVE,)),
    "void": (_("Void"), (Status.INACTIVE, Status.ACTIVE, Status.LOCKED)),
    "extend": (
        _("Extend validity"),
        (Status.INACTIVE, Status.ACTIVE, Status.HELD, Status.LOCKED, Status.EXPIRED),
    ),
    "lock": (_("Lock"), (Status.INACTIVE, Status.ACTIVE)),
    "unlock": (_("Unlock"), (Status.LOCKED,)),
}


@admin.register(Voucher)
class VoucherAdmin(FastListMixin, admin.ModelAdmin):
    list_display = (
        "code_display",
        "definition",
        "vehicle",
        "member",
        "status",
        "uses",
        "valid_until",
        "issued_at",
        "source",
    )
    # Only filters an index serves: (status, valid_until), (definition, status) and the small
    # definitions table; newest first by primary key, which the primary-key index serves too.
    list_filter = ("status", "definition__kind", "definition__category", "definition")
    ordering = ("-pk",)
    list_select_related = ("definition", "vehicle", "vehicle__model", "member")
    search_fields = ("code",)
    search_help_text = _("Voucher code, licence plate, VIN or the member's mobile number.")
    raw_id_fields = ("definition", "member", "vehicle", "order")
    fields = (
        "code_display",
        "definition",
        "status",
        "uses_total",
        "uses_left",
        "valid_from",
        "valid_until",
        "vehicle",
        "member",
        "order",
        "series_index",
        "source",
        "external_ref",
        "issued_at",
        "activated_at",
        "status_changed_at",
    )
    readonly_fields = fields
    inlines = [LedgerInline]
    change_form_template = "admin/vouchers/voucher/change_form.html"

    @admin.display(description=_("code"), ordering="code")
    def code_display(self, obj: Voucher) -> str:
        return obj.code_display

    @admin.display(description=_("uses left"))
    def uses(self, obj: Voucher) -> str:
        return f"{obj.uses_left} / {obj.uses_total}"

    def has_add_permission(self, request) -> bool:
        return False  # vouchers are issued by the services (wizard, bulk issuance, claim, API)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # every change is a manual action below, through the life-cycle services

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        condition = voucher_search_condition(search_term)
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/<str:action>/do/", wrap(self.action_view), name="vouchers_voucher_action"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        tools = []
        if obj is not None:
            pending = obj.refund_requests.filter(status="pending").first()
            if request.user.has_perm("vouchers.change_voucher"):
                tools += [
                    (label, reverse("admin:vouchers_voucher_action", args=[obj.pk, name]))
                    for name, (label, allowed) in ACTIONS.items()
                    # A refund request holds the lock: it is decided, not unlocked.
                    if obj.status in allowed and not (name == "unlock" and pending is not None)
                ]
            tools += [
                (tool.label, tool.url(obj))
                for tool in voucher_tools
                if request.user.has_perm(tool.permission) and tool.show(obj)
            ]
            if pending is not None and request.user.has_perm("vouchers.view_refundrequest"):
                tools.append(
                    (
                        _("Decide the refund request"),
                        reverse("admin:vouchers_refundrequest_change", args=[pending.pk]),
                    )
                )
        extra_context = {**(extra_context or {}), "voucher_tools": tools}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def action_view(self, request, object_id, action):
        if action not in ACTIONS:
            raise Http404
        require_permission(request, "vouchers.change_voucher")
        voucher = self.get_object(request, object_id)
        if voucher is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        label, _allowed = ACTIONS[action]
        form_class = ExtendForm if action == "extend" else ReasonForm
        actor = {"actor": Actor.operations(request.user)}

        def perform(data):
            reason = data["reason"]
            if action == "activate":
                voucher_activate(voucher=voucher, via="operations", reason=reason, **actor)
            elif action == "void":
                voucher_void(voucher=voucher, reason=reason, **actor)
            elif action == "extend":
                voucher_extend(
                    voucher=voucher, valid_until=end_of_day(data["valid_until"]), reason=reason, **actor
                )
            elif action == "lock":
                voucher_lock(voucher=voucher, reason=reason, **actor)
            else:
                voucher_unlock(voucher=voucher, reason=reason, **actor)
            return gettext("%(action)s: done for voucher %(code)s.") % {
                "action": label,
                "code": voucher.code_display,
            }

        def log_message(data):
            if action == "extend":
                return gettext("%(action)s → %(date)s. Reason: %(reason)s") % {
                    "action": label,
                    "date": f"{data['valid_until']:%Y-%m-%d}",
                    "reason": data["reason"],
                }
            return gettext("%(action)s. Reason: %(reason)s") % {"action": label, "reason": data["reason"]}

        return run_action(
            self,
            request,
            voucher,
            form=form_class(request.POST or None),
            title=gettext("%(action)s — %(code)s") % {"action": label, "code": voucher.code_display},
            perform=perform,
            log_message=log_message,
            extra_context={
                "submit_label": label,
                "summary": [
                    (_("Definition"), voucher.definition),
                    (_("Status"), voucher.get_status_display()),
                    (_("Uses left"), f"{voucher.uses_left} / {voucher.uses_total}"),
                    (_("Valid until"), voucher.valid_until or _("No expiry")),
                    (_("Vehicle"), voucher.vehicle or "—"),
                    (_("Member"), voucher.member or "—"),
                ],
            },
        )
