"""Back office: every booking request with its history, for reading. Requests change only through
the owner's portal and the dealer's counter (their services)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin.tools import FastListMixin, ReadOnlyAdminMixin

from .models import BookingEvent, BookingRequest


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BookingEvent
    fields = ["at", "action", "status_after", "day", "slot", "note", "who"]
    readonly_fields = fields
    extra = 0
    max_num = 0

    @admin.display(description=_("by"))
    def who(self, event: BookingEvent) -> str:
        return event.actor_display


@admin.register(BookingRequest)
class BookingRequestAdmin(ReadOnlyAdminMixin, FastListMixin, admin.ModelAdmin):
    list_display = [
        "requested_on",
        "requested_slot",
        "vehicle",
        "dealer",
        "service",
        "status",
        "offered_on",
        "created_at",
    ]
    list_select_related = ["vehicle__model", "dealer"]
    list_filter = ["status", "service", "dealer"]
    search_fields = ["vehicle__plate", "vehicle__plate_key", "vehicle__vin", "member__phone"]
    date_hierarchy = "requested_on"
    fields = [
        "member",
        "vehicle",
        "dealer",
        "service",
        "requested_on",
        "requested_slot",
        "note",
        "status",
        "offered_on",
        "offered_slot",
        "dealer_note",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [EventInline]
