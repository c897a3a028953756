"""Forms of booking requests: they parse what was typed; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Dealer

from .models import BookingRequest, Slot
from .rules import NOTE_MAX


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class _SlotFields(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DateInput())
    slot = forms.ChoiceField(label=_("Time"), choices=Slot.choices, widget=forms.RadioSelect)

    def set_window(self, first, last) -> None:
        """Tell the browser's date picker the window (the service checks it again)."""
        self.fields["day"].widget.attrs.update({"min": first.isoformat(), "max": last.isoformat()})


class BookingRequestForm(_SlotFields):
    """The owner's request. `vehicles`: the member's cars; dealers: the active ones."""

    vehicle = forms.ModelChoiceField(label=_("Car"), queryset=None, empty_label=None)
    dealer = forms.ModelChoiceField(
        label=_("Dealer"),
        queryset=Dealer.objects.filter(is_active=True).order_by("city", "name"),
        empty_label=None,
    )
    service = forms.ChoiceField(label=_("Service"), choices=BookingRequest.Service.choices)
    note = forms.CharField(
        label=_("Note for the dealer (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field_order = ["vehicle", "dealer", "service", "day", "slot", "note"]

    def __init__(self, *args, vehicles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = vehicles
        self.fields["vehicle"].label_from_instance = lambda v: f"{v.plate} · {v.model.name}"
        self.fields["dealer"].label_from_instance = lambda d: f"{d.name}（{d.city}）"


class ProposeForm(_SlotFields):
    note = forms.CharField(label=_("Note for the owner (optional)"), max_length=NOTE_MAX, required=False)


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Note for the owner (optional)"), max_length=NOTE_MAX, required=False)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason, for the owner"), max_length=NOTE_MAX)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), max_length=NOTE_MAX, required=False)
