from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin.tools import FastListMixin

from ..models import Bundle, BundleItem, Order


class BundleItemForm(forms.ModelForm):
    class Meta:
        model = BundleItem
        fields = ("definition", "quantity")

    def clean_definition(self):
        # Approving an order issues through the "sold in a pack" channel: refused there, every sale fails.
        definition = self.cleaned_data["definition"]
        if definition is not None and not definition.channel_bundle:
            raise forms.ValidationError(
                _("“%(name)s” is not sold in packs: allow “sold in a pack” in its issue rules first."),
                params={"name": definition.name},
            )
        return definition


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    form = BundleItemForm
    extra = 1
    raw_id_fields = ("definition",)


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "price_twd", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    inlines = [BundleItemInline]


@admin.register(Order)
class OrderAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("id", "bundle", "member", "vehicle", "amount_twd", "status", "created_at", "approved_at")
    list_filter = ("status", "bundle")
    list_select_related = ("bundle", "member", "vehicle", "vehicle__model")
    search_fields = ("external_ref", "member__phone")
    readonly_fields = (
        "member",
        "vehicle",
        "bundle",
        "amount_twd",
        "status",
        "external_ref",
        "created_at",
        "approved_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # orders come from the shop; approving one issues vouchers through order_approve

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
