"""Operations' rules that attach a voucher to a car's telematics alert, and what they issued."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vouchers.models import VoucherDefinition

from ..models import AlertVoucherGrant, AlertVoucherRule
from .notifications import ReadOnlyAdmin


class AlertVoucherRuleForm(forms.ModelForm):
    class Meta:
        model = AlertVoucherRule
        fields = ["kind", "min_severity", "definition", "active"]

    def clean_definition(self):
        definition = self.cleaned_data["definition"]
        if definition.status != VoucherDefinition.Status.PUBLISHED or not definition.channel_manual:
            raise forms.ValidationError(
                _("Choose a published definition that the back office may issue."), code="not_issuable"
            )
        return definition


@admin.register(AlertVoucherRule)
class AlertVoucherRuleAdmin(admin.ModelAdmin):
    form = AlertVoucherRuleForm
    list_display = ["kind", "min_severity", "definition", "active", "created_at"]
    list_filter = ["active", "kind"]
    list_select_related = ["definition"]
    autocomplete_fields = ["definition"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: the grants keep pointing at the rule


@admin.register(AlertVoucherGrant)
class AlertVoucherGrantAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "alert", "rule", "status", "vouchers_issued", "reason"]
    list_filter = ["status"]
    list_select_related = ["alert", "rule", "rule__definition"]
