"""The counter sale collects the e-invoice details and its receipt shows the invoice."""

import re
from html import unescape

import pytest
from django.urls import reverse

from shop.invoicing.ecpay import invoice_client
from shop.models import Invoice
from shop.services import order_invoice_issue
from tests.factories import pack
from vouchers.models import Order

pytestmark = pytest.mark.django_db


def _sell(client, vehicle, **data):
    page = client.get(reverse("counter:sale", args=[vehicle.pk])).content.decode()
    token = unescape(re.search(r'name="token" value="([^"]+)"', page).group(1))
    values = {
        "product": "pack:wash-pack",
        "quantity": "1",
        "method": "cash",
        "reference": "R-9",
        "token": token,
    }
    return client.post(reverse("counter:sale", args=[vehicle.pk]), {**values, **data})


def test_a_company_invoice_is_sold_issued_and_on_the_receipt(counter, vehicle):
    pack()
    response = _sell(
        counter, vehicle, invoice_kind="company", invoice_tax_id="22099131", invoice_title="台積電"
    )
    assert response.status_code == 302
    order = Order.objects.get()
    invoice = Invoice.objects.get(order=order)
    assert (invoice.carrier_kind, invoice.tax_id, invoice.title) == ("company", "22099131", "台積電")

    receipt = counter.get(response["Location"]).content.decode()
    assert 'data-testid="sale-invoice" data-status="pending"' in receipt
    order_invoice_issue(order_id=order.pk, client=invoice_client())
    invoice.refresh_from_db()
    receipt = counter.get(response["Location"]).content.decode()
    assert invoice.number in receipt and "22099131" in receipt


def test_a_bad_tax_id_is_refused_on_the_form_and_sells_nothing(counter, vehicle):
    pack()
    response = _sell(counter, vehicle, invoice_kind="company", invoice_tax_id="12345678", invoice_title="X")
    assert response.status_code == 200
    assert "invoice_tax_id" in response.context["form"].errors
    assert not Order.objects.exists()
