"""Satisfaction surveys: the answers, read-only, with NPS per dealer and per advisor above the list."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import NpsSurvey
from ..selectors_nps import nps_by_advisor, nps_by_dealer


@admin.register(NpsSurvey)
class NpsSurveyAdmin(admin.ModelAdmin):
    change_list_template = "admin/campaigns/npssurvey/change_list.html"
    list_display = ("created_at", "dealer", "advisor", "member", "vehicle", "score", "answered_at", "source")
    list_filter = ("dealer", ("answered_at", admin.EmptyFieldListFilter), "score")
    search_fields = ("member__name", "member__phone", "vehicle__plate", "comment")
    list_select_related = ("dealer", "advisor", "member", "vehicle")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in NpsSurvey._meta.fields if f.name != "token_hash"]
    exclude = ("token_hash",)

    @admin.display(description=_("after"))
    def source(self, obj: NpsSurvey) -> str:
        return str(_("redemption")) if obj.redemption_id else str(_("workshop visit"))

    def has_add_permission(self, request) -> bool:
        return False  # surveys come from redemptions and visits only

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the owner's answer is theirs

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "nps_by_dealer": nps_by_dealer(),
            "nps_by_advisor": nps_by_advisor(),
        }
        return super().changelist_view(request, extra_context=extra_context)
