from django.contrib import admin

from members.actors import Actor

from ..models import BreakageRate
from ..services import breakage_rate_set


@admin.register(BreakageRate)
class BreakageRateAdmin(admin.ModelAdmin):
    list_display = ("category", "effective_from", "rate_percent", "note", "set_by", "set_at")
    list_filter = ("category",)
    fields = ("category", "effective_from", "rate_bp", "note")

    @admin.display(description=BreakageRate._meta.get_field("rate_bp").verbose_name)
    def rate_percent(self, obj: BreakageRate) -> str:
        return f"{obj.rate_bp / 100:.2f} %"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        # A rate in force is corrected by adding one from a later date; history stays readable.
        return ("category", "effective_from") if obj else ()

    def save_model(self, request, obj, form, change):
        saved = breakage_rate_set(
            category=obj.category,
            effective_from=obj.effective_from,
            rate_bp=obj.rate_bp,
            note=obj.note,
            actor=Actor.operations(request.user),
        )
        obj.pk = saved.pk
