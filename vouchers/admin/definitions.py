from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.errors import DomainError

from ..models import VoucherDefinition
from ..presentation import definition_card_preview
from ..services import definition_has_vouchers, definition_locked_fields, definition_set_status
from ..services.definition_edit import STEP_COUNT
from .bulk import BulkIssueMixin
from .definition_stats import definition_redemptions_by_month, definition_vouchers_by_state
from .wizard import DefinitionWizardMixin, step_url
from .wizard_forms import STEP_TITLES

Definition = VoucherDefinition
CHANNELS = {
    "manual": _("manual / whitelist"),
    "claim": _("owner self-claim"),
    "event": _("event triggered"),
    "api": _("partner API"),
    "bundle": _("sold in a pack"),
}


class ChannelFilter(admin.SimpleListFilter):
    title = _("issue channel")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return list(CHANNELS.items())

    def queryset(self, request, queryset):
        if self.value() in CHANNELS:
            return queryset.filter(**{f"channel_{self.value()}": True})
        return queryset


@admin.register(VoucherDefinition)
class VoucherDefinitionAdmin(DefinitionWizardMixin, BulkIssueMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "kind",
        "category",
        "status",
        "channels",
        "stock",
        "wizard_progress",
        "published_at",
    )
    list_filter = ("kind", "category", "status", ChannelFilter)
    search_fields = ("name", "code", "card_title")
    ordering = ("-updated_at",)

    @admin.display(description=_("channels"))
    def channels(self, obj: Definition) -> str:
        return ", ".join(str(label) for key, label in CHANNELS.items() if getattr(obj, f"channel_{key}"))

    @admin.display(description=_("issued / stock"))
    def stock(self, obj: Definition) -> str:
        return f"{obj.stock_issued} / {obj.stock_total if obj.stock_total is not None else '∞'}"

    @admin.display(description=_("wizard"))
    def wizard_progress(self, obj: Definition) -> str:
        return f"{obj.wizard_step} / {STEP_COUNT}"

    def has_delete_permission(self, request, obj=None) -> bool:
        # A definition is archived, never deleted, once vouchers exist (they point at it).
        return super().has_delete_permission(request, obj) and (
            obj is None or not definition_has_vouchers(obj)
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("wizard/", wrap(self.wizard_new_view), name="vouchers_voucherdefinition_wizard_new"),
            path(
                "<path:object_id>/wizard/<int:step>/",
                wrap(self.wizard_step_view),
                name="vouchers_voucherdefinition_wizard",
            ),
            path(
                "<path:object_id>/wizard/review/",
                wrap(self.wizard_review_view),
                name="vouchers_voucherdefinition_review",
            ),
            path(
                "<path:object_id>/wizard/preview/",
                wrap(self.wizard_preview_view),
                name="vouchers_voucherdefinition_preview",
            ),
            path(
                "<path:object_id>/status/<str:status>/",
                wrap(require_POST(self.status_view)),
                name="vouchers_voucherdefinition_status",
            ),
            *self.bulk_urls(),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect(reverse("admin:vouchers_voucherdefinition_wizard_new"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The definition's page: facts, vouchers by state, redemptions over time, and what to do next."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        definition = self.get_object(request, object_id)
        if definition is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        can_change = self.has_change_permission(request, definition)
        locked = definition_locked_fields(definition)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": definition,
            "definition": definition,
            "title": definition.name,
            "has_view_permission": True,
            "can_change": can_change,
            "can_issue": request.user.has_perm("vouchers.add_issuebatch")
            and definition.status == Definition.Status.PUBLISHED
            and definition.channel_manual,
            "steps": [
                {
                    "number": n,
                    "title": STEP_TITLES[n],
                    "url": step_url(definition, n),
                    "done": definition.wizard_step >= n,
                }
                for n in range(1, STEP_COUNT + 1)
            ],
            "locked": bool(locked),
            "by_state": definition_vouchers_by_state(definition),
            "by_month": definition_redemptions_by_month(definition),
            "card": definition_card_preview(definition),
            "vouchers_url": reverse("admin:vouchers_voucher_changelist")
            + f"?definition__id__exact={definition.pk}",
            "batches_url": reverse("admin:vouchers_issuebatch_changelist")
            + f"?definition__id__exact={definition.pk}",
            "status_actions": _status_actions(definition) if can_change else [],
        }
        return TemplateResponse(request, "admin/vouchers/voucherdefinition/overview.html", context)

    def status_view(self, request, object_id, status):
        if not self.has_change_permission(request):
            raise PermissionDenied
        definition = self.get_object(request, object_id)
        if definition is None:
            raise Http404
        if status == Definition.Status.PUBLISHED:
            return redirect(reverse("admin:vouchers_voucherdefinition_review", args=[definition.pk]))
        try:
            definition_set_status(definition=definition, status=status)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            label = Definition.Status(status).label
            self.log_change(request, definition, gettext("Status set to %(status)s.") % {"status": label})
            messages.success(
                request, gettext("“%(name)s” is now %(status)s.") % {"name": definition.name, "status": label}
            )
        return redirect(reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk]))


def _status_actions(definition: Definition) -> list[tuple[str, str]]:
    S = Definition.Status
    actions = {
        S.DRAFT: [(S.PUBLISHED, _("Review and publish")), (S.ARCHIVED, _("Archive"))],
        S.PUBLISHED: [(S.PAUSED, _("Pause issuing")), (S.ARCHIVED, _("Archive"))],
        S.PAUSED: [(S.PUBLISHED, _("Publish again")), (S.ARCHIVED, _("Archive"))],
        S.ARCHIVED: [],
    }[definition.status]
    if definition.status == S.DRAFT and definition.wizard_step < STEP_COUNT:
        actions = actions[1:]
    return [
        (str(label), reverse("admin:vouchers_voucherdefinition_status", args=[definition.pk, status]))
        for status, label in actions
    ]
