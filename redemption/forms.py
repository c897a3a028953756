"""Forms of the counter terminal: they parse what an advisor typed; services decide what it means."""

import re
import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from members.forms import ThrottledLoginMixin
from vehicles.exceptions import MileageBelowLast, OdometerReplacementReasonMissing
from vehicles.mileage import REPLACEMENT_REASON_MAX_LENGTH, OdometerReplacement

from .access import counter_staff_of
from .exceptions import InvalidMileage
from .services import MAX_MILEAGE_KM

_MILEAGE_NOISE = re.compile(r"[\s,_'’]|km$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MileageField(forms.Field):
    """Kilometres as typed at a counter: 12345, 12,345, 12 345, full-width digits, "12345 km"."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mileage (km)"))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or len(value) > 20:
            raise ValidationError(InvalidMileage.default_message, code="invalid_mileage")
        text = _MILEAGE_NOISE.sub("", unicodedata.normalize("NFKC", value).strip())
        if not text.isascii() or not text.isdigit():
            raise ValidationError(InvalidMileage.default_message, code="invalid_mileage")
        km = int(text)
        if km > MAX_MILEAGE_KM:
            raise ValidationError(InvalidMileage.default_message, code="invalid_mileage")
        return km


class WorkOrderField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Work order (optional)"))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        text = unicodedata.normalize("NFKC", text or "").strip()
        if _CONTROL.search(text):
            raise ValidationError(_("The work order contains characters that cannot be stored."))
        return text


class OdometerReplacementFields(forms.Form):
    """A reading below the car's last one is taken only as a new odometer, with its reason; whether
    that is enough is the vehicles service's decision (`vehicles.mileage`), not the form's."""

    odometer_replaced = forms.BooleanField(label=_("The odometer was replaced or reset"), required=False)
    odometer_replacement_reason = forms.CharField(
        label=_("Reason for the replacement"),
        max_length=REPLACEMENT_REASON_MAX_LENGTH,
        required=False,
        strip=True,
    )

    def odometer_replacement(self) -> OdometerReplacement | None:
        if not self.cleaned_data.get("odometer_replaced"):
            return None
        return OdometerReplacement(reason=self.cleaned_data.get("odometer_replacement_reason", ""))

    def show_refusal(self, error: MileageBelowLast | OdometerReplacementReasonMissing) -> None:
        """Put the service's refusal of the reading next to the field it is about."""
        field = (
            "odometer_replacement_reason"
            if isinstance(error, OdometerReplacementReasonMissing)
            else "mileage"
        )
        self.add_error(field, error.message)


# The refusals of a reading that the counter shows on the form rather than as a message.
MILEAGE_REFUSALS = (MileageBelowLast, OdometerReplacementReasonMissing)


class UseVoucherForm(OdometerReplacementFields):
    """Redeem now (one step) or start a service (hold); mileage is required either way."""

    REDEEM = "redeem"
    START = "start"

    field_order = ["mileage", "work_order", "odometer_replaced", "odometer_replacement_reason"]

    mileage = MileageField()
    work_order = WorkOrderField()
    action = forms.ChoiceField(
        choices=[(REDEEM, _("Redeem now")), (START, _("Start service"))], required=False
    )

    def clean_action(self):
        return self.cleaned_data.get("action") or self.REDEEM


class CompleteForm(OdometerReplacementFields):
    """Complete a held service; the mileage recorded at the start is kept unless a new one is typed."""

    field_order = ["mileage", "work_order", "odometer_replaced", "odometer_replacement_reason"]

    mileage = MileageField(required=False)
    work_order = WorkOrderField()

    def __init__(self, *args, mileage_known: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mileage"].required = not mileage_known


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the reversal"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please give a reason.")},
    )


class SearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, strip=True)


class TodayFilterForm(forms.Form):
    advisor = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].queryset = get_user_model().objects.filter(dealer_staff__dealer=dealer)


class CounterAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """Django's log-in, throttled per client address and per (account, address) pair, and only for
    dealer staff."""

    throttle_scope = "counter"
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_counter_staff": _(
            "This account is not set up for the counter. Ask your dealer manager to link it to your dealer."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if counter_staff_of(user) is None:
            raise ValidationError(self.error_messages["not_counter_staff"], code="not_counter_staff")
