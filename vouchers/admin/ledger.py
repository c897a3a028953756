from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from members.actors import actor_display
from members.admin.tools import DealerScopedMixin, FastListMixin, ReadOnlyAdminMixin

from ..models import LedgerEntry
from .search import voucher_search_condition


@admin.display(description=pgettext_lazy("actor", "who"), ordering="actor_label")
def who(entry) -> str:
    """The stored actor label in the reader's language."""
    return actor_display(entry.actor_label)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(DealerScopedMixin, FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only ledger: every change of every voucher, who made it, where and why."""

    list_display = (
        "created_at",
        "voucher",
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
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter), "dealer")
    list_select_related = ("voucher", "actor", "dealer")
    search_fields = ("voucher__code",)
    search_help_text = _("Voucher code, licence plate, VIN or the member's mobile number.")
    fields = (
        "voucher",
        "kind",
        "delta",
        "status_before",
        "status_after",
        "uses_left_after",
        "actor",
        "actor_label",
        "dealer",
        "reason",
        "idempotency_key",
        "data",
        "created_at",
    )
    readonly_fields = fields
    ordering = ("-pk",)

    def get_search_results(self, request, queryset, search_term):
        condition = voucher_search_condition(search_term, prefix="voucher__")
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False
