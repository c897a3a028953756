"""The e-invoice fields of a buying form (portal checkout, counter sale): the rule is `carriers.py`'s."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import InvoiceDetailsInvalid
from .carriers import TITLE_MAX, CarrierKind, invoice_details_assess

INVOICE_FIELDS = (
    "invoice_kind",
    "invoice_carrier",
    "invoice_donation_code",
    "invoice_tax_id",
    "invoice_title",
)


class InvoiceFieldsForm(forms.Form):
    """Adds the invoice fields; `cleaned_data["invoice"]` is the assessed `InvoiceDetails`."""

    invoice_kind = forms.ChoiceField(
        label=_("E-invoice"),
        choices=CarrierKind.choices,
        initial=CarrierKind.CLOUD,
        required=False,  # not said: the issuer keeps it for the buyer's phone number
        widget=forms.RadioSelect,
    )
    invoice_carrier = forms.CharField(
        label=_("Carrier number"),
        max_length=16,
        required=False,
        help_text=_(
            "Mobile barcode (/ and 7 characters) or citizen digital certificate (2 letters, 14 digits)."
        ),
    )
    invoice_donation_code = forms.CharField(label=_("Donation code"), max_length=7, required=False)
    invoice_tax_id = forms.CharField(label=_("Tax ID (統一編號)"), max_length=8, required=False)
    invoice_title = forms.CharField(label=_("Company title"), max_length=TITLE_MAX, required=False)

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["invoice"] = invoice_details_assess(
                kind=cleaned.get("invoice_kind") or CarrierKind.CLOUD,
                carrier=cleaned.get("invoice_carrier") or "",
                donation_code=cleaned.get("invoice_donation_code") or "",
                tax_id=cleaned.get("invoice_tax_id") or "",
                title=cleaned.get("invoice_title") or "",
            )
        except InvoiceDetailsInvalid as exc:
            self.add_error(f"invoice_{exc.field}", exc.message)
        return cleaned

    def invoice_fields(self):
        return [self[name] for name in INVOICE_FIELDS]

    def other_fields(self):
        return [field for field in self if field.name not in INVOICE_FIELDS]
