"""ECPay's e-invoice client against the local stand-in: encryption, issue, duplicates, errors."""

import json
from datetime import date

import pytest
from django.utils import timezone

from shop.exceptions import InvoiceNotConfigured, InvoiceRejected
from shop.invoicing.carriers import InvoiceDetails
from shop.invoicing.crypto import DataUnreadable, data_decrypt, data_encrypt
from shop.invoicing.ecpay import InvoiceClient, Sale, invoice_client
from shop.invoicing.fake import fake_invoice_answer
from shop.models import FakeInvoice

KEY, IV = "ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk"


def test_aes_matches_ecpays_published_example():
    # ECPay's e-invoice API documentation, the encryption example (appendix), with its test keys.
    encrypted = data_encrypt({"Name": "Test", "ID": "A123456789"}, hash_key=KEY, hash_iv=IV)
    assert (
        encrypted
        == "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
    )


def test_aes_round_trip_keeps_chinese_and_symbols():
    payload = {"ItemName": "洗車 套票 & 鍍膜+/?", "n": 3, "list": [{"a": "b"}]}
    assert data_decrypt(data_encrypt(payload, hash_key=KEY, hash_iv=IV), hash_key=KEY, hash_iv=IV) == payload


@pytest.mark.parametrize(
    "text", ["not base64!", "", "AAAA", data_encrypt({"a": 1}, hash_key="x" * 16, hash_iv=IV)]
)
def test_unreadable_data_is_refused(text):
    with pytest.raises(DataUnreadable):
        data_decrypt(text, hash_key=KEY, hash_iv=IV)


def _sale(number="SV2612060000000001", amount=2000):
    return Sale(
        relate_number=number,
        item_name="洗車五次套票",
        item_word="組",
        quantity=1,
        unit_price_twd=amount,
        amount_twd=amount,
        customer_name="王小明",
        customer_phone="0912345678",
    )


@pytest.fixture
def client_(einvoice):
    return invoice_client()


pytestmark = pytest.mark.django_db


def test_issue_returns_the_number_date_and_random_number(client_):
    issued = client_.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())
    assert len(issued.number) == 10 and issued.number[:2].isalpha() and issued.number[2:].isdigit()
    assert len(issued.random_number) == 4
    stored = FakeInvoice.objects.get(relate_number="SV2612060000000001")
    assert stored.number == issued.number
    assert stored.data["CarrierType"] == "1" and stored.data["CustomerPhone"] == "0912345678"


def test_the_request_on_the_wire_is_encrypted_json(einvoice):
    seen = []

    def spy(url, body):
        seen.append((url, json.loads(body)))
        return fake_invoice_answer(url, body)

    client = InvoiceClient(mode="stage", merchant_id="2000132", hash_key=KEY, hash_iv=IV, transport=spy)
    client.issue(sale=_sale(), details=InvoiceDetails(kind="mobile", carrier="/ABC1234"), now=timezone.now())
    url, body = seen[0]
    assert url == "https://einvoice-stage.ecpay.com.tw/B2CInvoice/Issue"
    assert body["MerchantID"] == "2000132" and isinstance(body["RqHeader"]["Timestamp"], int)
    data = data_decrypt(body["Data"], hash_key=KEY, hash_iv=IV)
    assert data["RelateNumber"] == "SV2612060000000001"
    assert (data["CarrierType"], data["CarrierNum"], data["Donation"], data["Print"]) == (
        "3",
        "/ABC1234",
        "0",
        "0",
    )
    assert data["SalesAmount"] == sum(item["ItemAmount"] for item in data["Items"]) == 2000


def test_donation_and_company_data(client_):
    donation = client_.issue_data(
        sale=_sale(), details=InvoiceDetails(kind="donation", donation_code="168001")
    )
    assert (donation["Donation"], donation["LoveCode"], donation["CarrierType"]) == ("1", "168001", "")
    company = client_.issue_data(
        sale=_sale(), details=InvoiceDetails(kind="company", tax_id="22099131", title="台積電")
    )
    assert (company["CustomerIdentifier"], company["CustomerName"], company["Donation"]) == (
        "22099131",
        "台積電",
        "0",
    )


