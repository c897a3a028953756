"""The owner's shop in the portal: catalogue, review, order, pay on the stand-in, order pages."""

import pytest
from django.urls import reverse
from django_q.models import OrmQ, Schedule

from shop.models import FakeGatewayTrade, ShopNotice
from shop.payments.checkmac import check_mac_valid
from tests.factories import MemberFactory, OwnedVehicleFactory, VehicleModelFactory, pack, paid_definition
from tests.portal.conftest import TOKEN, english_client, sign_in
from vouchers.models import Order

from .conftest import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(buyer):
    member, _ = buyer
    return sign_in(english_client(), member)


@pytest.fixture
def notice(db):
    return ShopNotice.objects.create(
        pk=1,
        issuer_name="星辰汽車股份有限公司",
        issuer_address="臺北市信義區松高路 1 號",
        issuer_tax_id="12345675",
        guarantee="本禮券已依法存入信託專戶，信託期間自發售日起一年。",
        no_expiry="本禮券無使用期限。",
    )


def _product_url(kind, code):
    return reverse("portal:shop_product", args=[kind, code])


def test_the_catalogue_lists_what_is_on_sale_with_the_notices_the_law_asks_for(owner_client, notice, ecpay):
    bundle = pack(name="Five washes")
    paid_definition(name="Interior detailing", face_value_twd=2600)
    pack(code="counter-only", name="Counter pack", sold_online=False)

    page = owner_client.get(reverse("portal:shop")).content.decode()

    assert "Five washes" in page and "Interior detailing" in page and "Counter pack" not in page
    assert "NT$2,000" in page and bundle.code in page
    for text in (notice.issuer_name, notice.issuer_tax_id, notice.guarantee, notice.no_expiry):
        assert text in page


def test_review_changes_nothing_and_confirm_places_the_order_once(owner_client, buyer, ecpay):
    _, vehicle = buyer
    bundle = pack()
    url = _product_url("pack", bundle.code)

    review = owner_client.post(url, {"vehicle": vehicle.pk, "quantity": "2"})
    assert review.status_code == 200
    assert "NT$4,000" in review.content.decode()
    assert not Order.objects.exists()

    data = {"vehicle": vehicle.pk, "quantity": "2", "confirm": "1", "idempotency_key": TOKEN}
    placed = owner_client.post(url, data)
    again = owner_client.post(url, data)

    order = Order.objects.get()
    assert placed.status_code == again.status_code == 302
    assert placed["Location"] == again["Location"] == reverse("portal:order_pay", args=[order.number])
    assert (order.vehicle, order.quantity, order.amount_twd) == (vehicle, 2, 4000)


@pytest.mark.parametrize("quantity", ["0", "11", "10000", "x"])
def test_a_bad_quantity_is_answered_on_the_form(owner_client, buyer, quantity, ecpay):
    _, vehicle = buyer
    url = _product_url("pack", pack().code)
    response = owner_client.post(
        url, {"vehicle": vehicle.pk, "quantity": quantity, "confirm": "1", "idempotency_key": TOKEN}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    assert not Order.objects.exists()


def test_another_owners_car_cannot_be_chosen(owner_client, ecpay):
    strangers_car = OwnedVehicleFactory(owner=MemberFactory())
    url = _product_url("pack", pack().code)
    response = owner_client.post(
        url, {"vehicle": strangers_car.pk, "quantity": "1", "confirm": "1", "idempotency_key": TOKEN}
    )
    assert response.context["form"].errors["vehicle"]
    assert not Order.objects.exists()


def test_a_product_none_of_the_owners_cars_fits_says_so(owner_client, ecpay):
    definition = paid_definition()
    definition.allowed_models.add(VehicleModelFactory())
    page = owner_client.get(_product_url("voucher", definition.code))
    assert 'data-test="no-vehicle"' in page.content.decode()


def test_an_unknown_or_retired_product_is_404(owner_client, ecpay):
    retired = pack(is_active=False)
    assert owner_client.get(_product_url("pack", retired.code)).status_code == 404
    assert owner_client.get(_product_url("pack", "nope")).status_code == 404


def test_the_pay_page_carries_a_signed_checkout_form_to_the_gateway(owner_client, buyer, ecpay):
    order = place_order(*buyer)
    page = owner_client.get(reverse("portal:order_pay", args=[order.number]))
    checkout = page.context["checkout"]
    assert checkout.action == reverse("shop:fake_checkout")
    assert checkout.fields["MerchantTradeNo"] == order.number
    assert checkout.fields["TotalAmount"] == "2000"
    assert checkout.fields["ReturnURL"] == "http://testserver/payments/ecpay/notify/"
    assert check_mac_valid(checkout.fields, hash_key=ecpay.ECPAY_HASH_KEY, hash_iv=ecpay.ECPAY_HASH_IV)


def test_the_stand_in_takes_the_form_shows_a_payment_page_and_notifies_from_the_worker(
    owner_client, buyer, ecpay
):
    order = place_order(*buyer)
    checkout = owner_client.get(reverse("portal:order_pay", args=[order.number])).context["checkout"]

    page = owner_client.post(checkout.action, checkout.fields)
    assert page.status_code == 200 and "NT$2,000" in page.content.decode()
    trade = FakeGatewayTrade.objects.get(merchant_trade_no=order.number)

    back = owner_client.post(reverse("shop:fake_decide", args=[trade.trade_no]), {"decision": "pay"})

    assert back["Location"] == f"http://testserver{reverse('portal:order', args=[order.number])}"
    trade.refresh_from_db()
    assert trade.paid_at is not None
    assert OrmQ.objects.count() == 2  # a notification at once and its duplicate, from the worker
    assert Schedule.objects.filter(name__startswith=f"fake-ecpay-{trade.trade_no}").count() == 1  # a late one
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING  # only the notification marks it paid


def test_the_stand_in_refuses_a_tampered_form(owner_client, buyer, ecpay):
    order = place_order(*buyer)
    checkout = owner_client.get(reverse("portal:order_pay", args=[order.number])).context["checkout"]
    response = owner_client.post(checkout.action, {**checkout.fields, "TotalAmount": "1"})
    assert response.status_code == 400
    assert not FakeGatewayTrade.objects.exists()


def test_the_stand_in_does_not_exist_outside_fake_mode(owner_client, settings):
    settings.ECPAY_MODE = "stage"
    assert owner_client.post(reverse("shop:fake_checkout"), {}).status_code == 404


def test_another_owners_order_is_404(owner_client, ecpay):
    member = MemberFactory()
    order = place_order(member, OwnedVehicleFactory(owner=member))
    for name in ("portal:order", "portal:order_pay"):
        assert owner_client.get(reverse(name, args=[order.number])).status_code == 404
    assert owner_client.post(reverse("portal:order_cancel", args=[order.number])).status_code == 404


def test_the_orders_page_lists_the_owners_orders_only(owner_client, buyer, ecpay):
    mine = place_order(*buyer)
    member = MemberFactory()
    theirs = place_order(member, OwnedVehicleFactory(owner=member))
    page = owner_client.get(reverse("portal:orders")).content.decode()
    assert mine.number in page and theirs.number not in page


def test_an_owner_cancels_a_pending_order(owner_client, buyer, ecpay):
    order = place_order(*buyer)
    owner_client.post(reverse("portal:order_cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
