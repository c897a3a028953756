"""Campaign admin: edit drafts, dry run before anything is sent, schedule/pause/cancel, results."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

from ..models import Campaign
from ..selectors import campaign_dry_run, campaign_results
from ..services import campaign_cancel, campaign_pause, campaign_problems, campaign_schedule


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "segment",
        "definition",
        "scheduled_at",
        "audience_size",
        "spent_twd",
        "links",
    ]
    list_filter = ["status"]
    search_fields = ["name"]
    list_select_related = ["segment", "definition"]
    raw_id_fields = ["definition"]
    readonly_fields = [
        "status",
        "audience_size",
        "spent_twd",
        "started_at",
        "finished_at",
        "created_by",
        "links",
    ]
    fieldsets = [
        (None, {"fields": ["name", "description", "segment", "status", "links"]}),
        (
            _("Message"),
            {
                "fields": [
                    "send_message",
                    "channel",
                    "subject_zh_hant",
                    "message_zh_hant",
                    "subject_en",
                    "message_en",
                ]
            },
        ),
        (_("Vouchers"), {"fields": ["definition", "budget_twd", "max_recipients", "spent_twd"]}),
        (
            _("Schedule"),
            {"fields": ["scheduled_at", "audience_size", "started_at", "finished_at", "created_by"]},
        ),
    ]
    actions = ["schedule", "pause", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status not in (Campaign.Status.DRAFT, Campaign.Status.PAUSED):
            # Once it runs, what it does is fixed; only the description stays editable.
            fields += [f.name for f in Campaign._meta.fields if f.name not in ("id", "description")]
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("dry run and results"))
    def links(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:campaigns_campaign_dry_run", args=[obj.pk]),
            _("Dry run"),
            reverse("admin:campaigns_campaign_results", args=[obj.pk]),
            _("Results"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/dry-run/", view(self.dry_run_view), name="campaigns_campaign_dry_run"),
            path("<int:pk>/results/", view(self.results_view), name="campaigns_campaign_results"),
            *super().get_urls(),
        ]

    def _context(self, request, campaign, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "campaign": campaign,
            "title": title,
            "has_view_permission": True,
        }

    def dry_run_view(self, request, pk: int):
        campaign = get_object_or_404(Campaign.objects.select_related("segment", "definition"), pk=pk)
        if not self.has_view_permission(request, campaign):
            return redirect("admin:index")
        if request.method == "POST" and self.has_change_permission(request, campaign):
            try:
                campaign_schedule(campaign=campaign)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, _("Scheduled: it starts within five minutes of its time."), messages.SUCCESS
                )
                return redirect("admin:campaigns_campaign_change", pk)
        context = self._context(request, campaign, _("Dry run: %(name)s") % {"name": campaign.name})
        context["dry_run"] = campaign_dry_run(campaign)
        context["problems"] = campaign_problems(campaign)
        context["can_schedule"] = campaign.status in (Campaign.Status.DRAFT, Campaign.Status.PAUSED)
        return TemplateResponse(request, "campaigns/admin/dry_run.html", context)

    def results_view(self, request, pk: int):
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_view_permission(request, campaign):
            return redirect("admin:index")
        context = self._context(request, campaign, _("Results: %(name)s") % {"name": campaign.name})
        context["results"] = campaign_results(campaign)
        return TemplateResponse(request, "campaigns/admin/results.html", context)

    def _each(self, request, queryset, service, done_message):
        done = 0
        for campaign in queryset.order_by("pk"):
            try:
                service(campaign=campaign)
                done += 1
            except DomainError as exc:
                self.message_user(
                    request,
                    _("%(campaign)s: %(message)s") % {"campaign": campaign, "message": exc.message},
                    messages.ERROR,
                )
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Schedule the selected campaigns"))
    def schedule(self, request, queryset):
        self._each(request, queryset, campaign_schedule, _("%(n)s campaign(s) scheduled."))

    @admin.action(description=_("Pause the selected campaigns"))
    def pause(self, request, queryset):
        self._each(request, queryset, campaign_pause, _("%(n)s campaign(s) paused."))

    @admin.action(description=_("Cancel the selected campaigns"))
    def cancel(self, request, queryset):
        self._each(request, queryset, campaign_cancel, _("%(n)s campaign(s) cancelled."))