def test_a_relate_number_seen_before_returns_the_first_invoice_not_a_second(client_):
    first = client_.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())
    again = client_.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())
    assert again == first
    assert FakeInvoice.objects.count() == 1


def test_the_stand_in_answers_a_duplicate_as_such(client_):
    client_.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())
    body = json.dumps(
        {
            "MerchantID": "2000132",
            "RqHeader": {"Timestamp": 1},
            "Data": data_encrypt(
                client_.issue_data(sale=_sale(), details=InvoiceDetails()), hash_key=KEY, hash_iv=IV
            ),
        }
    )
    answer = json.loads(fake_invoice_answer("fake:/B2CInvoice/Issue", body))
    assert answer["TransCode"] == 1
    data = data_decrypt(answer["Data"], hash_key=KEY, hash_iv=IV)
    assert data["RtnCode"] != 1 and "RelateNumber" in data["RtnMsg"]


def test_a_refusal_is_an_error_with_ecpays_message(client_):
    with pytest.raises(InvoiceRejected) as refused:
        client_.issue(sale=_sale(), details=InvoiceDetails(kind="mobile", carrier=""), now=timezone.now())
    assert "CarrierNum" in refused.value.message
    assert not FakeInvoice.objects.exists()


def test_wrong_keys_are_refused_by_the_stand_in(einvoice):
    client = InvoiceClient(
        mode="fake", merchant_id="2000132", hash_key="0" * 16, hash_iv=IV, transport=fake_invoice_answer
    )
    with pytest.raises(InvoiceRejected) as refused:
        client.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())
    assert "TransCode 999" in refused.value.message


def test_a_network_failure_is_an_error(einvoice):
    def down(url, body):
        raise OSError("connection refused")

    client = InvoiceClient(mode="stage", merchant_id="2000132", hash_key=KEY, hash_iv=IV, transport=down)
    with pytest.raises(InvoiceRejected, match="connection refused"):
        client.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())


def test_an_answer_for_another_merchant_is_refused(einvoice):
    def other(url, body):
        answer = json.loads(fake_invoice_answer(url, body))
        return json.dumps({**answer, "MerchantID": "9999999"})

    client = InvoiceClient(mode="stage", merchant_id="2000132", hash_key=KEY, hash_iv=IV, transport=other)
    with pytest.raises(InvoiceRejected, match="another merchant"):
        client.issue(sale=_sale(), details=InvoiceDetails(), now=timezone.now())


def test_unconfigured_client_is_refused(einvoice):
    with pytest.raises(InvoiceNotConfigured):
        InvoiceClient(mode="paper", merchant_id="1", hash_key=KEY, hash_iv=IV)
    client = InvoiceClient(mode="production", merchant_id="", hash_key="", hash_iv="")
    with pytest.raises(InvoiceNotConfigured):
        client.issued(relate_number="x", now=timezone.now())


def test_void_then_no_allowance_and_allowance_then_no_void(client_):
    now = timezone.now()
    voided = client_.issue(sale=_sale("A1"), details=InvoiceDetails(), now=now)
    day = timezone.localtime(voided.issued_at).date()
    client_.void(number=voided.number, issued_on=day, reason="refund", now=now)
    with pytest.raises(InvoiceRejected):
        client_.void(number=voided.number, issued_on=day, reason="refund", now=now)
    with pytest.raises(InvoiceRejected):
        client_.allowance(number=voided.number, issued_on=day, amount_twd=1, item_name="x", now=now)

    allowed = client_.issue(sale=_sale("A2"), details=InvoiceDetails(), now=now)
    allowance = client_.allowance(
        number=allowed.number, issued_on=day, amount_twd=500, item_name="x", now=now
    )
    assert allowance.number and allowance.remaining_twd == 1500
    with pytest.raises(InvoiceRejected):
        client_.allowance(number=allowed.number, issued_on=day, amount_twd=1501, item_name="x", now=now)
    with pytest.raises(InvoiceRejected):
        client_.void(number=allowed.number, issued_on=day, reason="refund", now=now)
    with pytest.raises(InvoiceRejected):  # wrong date: ECPay asks for number and date
        client_.void(number=allowed.number, issued_on=date(2000, 1, 1), reason="refund", now=now)
