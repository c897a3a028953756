"""Admin for partner API keys (revocation) and webhooks (endpoints, delivery log).

Everything is read-only: keys are created with `manage.py create_api_key`, and every change is an
action that calls a service.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.stored_text import stored_text

from ..api_keys import api_key_revoke
from ..partner_models import ApiKey, WebhookDelivery, WebhookEndpoint
from ..webhooks.endpoints import webhook_endpoint_disable, webhook_endpoint_set_reach
from ..webhooks.sending import webhook_delivery_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.get_fields() if f.concrete]

    def save_model(self, request, obj, form, change):
        """Nothing here is edited by a form; actions call the services."""


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    exclude = ["secret_hash"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "secret_hash"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.action(description=_("Revoke the selected API keys"), permissions=["change"])
    def revoke(self, request, queryset):
        keys = [k for k in queryset if k.revoked_at is None]
        for api_key in keys:
            api_key_revoke(
                api_key=api_key,
                reason=stored_text(
                    _("Revoked in the back office by %(user)s."), user=request.user.get_username()
                ),
            )
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", len(keys))
            % {"count": len(keys)},
            messages.SUCCESS,
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "api_key", "event_list", "all_vouchers", "is_active", "created_at"]
    list_filter = ["is_active", "all_vouchers"]
    search_fields = ["url", "api_key__name"]
    exclude = ["secret"]
    actions = ["reach_all", "reach_own", "disable"]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "secret"]

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events) or _("every event")

    @admin.action(description=_("Send events about every voucher"), permissions=["change"])
    def reach_all(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_set_reach(endpoint=endpoint, all_vouchers=True)

    @admin.action(description=_("Send events only about the partner's own vouchers"), permissions=["change"])
    def reach_own(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_set_reach(endpoint=endpoint, all_vouchers=False)

    @admin.action(description=_("Disable the selected endpoints"), permissions=["change"])
    def disable(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_disable(endpoint=endpoint)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["event_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    actions = ["retry"]

    @admin.action(description=_("Retry the selected deliveries now"), permissions=["change"])
    def retry(self, request, queryset):
        count = sum(webhook_delivery_retry(delivery_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d delivery queued.", "%(count)d deliveries queued.", count) % {"count": count},
            messages.SUCCESS,
        )
