"""Notifications arrive twice or more at once: 20 concurrent copies issue the order exactly once,
and concurrent orders never hold more stock than there is (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from shop.exceptions import OutOfStock
from shop.models import Payment, PaymentNotification
from shop.selectors import shop_product
from tests.factories import MemberFactory, OwnedVehicleFactory, paid_definition
from vouchers.models import Order, Voucher

from .conftest import paid_notification, place_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _together(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # the test inspects every outcome
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_copies_of_one_notification_issue_once(ecpay, buyer):
    order = place_order(*buyer)
    payload = paid_notification(order)

    answers = _together(20, lambda i: Client().post("/payments/ecpay/notify/", payload))

    assert [a.content for a in answers] == [b"1|OK"] * 20
    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED
    assert Voucher.objects.filter(order=order).count() == 5
    assert Payment.objects.filter(order=order).count() == 1
    outcomes = list(PaymentNotification.objects.values_list("outcome", flat=True))
    assert outcomes.count("applied") == 1 and outcomes.count("duplicate") == 19


def test_concurrent_orders_never_hold_more_than_the_stock(db):
    definition = paid_definition(stock_total=5)
    product = shop_product("voucher", definition.code)
    buyers = []
    for _ in range(12):
        member = MemberFactory()
        buyers.append((member, OwnedVehicleFactory(owner=member)))

    results = _together(12, lambda i: place_order(*buyers[i], product=product))

    placed = [r for r in results if isinstance(r, Order)]
    assert len(placed) == 5
    assert all(isinstance(r, OutOfStock) for r in results if not isinstance(r, Order))
