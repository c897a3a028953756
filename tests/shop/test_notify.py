"""ECPay's notification at /payments/ecpay/notify/: verified, applied at most once, answered 1|OK.

Every bad case changes nothing it should not and is recorded."""

from datetime import timedelta

import pytest
from django.urls import reverse

from members.actors import Actor
from shop.models import OrderEvent, Payment, PaymentNotification
from shop.payments.checkmac import signed
from shop.payments.ecpay import gateway
from shop.payments.fake import fake_checkout_receive
from shop.services import order_cancel, orders_settle_pending
from vouchers.models import Order, Voucher
from vouchers.selectors import ledger_drift

from .conftest import paid_notification, place_order

pytestmark = pytest.mark.django_db
URL = "/payments/ecpay/notify/"
Outcome = PaymentNotification.Outcome


def _post(client, payload):
    return client.post(URL, payload)


def _resign(payload, **changes):
    return signed({**payload, **changes}, hash_key="pwFHCqoQZGmho4w6", hash_iv="EkRm7iFT261dpevs")


def test_the_url_is_the_one_ecpay_is_given():
    assert reverse("shop:ecpay_notify") == URL


def test_a_paid_notification_marks_the_order_paid_and_issues_its_vouchers_once(client, ecpay, buyer):
    order = place_order(*buyer, quantity=2)
    payload = paid_notification(order)

    first = _post(client, payload)
    second = _post(client, payload)

    assert first.status_code == second.status_code == 200
    assert first.content == second.content == b"1|OK"
    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED
    assert order.paid_at is not None
    vouchers = Voucher.objects.filter(order=order)
    assert vouchers.count() == 10  # 2 packs of 5 washes
    assert sum(v.amount_paid_twd for v in vouchers) == order.amount_twd
    assert {v.vehicle_id for v in vouchers} == {order.vehicle_id}
    assert Payment.objects.get(order=order).amount_twd == order.amount_twd
    assert list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True)) == [
        Outcome.APPLIED,
        Outcome.DUPLICATE,
    ]
    kinds = list(order.events.values_list("kind", flat=True))
    assert kinds.count(OrderEvent.Kind.ISSUED) == 1 and OrderEvent.Kind.PAID in kinds
    assert ledger_drift().count() == 0


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: {**p, "TradeAmt": "1"}, id="amount changed after signing"),
        pytest.param(lambda p: {**p, "CheckMacValue": "0" * 64}, id="wrong CheckMacValue"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "CheckMacValue"}, id="no CheckMacValue"),
        pytest.param(lambda p: _resign(p, MerchantID="2000132"), id="another merchant"),
        pytest.param(lambda p: _resign(p, TradeAmt="1"), id="signed but the wrong amount"),
        pytest.param(lambda p: _resign(p, MerchantTradeNo="SV000000UNKNOWN"), id="unknown order number"),
    ],
)
def test_a_forged_or_tampered_notification_changes_nothing_and_is_logged(
    client, ecpay, buyer, tamper, caplog
):
    order = place_order(*buyer)
    response = _post(client, tamper(paid_notification(order)))

    assert response.status_code == 400
    assert response.content.startswith(b"0|")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert not Voucher.objects.exists() and not Payment.objects.exists()
    assert PaymentNotification.objects.get().outcome == Outcome.REJECTED
    assert "rejected" in caplog.text or "amount" in caplog.text


def test_a_failed_payment_leaves_the_order_waiting(client, ecpay, buyer):
    order = place_order(*buyer)
    response = _post(client, _resign(paid_notification(order), RtnCode="10100058", RtnMsg="付款失敗"))
    assert response.content == b"1|OK"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert PaymentNotification.objects.get().outcome == Outcome.NOT_PAID


def test_money_for_a_cancelled_order_is_recorded_and_flagged_not_issued(client, ecpay, buyer):
    order = place_order(*buyer)
    payload = paid_notification(order)
    order_cancel(order=order, actor=Actor.system("test"))

    assert _post(client, payload).content == b"1|OK"

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert not Voucher.objects.exists()
    assert Payment.objects.filter(order=order).exists()
    assert order.events.filter(kind=OrderEvent.Kind.FLAGGED).exists()
    assert PaymentNotification.objects.get().outcome == Outcome.FLAGGED


def test_a_notification_arriving_after_the_browser_came_back_still_applies(client, ecpay, buyer):
    member, vehicle = buyer
    order = place_order(member, vehicle)
    payload = paid_notification(order)
    from tests.portal.conftest import sign_in

    page = sign_in(client, member).get(reverse("portal:order", args=[order.number]))
    assert page.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING  # the browser's return never marks anything paid

    _post(client, payload)
    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED


def test_the_settling_job_applies_a_payment_whose_notification_never_came(ecpay, buyer, settings):
    member, vehicle = buyer
    paid = place_order(member, vehicle)
    paid_notification(paid)  # paid at the stand-in, but its notification is lost
    unpaid_expired = place_order(member, vehicle)
    fake_checkout_receive(
        gateway()
        .checkout(
            merchant_trade_no=unpaid_expired.number,
            amount=unpaid_expired.amount_twd,
            item_name="x",
            description="x",
            return_url="http://testserver/",
            client_back_url="http://testserver/",
            now=unpaid_expired.created_at,
        )
        .fields
    )
    later = paid.created_at + timedelta(minutes=settings.SHOP_RESERVATION_MINUTES + 1)
    young = place_order(member, vehicle, now=later - timedelta(minutes=1))

    counts = orders_settle_pending(gateway=gateway(), now=later)

    assert counts == {"paid": 1, "expired": 1, "waiting": 0, "errors": 0}
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {paid.pk: "issued", unpaid_expired.pk: "expired", young.pk: "pending"}
    assert PaymentNotification.objects.filter(source="query", outcome=Outcome.APPLIED).count() == 1
    # A second run finds nothing left to do.
    assert orders_settle_pending(gateway=gateway(), now=later) == {
        "paid": 0,
        "expired": 0,
        "waiting": 0,
        "errors": 0,
    }


def test_a_tampered_query_answer_changes_nothing(ecpay, buyer, settings):
    member, vehicle = buyer
    order = place_order(member, vehicle)
    paid_notification(order)
    tampered = gateway()
    tampered._transport = lambda url, fields: "MerchantID=3002607&TradeStatus=1&CheckMacValue=00"
    later = order.created_at + timedelta(hours=1)

    counts = orders_settle_pending(gateway=tampered, now=later)

    assert counts["errors"] == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
