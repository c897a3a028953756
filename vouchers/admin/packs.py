from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Bundle, BundleItem


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
    list_display = ("code", "name", "price_twd", "is_active", "sold_online", "sold_at_counter")
    list_filter = ("is_active", "sold_online", "sold_at_counter")
    search_fields = ("code", "name")
    inlines = [BundleItemInline]
