"""Where a B2C e-invoice goes: the buyer's carrier, a donation, or a company's tax ID and title.

Every rule about what a buyer may enter lives here; the portal checkout, the counter sale and the
service that stores an order's invoice all call `invoice_details_assess`.
"""

import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..exceptions import InvoiceDetailsInvalid

# The Ministry of Finance's formats: a mobile barcode is "/" and 7 of 0-9 A-Z + - . ; a citizen digital
# certificate is 2 capital letters and 14 digits; a donation (love) code is 3 to 7 digits.
MOBILE_BARCODE = re.compile(r"/[0-9A-Z+\-.]{7}")
CITIZEN_CERTIFICATE = re.compile(r"[A-Z]{2}[0-9]{14}")
DONATION_CODE = re.compile(r"[0-9]{3,7}")
TAX_ID = re.compile(r"[0-9]{8}")
TAX_ID_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)
TITLE_MAX = 60


class CarrierKind(models.TextChoices):
    # ECPay's own carrier, tied to the buyer's phone: nothing to type, the invoice is found by ECPay.
    CLOUD = "cloud", _("E-invoice kept by the issuer (phone number)")
    MOBILE = "mobile", _("Mobile barcode carrier")
    CERTIFICATE = "certificate", _("Citizen digital certificate carrier")
    DONATION = "donation", _("Donate the invoice")
    COMPANY = "company", _("Company (tax ID)")


@dataclass(frozen=True)
class InvoiceDetails:
    kind: str = CarrierKind.CLOUD
    carrier: str = ""  # the mobile barcode or certificate number
    donation_code: str = ""
    tax_id: str = ""
    title: str = ""

    @property
    def kind_label(self) -> str:
        return str(CarrierKind(self.kind).label)

    @property
    def shown(self) -> str:
        """What identifies the destination: the carrier, the donation code or the tax ID and title."""
        return self.carrier or self.donation_code or " ".join(filter(None, (self.tax_id, self.title)))


def tax_id_valid(tax_id: str) -> bool:
    """統一編號 check digit: each digit times its weight (1,2,1,2,1,2,4,1), the digits of each product
    added up; the total must divide by 5 (the Ministry widened it from 10 in 2023, which still accepts
    every older number). When the 7th digit is 7 its product 28 counts as 10 → either 1 or 0, so the
    number is valid if either total divides by 5."""
    if not TAX_ID.fullmatch(tax_id or ""):
        return False
    total = sum(sum(divmod(int(d) * w, 10)) for d, w in zip(tax_id, TAX_ID_WEIGHTS, strict=True))
    if tax_id[6] == "7":
        return total % 5 == 0 or (total + 1) % 5 == 0
    return total % 5 == 0


def invoice_details_assess(
    *, kind: str, carrier: str = "", donation_code: str = "", tax_id: str = "", title: str = ""
) -> InvoiceDetails:
    """The details, cleaned, or InvoiceDetailsInvalid naming the field and what is wrong."""
    carrier, donation_code = carrier.strip().upper(), donation_code.strip()
    tax_id, title = tax_id.strip(), " ".join(title.split())
    if kind == CarrierKind.CLOUD:
        return InvoiceDetails(kind=kind)
    if kind == CarrierKind.MOBILE:
        if not MOBILE_BARCODE.fullmatch(carrier):
            raise InvoiceDetailsInvalid(
                field="carrier",
                message=_("A mobile barcode is “/” followed by 7 characters: 0-9, A-Z, +, - or .."),
            )
        return InvoiceDetails(kind=kind, carrier=carrier)
    if kind == CarrierKind.CERTIFICATE:
        if not CITIZEN_CERTIFICATE.fullmatch(carrier):
            raise InvoiceDetailsInvalid(
                field="carrier",
                message=_("A citizen digital certificate number is 2 capital letters and 14 digits."),
            )
        return InvoiceDetails(kind=kind, carrier=carrier)
    if kind == CarrierKind.DONATION:
        if not DONATION_CODE.fullmatch(donation_code):
            raise InvoiceDetailsInvalid(field="donation_code", message=_("A donation code is 3 to 7 digits."))
        return InvoiceDetails(kind=kind, donation_code=donation_code)
    if kind == CarrierKind.COMPANY:
        if not tax_id_valid(tax_id):
            raise InvoiceDetailsInvalid(
                field="tax_id",
                message=_("This is not a valid tax ID (統一編號): 8 digits with a check digit."),
            )
        if not title or len(title) > TITLE_MAX:
            raise InvoiceDetailsInvalid(
                field="title",
                message=_("Enter the company title (up to %(max)s characters)."),
                max=TITLE_MAX,
            )
        return InvoiceDetails(kind=kind, tax_id=tax_id, title=title)
    raise InvoiceDetailsInvalid(field="kind", message=_("Choose where the invoice goes."))
