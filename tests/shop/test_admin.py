"""Orders in the back office: list and filters, the timeline, settling by hand, sales, notifications."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from members.actors import Actor
from shop.exceptions import PaymentRejected
from shop.models import OrderEvent, PaymentNotification
from shop.services import order_expire, order_payment_record
from tests.factories import DealerFactory
from tests.factories.staff import staff_user, use_english
from vouchers.models import Order, Voucher

from .conftest import paid_notification, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def finance(client):
    client.force_login(staff_user("Finance"))
    return client


def test_the_order_list_filters_by_status_channel_and_dealer(finance, buyer):
    dealer = DealerFactory()
    online = place_order(*buyer)
    counter = place_order(*buyer, channel=Order.Channel.COUNTER, dealer=dealer)
    url = reverse("admin:vouchers_order_changelist")

    assert online.number in finance.get(url).content.decode()
    page = finance.get(url, {"channel__exact": "counter"}).content.decode()
    assert counter.number in page and online.number not in page
    page = finance.get(url, {"dealer__id__exact": dealer.pk}).content.decode()
    assert counter.number in page and online.number not in page
    assert finance.get(url, {"status__exact": "pending"}).status_code == 200


def test_an_orders_page_shows_its_timeline_and_payments(finance, client, ecpay, buyer):
    order = place_order(*buyer)
    client.post("/payments/ecpay/notify/", paid_notification(order))
    page = finance.get(reverse("admin:vouchers_order_change", args=[order.pk])).content.decode()
    for kind in ("Created", "Notification received", "Paid", "Vouchers issued"):
        assert kind in page
    assert "Credit card" in page


def test_finance_settles_a_stuck_order_by_hand_with_a_reason(finance, buyer):
    order = place_order(*buyer)
    order_expire(order=order, now=order.expires_at + timedelta(seconds=1))
    url = reverse("admin:shop_order_settle", args=[order.pk])

    refused = finance.post(url, {"method": "transfer", "reference": "TX-1", "reason": ""})
    assert refused.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED

    done = finance.post(url, {"method": "transfer", "reference": "TX-1", "reason": "Bank transfer found"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED
    assert Voucher.objects.filter(order=order).count() == 5
    event = order.events.get(kind=OrderEvent.Kind.SETTLED_BY_HAND)
    assert event.note == "Bank transfer found" and event.actor_label.startswith("admin:")
    assert LogEntry.objects.filter(object_id=str(order.pk), change_message__contains="TX-1").exists()


def test_one_payment_reference_settles_one_order(buyer):
    first, second = place_order(*buyer), place_order(*buyer)
    order_payment_record(
        order=first, method="transfer", reference="TX-9", actor=Actor.system("test"), reason="r", by_hand=True
    )
    with pytest.raises(PaymentRejected):
        order_payment_record(
            order=second,
            method="transfer",
            reference="TX-9",
            actor=Actor.system("test"),
            reason="r",
            by_hand=True,
        )
    second.refresh_from_db()
    assert second.status == Order.Status.PENDING


def test_an_operator_without_the_permission_cannot_settle(client, buyer):
    client.force_login(staff_user("Operations"))
    order = place_order(*buyer)
    response = client.post(
        reverse("admin:shop_order_settle", args=[order.pk]),
        {"method": "cash", "reference": "R", "reason": "x"},
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_sales_per_pack_add_up_the_paid_orders(finance, buyer):
    for reference in ("A", "B"):
        order_payment_record(
            order=place_order(*buyer, quantity=2),
            method="cash",
            reference=reference,
            actor=Actor.system("test"),
        )
    place_order(*buyer)  # unpaid: not a sale
    page = finance.get(reverse("admin:shop_order_sales"))
    rows = page.context["rows"]
    assert len(rows) == 1
    assert (rows[0]["orders"], rows[0]["units"], rows[0]["revenue"]) == (2, 4, 8000)
    assert finance.get(reverse("admin:shop_order_sales"), {"from": "garbage"}).status_code == 200


def test_a_dealer_manager_sees_only_their_dealers_orders(client, buyer):
    dealer = DealerFactory()
    manager = staff_user("Dealer manager", dealer=dealer)
    manager.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(manager)
    mine = place_order(*buyer, channel=Order.Channel.COUNTER, dealer=dealer)
    other = place_order(*buyer, channel=Order.Channel.COUNTER, dealer=DealerFactory())
    page = client.get(reverse("admin:vouchers_order_changelist")).content.decode()
    assert mine.number in page and other.number not in page


def test_payment_notifications_are_listed_as_received(finance, client, ecpay, buyer):
    order = place_order(*buyer)
    client.post("/payments/ecpay/notify/", {**paid_notification(order), "TradeAmt": "1"})
    assert PaymentNotification.objects.get().outcome == "rejected"
    page = finance.get(reverse("admin:shop_paymentnotification_changelist")).content.decode()
    assert order.number in page
