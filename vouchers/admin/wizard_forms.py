"""One form per wizard step; each validates its own fields and says clearly what is wrong."""

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from ..models import HAS_OWNED_NEEDS_MEMBER, VoucherDefinition
from ..services.definition_edit import STEP_FIELDS
from ..validity import POLICY_FIELDS, VALIDITY_FIELDS

Definition = VoucherDefinition
Policy = Definition.ValidityPolicy

STEP_TITLES = {
    1: _("Basic information"),
    2: _("Issue rules"),
    3: _("Activation rules"),
    4: _("Customer-side style"),
}
# Longer spans overflow date arithmetic (Python dates end in the year 9999) wherever a voucher's end
# or its "expiring soon" window is computed, starting with this wizard's own card preview.
MAX_VALIDITY_DAYS = 36_500
MAX_WARN_DAYS = 3_650
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StepForm(forms.ModelForm):
    step: int = 0

    def __init__(self, *args, locked: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked
        for name in locked & set(self.fields):
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Read-only: vouchers have been issued from this definition.")

    def step_values(self) -> dict:
        """The cleaned values of this step's fields, ready for definition_save_step."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name not in self.locked}

    def warnings(self) -> list[str]:
        return []


class BasicInformationForm(StepForm):
    step = 1

    class Meta:
        model = Definition
        fields = STEP_FIELDS[1]
        widgets = {
            "valid_from_date": DATE,
            "valid_until_date": DATE,
            "allowed_models": forms.CheckboxSelectMultiple,
            "allowed_dealers": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, limit in (("validity_days", MAX_VALIDITY_DAYS), ("warn_days", MAX_WARN_DAYS)):
            self.fields[name].validators.append(MaxValueValidator(limit))
            self.fields[name].widget.attrs["max"] = limit
        # For static/admin/backoffice/validity_fields.js, which shows only the chosen policy's
        # fields; without it every field shows and clean() still keeps only the chosen policy's.
        self.fields["validity_policy"].widget.attrs["data-validity-policy"] = ""
        for name in VALIDITY_FIELDS:
            policies = [policy for policy, names in POLICY_FIELDS.items() if name in names]
            self.fields[name].widget.attrs["data-validity-policies"] = " ".join(policies)
        if self.is_bound:
            for name in self._unused_validity_fields(self._posted_policy()):
                self.fields[name].required = False

    def _posted_policy(self) -> str | None:
        field = self.fields["validity_policy"]
        if field.disabled:
            return self.instance.validity_policy
        return self.data.get(self.add_prefix("validity_policy"))

    def _unused_validity_fields(self, policy: str | None) -> list[str]:
        if policy not in POLICY_FIELDS:
            return []  # no valid policy chosen: its own error says so; nothing is dropped
        return [name for name in VALIDITY_FIELDS if name not in POLICY_FIELDS[policy]]

    def _clear_unused_validity_fields(self, data: dict) -> None:
        """A field of another policy (hidden on the page, or stale from an earlier choice) is
        neither validated nor kept: it goes back to its default."""
        for name in self._unused_validity_fields(data.get("validity_policy")):
            self._errors.pop(name, None)
            if name not in self.locked:
                data[name] = Definition._meta.get_field(name).get_default()

    def clean(self):
        data = super().clean()
        self._clear_unused_validity_fields(data)
        policy = data.get("validity_policy")
        if policy == Policy.FIXED:
            if not data.get("valid_until_date"):
                self.add_error("valid_until_date", _("Fixed-date validity needs an end date."))
            elif data.get("valid_from_date") and data["valid_until_date"] < data["valid_from_date"]:
                self.add_error("valid_until_date", _("The end date is before the start date."))
        if policy in (Policy.DAYS_FROM_ISSUE, Policy.DAYS_FROM_ACTIVATION) and not data.get("validity_days"):
            self.add_error("validity_days", _("Give the number of days the voucher stays valid."))
        if policy == Policy.DELIVERY_WINDOW and data.get("holder_type") in (
            Definition.HolderType.MEMBER,
            Definition.HolderType.ORDER,
        ):
            self.add_error(
                "holder_type", _("A window after delivery needs a vehicle: choose a vehicle holder type.")
            )
        if data.get("holder_has_owned") and data.get("holder_type") != Definition.HolderType.MEMBER:
            self.add_error("holder_has_owned", HAS_OWNED_NEEDS_MEMBER)
        if data.get("kind") == Definition.Kind.PAID and not data.get("face_value_twd"):
            self.add_error("face_value_twd", _("A paid voucher needs its face value."))
        if (data.get("series_count") or 1) > 1 and policy != Policy.DELIVERY_WINDOW:
            self.add_error(
                "series_count", _("A series of vouchers needs the “window after delivery” validity.")
            )
        return data

    def warnings(self) -> list[str]:
        data = getattr(self, "cleaned_data", None) or {}
        if (
            settings.VOUCHERS_TAIWAN_PAID_NO_EXPIRY
            and data.get("kind") == Definition.Kind.PAID
            and data.get("validity_policy") not in (None, Policy.NO_EXPIRY)
        ):
            return [
                str(
                    _(
                        "Paid vouchers may not expire under Taiwan's rules for prepaid vouchers (禮券): "
                        "publishing will be refused until the validity is “No expiry”."
                    )
                )
            ]
        return []


class IssueRulesForm(StepForm):
    step = 2

    class Meta:
        model = Definition
        fields = STEP_FIELDS[2]
        widgets = {
            "claim_models": forms.CheckboxSelectMultiple,
            "claim_starts_at": DATETIME,
            "claim_ends_at": DATETIME,
        }

    def clean(self):
        data = super().clean()
        channels = [data.get(f"channel_{c}") for c in ("manual", "claim", "event", "api", "bundle")]
        if not any(channels):
            self.add_error(None, _("Choose at least one issue channel."))
        if data.get("channel_event") and not data.get("trigger_event"):
            self.add_error("trigger_event", _("Event issuance needs the event that triggers it."))
        starts, ends = data.get("claim_starts_at"), data.get("claim_ends_at")
        if starts and ends and ends <= starts:
            self.add_error("claim_ends_at", _("The claim window closes before it opens."))
        stock = data.get("stock_total")
        if stock is not None and self.instance.pk and stock < self.instance.stock_issued:
            self.add_error(
                "stock_total",
                _("%(issued)s have already been issued; the stock cannot be lower.")
                % {"issued": self.instance.stock_issued},
            )
        if data.get("per_holder_limit") == 0:
            self.add_error("per_holder_limit", _("Leave empty for no limit, or give at least 1."))
        return data

    def warnings(self) -> list[str]:
        data = getattr(self, "cleaned_data", None) or {}
        instance = self.instance
        if (
            settings.VOUCHERS_TAIWAN_PAID_NO_EXPIRY
            and data.get("channel_bundle")
            and instance.validity_policy != Policy.NO_EXPIRY
        ):
            return [
                str(
                    _(
                        "Vouchers sold in a pack may not expire under Taiwan's rules for prepaid vouchers "
                        "(禮券): publishing will be refused until the validity is “No expiry”."
                    )
                )
            ]
        return []


class ActivationRulesForm(StepForm):
    step = 3

    class Meta:
        model = Definition
        fields = STEP_FIELDS[3]
        widgets = {"activation_mode": forms.RadioSelect}

    def clean(self):
        data = super().clean()
        if (
            data.get("activation_requires_verified_identity")
            and data.get("activation_mode") != Definition.ActivationMode.HOLDER
        ):
            self.add_error(
                "activation_requires_verified_identity",
                _("A verified identity can only be required when the holder activates the voucher."),
            )
        return data


class CustomerStyleForm(StepForm):
    step = 4

    class Meta:
        model = Definition
        fields = STEP_FIELDS[4]
        widgets = {
            "card_colour": forms.TextInput(attrs={"type": "color"}),
            "notice": forms.Textarea(attrs={"rows": 3}),
            "usage_rules": forms.Textarea(attrs={"rows": 3}),
        }


STEP_FORMS: dict[int, type[StepForm]] = {
    1: BasicInformationForm,
    2: IssueRulesForm,
    3: ActivationRulesForm,
    4: CustomerStyleForm,
}
