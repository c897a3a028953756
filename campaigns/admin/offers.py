"""Offers in messages: the offer each kind of reminder carries, and follow-up rules with a dry run.

The dry run calls `followup_plan`, the function the nightly job carries out, so what it shows is
what the job does next (unless owners, consents or stock change meanwhile).
"""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..messages import MessageTemplateError, template_check
from ..models import FollowUp, FollowUpRule, OfferStatus, ReminderOffer, ReminderOfferGrant
from ..selectors_followups import OUTCOME_LABELS, Outcome, followup_plan
from ..services.followups import followup_sample_text

SAMPLE_SIZE = 20


def _status_counts(queryset) -> str:
    counts = dict(queryset.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    if not counts:
        return "—"
    return " · ".join(f"{OfferStatus(status).label} {n}" for status, n in sorted(counts.items()))


@admin.register(ReminderOffer)
class ReminderOfferAdmin(admin.ModelAdmin):
    list_display = ["name", "reminder", "vehicle_model", "mode", "definition", "is_active", "results"]
    list_filter = ["reminder", "mode", "is_active"]
    search_fields = ["name", "definition__name"]
    list_select_related = ["vehicle_model", "definition"]
    raw_id_fields = ["definition"]
    readonly_fields = ["results", "created_at"]

    @admin.display(description=_("offers made"))
    def results(self, obj: ReminderOffer) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return _status_counts(ReminderOfferGrant.objects.filter(rule=obj))


class FollowUpRuleForm(forms.ModelForm):
    class Meta:
        model = FollowUpRule
        fields = [
            "name",
            "is_active",
            "trigger_category",
            "trigger_definition",
            "trigger_visit_kind",
            "after_months",
            "after_days",
            "after_km",
            "window_days",
            "mode",
            "definition",
            "promotional",
            "message_zh_hant",
            "message_en",
        ]

    def clean(self):
        cleaned = super().clean()
        if not (
            cleaned.get("trigger_category")
            or cleaned.get("trigger_definition")
            or cleaned.get("trigger_visit_kind")
        ):
            raise forms.ValidationError(_("Choose what past service the rule follows."))
        if not (cleaned.get("after_months") or cleaned.get("after_days") or cleaned.get("after_km")):
            raise forms.ValidationError(_("Give a time or a distance after the service."))
        for name in ("message_zh_hant", "message_en"):
            try:
                template_check(cleaned.get(name) or "")
            except MessageTemplateError as exc:
                self.add_error(name, str(exc))
        return cleaned


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    form = FollowUpRuleForm
    list_display = ["name", "trigger", "delay", "mode", "definition", "is_active", "links"]
    list_filter = ["is_active", "mode"]
    search_fields = ["name"]
    list_select_related = ["definition", "trigger_definition"]
    raw_id_fields = ["definition", "trigger_definition"]
    readonly_fields = ["links", "results", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "is_active", "links", "results"]}),
        (
            _("After which service"),
            {"fields": ["trigger_category", "trigger_definition", "trigger_visit_kind"]},
        ),
        (_("When"), {"fields": ["after_months", "after_days", "after_km", "window_days"]}),
        (_("Offer"), {"fields": ["mode", "definition", "promotional"]}),
        (
            _("Message"),
            {
                "fields": ["message_zh_hant", "message_en"],
                "description": _(
                    "Variables: {{ name }}, {{ plate }}, {{ model }}, {{ serviced_on }}, {{ months_since }}, "
                    "{{ km_since }}, {{ offer_title }}, {{ offer_url }} (added at the end when the text "
                    "does not name it)."
                ),
            },
        ),
    ]
    actions = ["dry_run"]

    @admin.display(description=_("after"))
    def trigger(self, obj: FollowUpRule) -> str:
        parts = []
        if obj.trigger_category:
            parts.append(str(obj.get_trigger_category_display()))
        if obj.trigger_definition_id:
            parts.append(obj.trigger_definition.title)
        if obj.trigger_visit_kind:
            parts.append(str(obj.get_trigger_visit_kind_display()))
        return " / ".join(parts)

    @admin.display(description=_("when"))
    def delay(self, obj: FollowUpRule) -> str:
        parts = []
        if obj.after_months:
            parts.append(str(_("%(n)s months") % {"n": obj.after_months}))
        if obj.after_days:
            parts.append(str(_("%(n)s days") % {"n": obj.after_days}))
        if obj.after_km:
            parts.append(f"{obj.after_km:,} km")
        return str(_(" or ")).join(parts)

    @admin.display(description=_("dry run"))
    def links(self, obj: FollowUpRule | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:campaigns_followuprule_dry_run", args=[obj.pk]),
            _("Dry run"),
        )

    @admin.display(description=_("follow-ups so far"))
    def results(self, obj: FollowUpRule | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        recent = (
            FollowUp.objects.filter(rule=obj).select_related("vehicle").order_by("-created_at", "-pk")[:10]
        )
        rows = format_html_join(
            "",
            "<li>{} · {} · {} {}</li>",
            ((f.serviced_on, f.vehicle.plate, f.get_status_display(), f.reason) for f in recent),
        )
        return format_html("{}<ul>{}</ul>", _status_counts(FollowUp.objects.filter(rule=obj)), rows)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/dry-run/", view(self.dry_run_view), name="campaigns_followuprule_dry_run"),
            *super().get_urls(),
        ]

    @admin.action(description=_("Dry run the selected rule"))
    def dry_run(self, request, queryset):
        rule = queryset.order_by("pk").first()
        return redirect("admin:campaigns_followuprule_dry_run", rule.pk)

    def dry_run_view(self, request, pk: int):
        rule = get_object_or_404(FollowUpRule.objects.select_related("definition"), pk=pk)
        if not self.has_view_permission(request, rule):
            return redirect("admin:index")
        now = timezone.now()
        plan = followup_plan(rule, now=now)
        rows = [
            {
                "candidate": c,
                "outcome": OUTCOME_LABELS[c.outcome],
                "reason": c.reason,
                "message": followup_sample_text(rule, c, now=now) if c.outcome == Outcome.SEND else "",
            }
            for c in plan.candidates[:SAMPLE_SIZE]
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule,
            "rule": rule,
            "title": _("Dry run: %(name)s") % {"name": rule.name},
            "has_view_permission": True,
            "plan": plan,
            "counts": [(OUTCOME_LABELS[o], plan.count(o)) for o in OUTCOME_LABELS],
            "rows": rows,
        }
        return TemplateResponse(request, "campaigns/admin/followup_dry_run.html", context)


@admin.register(ReminderOfferGrant)
class ReminderOfferGrantAdmin(admin.ModelAdmin):
    list_display = ["created_at", "occurrence", "rule", "member", "vehicle", "voucher", "status", "reason"]
    list_filter = ["status", "rule"]
    search_fields = ["occurrence", "member__phone", "vehicle__plate"]
    list_select_related = ["rule", "member", "vehicle", "voucher"]
    readonly_fields = [f.name for f in ReminderOfferGrant._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # made by the nightly reminders only

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "rule",
        "source_kind",
        "serviced_on",
        "vehicle",
        "member",
        "status",
        "reason",
    ]
    list_filter = ["status", "rule", "source_kind"]
    search_fields = ["vehicle__plate", "member__phone"]
    list_select_related = ["rule", "vehicle", "member"]
    readonly_fields = [f.name for f in FollowUp._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # made by the nightly follow-up job only

    def has_change_permission(self, request, obj=None) -> bool:
        return False
