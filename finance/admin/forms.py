from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Dealer


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("I have checked every line of this statement"))


class DraftMonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        help_text=_("The month to settle, e.g. 2026-11."),
    )
    dealer = forms.ModelChoiceField(
        label=_("Dealer"),
        queryset=Dealer.objects.order_by("code"),
        required=False,
        empty_label=_("Every dealer"),
    )
