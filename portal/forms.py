"""Forms of the owner portal: they parse and label input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.exceptions import ReferralCodeUnknown
from loyalty.referral_codes import referral_code_clean
from members.exceptions import InvalidPhone
from members.models import Channel, Language, Member
from members.phones import phone_normalise
from vehicles.exceptions import InvalidPlate, InvalidVin
from vehicles.identifiers import plate_normalise, vin_parse

from .services import CODE_DIGITS, login_code_clean


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("For example 0912-345-678. We send a sign-in code by SMS."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}),
    )

    referral_code = forms.CharField(
        label=_("Referral code (optional)"),
        max_length=20,
        required=False,
        help_text=_("New members: the code of the friend who invited you, if you have one."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )

    def clean_phone(self) -> str:
        try:
            return phone_normalise(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def clean_referral_code(self) -> str:
        raw = self.cleaned_data["referral_code"]
        code = referral_code_clean(raw)
        if raw.strip() and not code:
            raise forms.ValidationError(ReferralCodeUnknown.default_message, code=ReferralCodeUnknown.code)
        return code


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Sign-in code"),
        max_length=40,
        help_text=_("The 6 digits in the SMS we sent."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = login_code_clean(self.cleaned_data["code"])
        if len(code) != CODE_DIGITS:
            raise forms.ValidationError(
                _("The code has %(digits)s digits."), code="code_length", params={"digits": CODE_DIGITS}
            )
        return code


class BindForm(forms.Form):
    vin = forms.CharField(
        label=_("VIN (vehicle identification number)"),
        max_length=64,
        help_text=_("17 characters, on the registration certificate and at the bottom of the windscreen."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}
        ),
    )
    plate = forms.CharField(
        label=_("Licence plate"),
        max_length=40,
        help_text=_("For example ABC-1234."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}
        ),
    )

    def clean_vin(self) -> str:
        try:
            return vin_parse(self.cleaned_data["vin"]).vin
        except InvalidVin as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc

    def clean_plate(self) -> str:
        try:
            return plate_normalise(self.cleaned_data["plate"])
        except InvalidPlate as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class RefundForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PreferencesForm(forms.Form):
    """Service reminders and marketing are separate consents (Taiwan's Personal Data Protection Act)."""

    consent_service = forms.BooleanField(
        label=_("Service reminders"),
        required=False,
        help_text=_("Expiring vouchers, unused value and when your car is due for service."),
    )
    consent_marketing = forms.BooleanField(
        label=_("Offers and news (marketing)"),
        required=False,
        help_text=_("Campaigns and offers from the dealer network. You can withdraw at any time."),
    )
    preferred_channel = forms.ChoiceField(label=_("Send messages by"), widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language of messages"), choices=Language.choices)

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        choices = [(Channel.SMS.value, Channel.SMS.label)]
        if member.email:
            choices.append((Channel.EMAIL.value, f"{Channel.EMAIL.label} ({member.email})"))
        if member.line_user_id:
            choices.append((Channel.LINE.value, Channel.LINE.label))
        if member.preferred_channel not in {value for value, _label in choices}:
            # Keep the current choice selectable, so saving other preferences never fails on it.
            choices.append((member.preferred_channel, Channel(member.preferred_channel).label))
        self.fields["preferred_channel"].choices = choices
        self.unavailable_channels = [
            label for value, label in Channel.choices if value not in {c for c, _label in choices}
        ]

    @classmethod
    def initial_for(cls, member: Member) -> dict:
        return {
            "consent_service": member.consent_service,
            "consent_marketing": member.consent_marketing,
            "preferred_channel": member.preferred_channel,
            "language": member.language,
        }


class ErasureConfirmForm(forms.Form):
    """Erasure cannot be undone: the owner ticks that they read what goes and what stays."""

    understood = forms.BooleanField(
        label=_(
            "I have read what will be removed and what must be kept, and I want my personal data erased."
        ),
        required=True,
        error_messages={"required": _("Please tick the box to confirm.")},
    )
