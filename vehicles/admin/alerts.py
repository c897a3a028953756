from django.contrib import admin

from ..models import VehicleAlert


@admin.register(VehicleAlert)
class VehicleAlertAdmin(admin.ModelAdmin):
    """Telematics alerts as the cars sent them; closed by a visit or at the counter, never here."""

    list_display = ("raised_at", "vehicle", "kind", "severity", "status", "closed_by", "closed_at", "sender")
    list_filter = ("status", "kind", "severity", "closed_by")
    list_select_related = ("vehicle", "vehicle__model")
    search_fields = ("vehicle__vin", "vehicle__plate_key", "sender_alert_id")
    date_hierarchy = "raised_at"
    readonly_fields = (
        "vehicle",
        "kind",
        "severity",
        "message",
        "raised_at",
        "received_at",
        "sender",
        "sender_alert_id",
        "status",
        "closed_at",
        "closed_by",
        "closed_by_user",
        "closed_at_dealer",
        "closed_by_visit",
        "close_reason",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
