"""Selling a pack or paid voucher at the counter: paid on the spot, issued to the car, the selling
dealer recorded, a printable receipt; every refusal changes nothing."""

import re
from html import unescape

import pytest
from django.urls import reverse

from shop.models import Payment
from tests.factories import VehicleFactory, VehicleModelFactory, pack, paid_definition
from vouchers.models import Order, Voucher

pytestmark = pytest.mark.django_db


def _token(client, vehicle) -> str:
    page = client.get(reverse("counter:sale", args=[vehicle.pk])).content.decode()
    return unescape(re.search(r'name="token" value="([^"]+)"', page).group(1))


def _sell(client, vehicle, **data):
    values = {"product": "pack:wash-pack", "quantity": "1", "method": "cash", "reference": "R-001"}
    values.update(data)
    if "token" not in values:
        values["token"] = _token(client, vehicle)
    return client.post(reverse("counter:sale", args=[vehicle.pk]), values)


def test_an_advisor_sells_a_pack_paid_in_cash_and_prints_the_receipt(counter, vehicle, dealer):
    pack()
    response = _sell(counter, vehicle, quantity="2")

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("counter:sale_receipt", args=[order.number])
    assert (order.channel, order.dealer, order.vehicle, order.status) == (
        "counter",
        dealer,
        vehicle,
        "issued",
    )
    assert order.member == vehicle.ownerships.get().member
    assert Voucher.objects.filter(order=order, vehicle=vehicle).count() == 10
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.trade_no, payment.amount_twd) == ("cash", "R-001", 4000)
    receipt = counter.get(response["Location"]).content.decode()
    assert order.number in receipt and "NT$4,000" in receipt


def test_a_double_submit_sells_once(counter, vehicle):
    pack()
    token = _token(counter, vehicle)
    first = _sell(counter, vehicle, token=token)
    second = _sell(counter, vehicle, token=token)
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "10000"}, "quantity"),
        ({"reference": ""}, "reference"),
        ({"method": "bitcoin"}, "method"),
        ({"product": "pack:not-on-sale"}, "product"),
    ],
)
def test_bad_input_is_answered_on_the_form_and_sells_nothing(counter, vehicle, data, field):
    pack()
    response = _sell(counter, vehicle, **data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Order.objects.exists()


def test_a_pack_not_sold_at_the_counter_is_not_offered(counter, vehicle):
    pack()
    pack(code="online-only", sold_at_counter=False)
    response = _sell(counter, vehicle, product="pack:online-only")
    assert response.context["form"].errors["product"]


def test_a_voucher_for_another_model_is_not_offered(counter, vehicle):
    pack()
    definition = paid_definition(code="other-model")
    definition.allowed_models.add(VehicleModelFactory())
    response = _sell(counter, vehicle, product="voucher:other-model")
    assert response.context["form"].errors["product"]


def test_a_car_without_an_owner_cannot_be_sold_to(counter, vehicle):
    pack()
    car = VehicleFactory()
    page = counter.get(reverse("counter:sale", args=[car.pk])).content.decode()
    assert 'data-testid="no-owner"' in page
    _sell(counter, car, token=_token(counter, vehicle))
    assert not Order.objects.exists()


def test_a_tampered_token_changes_nothing(counter, vehicle):
    pack()
    response = _sell(counter, vehicle, token="garbage")
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_another_dealers_receipt_is_404(counter, other_counter, vehicle):
    pack()
    location = _sell(counter, vehicle)["Location"]
    assert other_counter.get(location).status_code == 404
    assert counter.get(location).status_code == 200


def test_the_same_cash_receipt_number_cannot_pay_twice(counter, vehicle):
    pack()
    _sell(counter, vehicle, reference="R-7")
    response = _sell(counter, vehicle, reference="R-7")
    assert response.status_code == 200
    assert "used already" in response.content.decode()
    assert Order.objects.filter(status="issued").count() == 1


def test_the_vehicle_page_links_to_the_sale(counter, vehicle):
    page = counter.get(reverse("counter:vehicle", args=[vehicle.pk])).content.decode()
    assert reverse("counter:sale", args=[vehicle.pk]) in page
