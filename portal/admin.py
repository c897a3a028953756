from django.contrib import admin

from .models import LoginCode


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
