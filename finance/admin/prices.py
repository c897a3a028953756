from django import forms
from django.contrib import admin

from members.actors import Actor
from vouchers.services import definition_set_settlement_price

from ..models import SettlementPrice


class SettlementPriceForm(forms.ModelForm):
    class Meta:
        model = SettlementPrice
        fields = ["settlement_price_twd"]


@admin.register(SettlementPrice)
class SettlementPriceAdmin(admin.ModelAdmin):
    """Finance sets what the brand pays a dealer per use; the definition itself stays Operations'."""

    form = SettlementPriceForm
    list_display = ("name", "code", "kind", "category", "settlement_price_twd")
    list_filter = ("kind", "category")
    search_fields = ("name", "code")
    readonly_fields = ("name", "code", "kind", "category", "face_value_twd")
    fields = ("name", "code", "kind", "category", "face_value_twd", "settlement_price_twd")
    ordering = ("code",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        definition_set_settlement_price(
            definition=obj,
            price_twd=form.cleaned_data["settlement_price_twd"],
            actor=Actor.operations(request.user),
        )
