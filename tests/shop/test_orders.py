"""order_create, order_cancel, order_expire: what may be bought, for which car, how many, and stock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.actors import Actor
from shop.exceptions import OrderNotPayable, OutOfStock, QuantityOutOfRange, VehicleNotEligible
from shop.models import OrderEvent
from shop.selectors import shop_catalogue, shop_product
from shop.services import order_cancel, order_expire
from tests.factories import MemberFactory, OwnedVehicleFactory, VehicleModelFactory, pack, paid_definition
from vouchers.models import Order

from .conftest import place_order

pytestmark = pytest.mark.django_db


def test_an_order_waits_for_payment_with_its_number_amount_and_reservation(buyer, settings):
    member, vehicle = buyer
    now = timezone.now()
    order = place_order(member, vehicle, quantity=2, now=now)

    assert order.status == Order.Status.PENDING
    assert order.number.isascii() and order.number.isalnum() and len(order.number) <= 20
    assert order.amount_twd == 2 * order.unit_price_twd == 4000
    assert order.expires_at == now + timedelta(minutes=settings.SHOP_RESERVATION_MINUTES)
    assert list(order.events.values_list("kind", flat=True)) == [OrderEvent.Kind.CREATED]


@pytest.mark.parametrize("quantity", [0, -1, 11, 10_000])
def test_a_quantity_outside_one_to_the_maximum_is_refused(buyer, quantity):
    member, vehicle = buyer
    with pytest.raises(QuantityOutOfRange):
        place_order(member, vehicle, quantity=quantity)
    assert not Order.objects.exists()


def test_another_owners_car_is_refused(buyer):
    member, _ = buyer
    strangers_car = OwnedVehicleFactory(owner=MemberFactory())
    with pytest.raises(VehicleNotEligible):
        place_order(member, strangers_car)
    assert not Order.objects.exists()


def test_a_car_whose_model_does_not_fit_is_refused(buyer):
    member, vehicle = buyer
    definition = paid_definition()
    definition.allowed_models.add(VehicleModelFactory())
    with pytest.raises(VehicleNotEligible):
        place_order(member, vehicle, product=shop_product("voucher", definition.code))


def test_only_what_is_on_sale_is_in_the_catalogue():
    on_sale = pack(code="on-sale")
    pack(code="retired", is_active=False)
    pack(code="counter-only", sold_online=False)
    paid = paid_definition(code="paid-wash")
    paid_definition(code="not-in-shop", channel_shop=False)
    paid_definition(code="draft", status="draft")

    online = {(p.kind, p.code) for p in shop_catalogue()}
    assert {("pack", on_sale.code), ("voucher", paid.code)} <= online
    assert (
        not {("pack", "retired"), ("pack", "counter-only"), ("voucher", "not-in-shop"), ("voucher", "draft")}
        & online
    )
    assert ("pack", "counter-only") in {(p.kind, p.code) for p in shop_catalogue(counter=True)}


def test_pending_orders_hold_stock_and_an_expired_reservation_frees_it(buyer):
    member, vehicle = buyer
    definition = paid_definition(stock_total=3)
    product = shop_product("voucher", definition.code)
    now = timezone.now()
    first = place_order(member, vehicle, product=product, quantity=2, now=now)

    with pytest.raises(OutOfStock) as refused:
        place_order(member, vehicle, product=product, quantity=2, now=now)
    assert refused.value.params == {"left": 1}

    later = first.expires_at + timedelta(seconds=1)
    assert order_expire(order=first, now=later) is True
    assert place_order(member, vehicle, product=product, quantity=3, now=later).quantity == 3


def test_stock_counts_units_inside_packs(buyer):
    member, vehicle = buyer
    wash = paid_definition(stock_total=10)
    bundle = pack(items=[(wash, 4)])
    product = shop_product("pack", bundle.code)
    place_order(member, vehicle, product=product, quantity=2)  # 8 of 10 held
    with pytest.raises(OutOfStock):
        place_order(member, vehicle, product=product, quantity=1)


def test_a_replayed_form_returns_the_first_order(buyer):
    member, vehicle = buyer
    product = shop_product("pack", pack().code)
    first = place_order(member, vehicle, product=product, idempotency_key="portal:1:abc")
    again = place_order(member, vehicle, product=product, idempotency_key="portal:1:abc")
    assert again.pk == first.pk
    assert Order.objects.count() == 1


def test_a_pending_order_can_be_cancelled_but_not_twice(buyer):
    member, vehicle = buyer
    order = place_order(member, vehicle)
    order_cancel(order=order, actor=Actor.system("test"))
    assert order.status == Order.Status.CANCELLED
    with pytest.raises(OrderNotPayable):
        order_cancel(order=order, actor=Actor.system("test"))


def test_expiry_leaves_an_order_whose_reservation_still_holds(buyer):
    member, vehicle = buyer
    order = place_order(member, vehicle)
    assert order_expire(order=order, now=order.created_at + timedelta(minutes=1)) is False
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
