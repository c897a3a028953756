"""What a buyer may enter for the e-invoice: one rule per carrier, each refusal with its field."""

import pytest

from shop.exceptions import InvoiceDetailsInvalid
from shop.invoicing.carriers import CarrierKind, InvoiceDetails, invoice_details_assess, tax_id_valid


@pytest.mark.parametrize("tax_id", ["22099131", "04595257", "12345675", "10458575", "10458574"])
def test_valid_tax_ids(tax_id):
    assert tax_id_valid(tax_id)


@pytest.mark.parametrize("tax_id", ["22099132", "1234567", "123456789", "2209913A", "", "12345672"])
def test_invalid_tax_ids(tax_id):
    assert not tax_id_valid(tax_id)


def test_the_seventh_digit_seven_counts_either_way():
    # 1 0 4 5 8 5 7 x times 1 2 1 2 1 2 4 1: 1+0+4+(1+0)+8+(1+0) = 15, then 7×4 = 28 → 10 → 1 or 0, then x.
    assert tax_id_valid("10458575")  # 15 + 0 + 5 = 20: valid reading 28 as 0
    assert tax_id_valid("10458574")  # 15 + 1 + 4 = 20: valid reading 28 as 1
    assert not tax_id_valid("10458573")  # 18 or 19
    assert not tax_id_valid("10458563")  # a 6 in 7th place: 6×4 = 24 → 6; 15 + 6 + 3 = 24


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        (CarrierKind.CLOUD, {}, InvoiceDetails()),
        (CarrierKind.MOBILE, {"carrier": "/abc+-.1"}, InvoiceDetails(kind="mobile", carrier="/ABC+-.1")),
        (
            CarrierKind.CERTIFICATE,
            {"carrier": " ab12345678901234 "},
            InvoiceDetails(kind="certificate", carrier="AB12345678901234"),
        ),
        (
            CarrierKind.DONATION,
            {"donation_code": "168001"},
            InvoiceDetails(kind="donation", donation_code="168001"),
        ),
        (
            CarrierKind.COMPANY,
            {"tax_id": "22099131", "title": " 台灣積體電路  製造股份有限公司 "},
            InvoiceDetails(kind="company", tax_id="22099131", title="台灣積體電路 製造股份有限公司"),
        ),
    ],
)
def test_accepted_details_are_cleaned(kind, fields, expected):
    assert invoice_details_assess(kind=kind, **fields) == expected


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        (CarrierKind.MOBILE, {"carrier": "ABC1234"}, "carrier"),  # no slash
        (CarrierKind.MOBILE, {"carrier": "/ABC123"}, "carrier"),  # 6 characters
        (CarrierKind.MOBILE, {"carrier": "/ABC1234X"}, "carrier"),  # 8 characters
        (CarrierKind.MOBILE, {"carrier": "/ABC_123"}, "carrier"),  # "_" is not allowed
        (CarrierKind.CERTIFICATE, {"carrier": "A123456789012345"}, "carrier"),
        (CarrierKind.CERTIFICATE, {"carrier": "AB1234567890123"}, "carrier"),
        (CarrierKind.DONATION, {"donation_code": "12"}, "donation_code"),
        (CarrierKind.DONATION, {"donation_code": "12345678"}, "donation_code"),
        (CarrierKind.DONATION, {"donation_code": "12a4"}, "donation_code"),
        (CarrierKind.COMPANY, {"tax_id": "22099132", "title": "台積電"}, "tax_id"),
        (CarrierKind.COMPANY, {"tax_id": "22099131", "title": "  "}, "title"),
        (CarrierKind.COMPANY, {"tax_id": "22099131", "title": "x" * 61}, "title"),
        ("paper", {}, "kind"),
    ],
)
def test_refused_details_name_their_field(kind, fields, field):
    with pytest.raises(InvoiceDetailsInvalid) as refused:
        invoice_details_assess(kind=kind, **fields)
    assert refused.value.field == field
    assert refused.value.message
