"""The filter form of a report page (GET). Only the filters a report declares are offered; a dealer
manager is never offered a dealer choice (their dealer is forced by access.py)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Dealer
from vehicles.models import VehicleModel
from vouchers.models import Bundle, Order, VoucherDefinition

from .access import ReportScope
from .query import ReportQuery, add_months

MAX_RANGE_DAYS = 366 * 5
EARLIEST = date(2000, 1, 1)


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last twelve months, this one included (Asia/Taipei)."""
    today = today or timezone.localdate()
    return add_months(today.replace(day=1), -11), today


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    dealer = forms.ModelChoiceField(
        label=_("Dealer"), queryset=Dealer.objects.order_by("code"), required=False, empty_label=_("All")
    )
    category = forms.ChoiceField(
        label=_("Service category"),
        choices=[("", _("All")), *VoucherDefinition.Category.choices],
        required=False,
    )
    definition = forms.ModelChoiceField(
        label=_("Voucher"),
        queryset=VoucherDefinition.objects.order_by("code"),
        required=False,
        empty_label=_("All"),
    )
    bundle = forms.ModelChoiceField(
        label=_("Pack"), queryset=Bundle.objects.order_by("code"), required=False, empty_label=_("All")
    )
    model = forms.ModelChoiceField(
        label=_("Vehicle model"),
        queryset=VehicleModel.objects.order_by("pk"),
        required=False,
        empty_label=_("All"),
    )
    channel = forms.ChoiceField(
        label=_("Sales channel"), choices=[("", _("All")), *Order.Channel.choices], required=False
    )

    def __init__(self, data, *, filters: tuple[str, ...], scope: ReportScope, paid_only: bool = False):
        start, end = default_range()
        data = {"start": start.isoformat(), "end": end.isoformat(), **{k: v for k, v in data.items() if v}}
        super().__init__(data)
        keep = {"start", "end", *filters}
        if not scope.all_dealers:
            keep.discard("dealer")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if paid_only and "definition" in self.fields:
            self.fields["definition"].queryset = VoucherDefinition.objects.filter(
                kind=VoucherDefinition.Kind.PAID
            ).order_by("code")
        self.scope = scope

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start < EARLIEST or end < EARLIEST:
                raise forms.ValidationError(_("Dates before 2000 are not reported."))
            if end < start:
                raise forms.ValidationError(_("The end date is before the start date."))
            if end - start > timedelta(days=MAX_RANGE_DAYS):
                raise forms.ValidationError(_("Choose a range of at most five years."))
        return data

    def query(self) -> ReportQuery:
        data = self.cleaned_data
        dealer = data.get("dealer")
        return ReportQuery(
            start=data["start"],
            end=data["end"],
            dealer_id=self.scope.dealer_id if not self.scope.all_dealers else (dealer.pk if dealer else None),
            category=data.get("category") or "",
            definition_id=data["definition"].pk if data.get("definition") else None,
            bundle_id=data["bundle"].pk if data.get("bundle") else None,
            model_id=data["model"].pk if data.get("model") else None,
            channel=data.get("channel") or "",
        )
