"""The e-invoice on the pages: chosen at checkout (refusals on the form, translated), shown on the
order page and in the back office."""

import pytest
from django.urls import reverse
from django.utils import translation

from members.actors import Actor
from shop.invoicing.carriers import InvoiceDetails
from shop.invoicing.ecpay import invoice_client
from shop.models import Invoice
from shop.services import order_invoice_issue, order_payment_record
from tests.factories import pack
from tests.factories.staff import staff_user, use_english
from tests.portal.conftest import TOKEN, english_client, sign_in
from vouchers.models import Order

from .conftest import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(buyer):
    return sign_in(english_client(), buyer[0])


def _url(bundle):
    return reverse("portal:shop_product", args=["pack", bundle.code])


def test_checkout_offers_the_invoice_choices(owner_client, ecpay):
    page = owner_client.get(_url(pack())).content.decode()
    for text in ("Mobile barcode carrier", "Donate the invoice", "Company (tax ID)", 'name="invoice_tax_id"'):
        assert text in page


def test_the_review_shows_the_invoice_and_the_order_keeps_it(owner_client, buyer, ecpay, einvoice):
    _, vehicle = buyer
    url = _url(pack())
    chosen = {"invoice_kind": "mobile", "invoice_carrier": "/abc1234"}
    review = owner_client.post(url, {"vehicle": vehicle.pk, "quantity": "1", **chosen})
    page = review.content.decode()
    assert review.status_code == 200 and "Mobile barcode carrier · /ABC1234" in page
    assert 'name="invoice_carrier" value="/abc1234"' in page  # carried to the confirmation
    assert not Order.objects.exists()

    placed = owner_client.post(
        url, {"vehicle": vehicle.pk, "quantity": "1", "confirm": "1", "idempotency_key": TOKEN, **chosen}
    )
    assert placed.status_code == 302
    invoice = Invoice.objects.get()
    assert (invoice.carrier_kind, invoice.carrier) == ("mobile", "/ABC1234")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"invoice_kind": "mobile", "invoice_carrier": "ABC1234"}, "invoice_carrier", "mobile barcode"),
        ({"invoice_kind": "certificate", "invoice_carrier": "A1"}, "invoice_carrier", "certificate"),
        ({"invoice_kind": "donation", "invoice_donation_code": "12"}, "invoice_donation_code", "3 to 7"),
        (
            {"invoice_kind": "company", "invoice_tax_id": "22099132", "invoice_title": "X"},
            "invoice_tax_id",
            "tax ID",
        ),
        ({"invoice_kind": "company", "invoice_tax_id": "22099131"}, "invoice_title", "company title"),
        ({"invoice_kind": "paper"}, "invoice_kind", "valid choice"),
    ],
)
def test_bad_invoice_details_are_answered_on_the_form_and_order_nothing(
    owner_client, buyer, ecpay, data, field, message
):
    _, vehicle = buyer
    response = owner_client.post(
        _url(pack()),
        {"vehicle": vehicle.pk, "quantity": "1", "confirm": "1", "idempotency_key": TOKEN, **data},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    assert not Order.objects.exists()


def test_the_refusal_is_translated(client, buyer, ecpay):
    member, vehicle = buyer
    sign_in(client, member)
    with translation.override("zh-hant"):
        response = client.post(
            _url(pack()),
            {
                "vehicle": vehicle.pk,
                "quantity": "1",
                "invoice_kind": "donation",
                "invoice_donation_code": "1",
            },
            HTTP_ACCEPT_LANGUAGE="zh-hant",
        )
    assert "捐贈碼為 3 至 7 位數字。" in response.content.decode()


def test_the_order_page_shows_the_invoice_number_and_status(owner_client, buyer, ecpay, einvoice):
    order = place_order(*buyer, invoice=InvoiceDetails(kind="donation", donation_code="168001"))
    page = owner_client.get(reverse("portal:order", args=[order.number])).content.decode()
    assert "To be issued" in page and "168001" in page

    order_payment_record(order=order, method="transfer", reference="T-1", actor=Actor.system("test"))
    invoice = order_invoice_issue(order_id=order.pk, client=invoice_client())
    page = owner_client.get(reverse("portal:order", args=[order.number])).content.decode()
    assert invoice.number in page and "Issued" in page and invoice.random_number in page
    assert "E-invoice issued" in page  # the timeline


def test_the_admin_shows_the_invoice_and_filters_by_its_status(client, buyer, einvoice, settings):
    use_english(settings)
    client.force_login(staff_user("Finance"))
    order = place_order(*buyer)
    order_payment_record(order=order, method="cash", reference="C-1", actor=Actor.system("test"))
    invoice = order_invoice_issue(order_id=order.pk, client=invoice_client())
    failed = place_order(*buyer)
    Invoice.objects.filter(order=failed).update(status=Invoice.Status.FAILED, last_error="ECPay is down")

    page = client.get(reverse("admin:vouchers_order_change", args=[order.pk])).content.decode()
    assert invoice.number in page and "E-invoice issued" in page
    listing = client.get(reverse("admin:vouchers_order_changelist"), {"invoice__status": "failed"})
    body = listing.content.decode()
    assert listing.status_code == 200 and failed.number in body and order.number not in body
    page = client.get(reverse("admin:vouchers_order_change", args=[failed.pk])).content.decode()
    assert "ECPay is down" in page
