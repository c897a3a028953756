"""Order refunds: the owner asks (the one assessment quotes the amount), Finance approves or rejects;
approval refunds the vouchers, pays back by ECPay card refund or recorded transfer, and voids or allows
the e-invoice. Every refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.actors import Actor
from shop.exceptions import (
    PaymentRejected,
    RefundAlreadyRefunded,
    RefundDecided,
    RefundNothingLeft,
    RefundNotPaid,
    RefundNotYours,
    RefundPending,
    RefundReferenceNeeded,
)
from shop.invoicing.ecpay import invoice_client
from shop.invoicing.periods import invoice_period, invoice_voidable
from shop.models import FakeGatewayTrade, FakeInvoice, Invoice, OrderEvent, OrderRefund, PaymentNotification
from shop.payments.ecpay import gateway
from shop.services import (
    order_invoice_issue,
    order_payment_apply,
    order_payment_record,
    order_refund_approve,
    order_refund_assess,
    order_refund_reject,
    order_refund_request,
)
from tests.factories import DealerFactory, MemberFactory
from tests.factories.staff import staff_user
from vouchers.models import Order, RefundRequest, Voucher
from vouchers.selectors import ledger_drift
from vouchers.services import voucher_redeem

from .conftest import paid_notification, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(db):
    return staff_user("Finance")


def _cash_order(member, vehicle, **kwargs):
    order = place_order(member, vehicle, **kwargs)
    return order_payment_record(
        order=order, method="cash", reference=f"C-{order.pk}", actor=Actor.system("test")
    )


def _card_order(member, vehicle, **kwargs):
    order = place_order(member, vehicle, **kwargs)
    payload = paid_notification(order)
    order_payment_apply(
        result=gateway().notification(payload), source=PaymentNotification.Source.NOTIFY, payload=payload
    )
    order.refresh_from_db()
    return order


def _use(voucher, vehicle):
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=DealerFactory(), actor=Actor.system("test"))


def _approve(refund, finance, **kwargs):
    return order_refund_approve(
        refund=refund,
        actor=Actor.operations(finance),
        gateway=gateway(),
        invoice_client=invoice_client(),
        **kwargs,
    )


def test_an_unused_pack_paid_by_card_is_refunded_in_full_and_its_invoice_voided(
    buyer, ecpay, einvoice, finance
):
    member, vehicle = buyer
    order = _card_order(member, vehicle, quantity=2)
    invoice = order_invoice_issue(order_id=order.pk, client=invoice_client())

    quote = order_refund_assess(order, member=member)
    assert (quote.value_twd, quote.fee_twd, quote.amount_twd) == (4000, 0, 4000)
    refund = order_refund_request(order=order, member=member, reason="moved abroad")
    assert set(Voucher.objects.filter(order=order).values_list("status", flat=True)) == {"locked"}
    assert RefundRequest.objects.filter(voucher__order=order, status="pending").count() == 10

    _approve(refund, finance, reason="ok")

    order.refresh_from_db()
    refund.refresh_from_db()
    invoice.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert set(Voucher.objects.filter(order=order).values_list("status", flat=True)) == {"refunded"}
    assert (refund.status, refund.method, refund.amount_twd, refund.invoice_action) == (
        "approved",
        "ecpay",
        4000,
        "void",
    )
    assert refund.reference == order.payments.get().trade_no and refund.decided_by == finance
    assert FakeGatewayTrade.objects.get(merchant_trade_no=order.number).fields["_refunded"] == 4000
    assert invoice.status == Invoice.Status.VOIDED and FakeInvoice.objects.get().voided
    kinds = list(order.events.values_list("kind", flat=True))
    for kind in (OrderEvent.Kind.REFUND_REQUESTED, OrderEvent.Kind.REFUNDED, OrderEvent.Kind.INVOICE_VOIDED):
        assert kind in kinds
    assert ledger_drift().count() == 0


def test_a_partly_used_pack_is_refunded_pro_rata_less_the_fee_with_an_allowance(buyer, einvoice, finance):
    member, vehicle = buyer
    order = _cash_order(member, vehicle)  # one pack: 5 washes at NT$2,000 → NT$400 each
    order.bundle.refund_fee_twd = 150
    order.bundle.save()
    order_invoice_issue(order_id=order.pk, client=invoice_client())
    vouchers = list(Voucher.objects.filter(order=order).order_by("pk"))
    assert sum(v.amount_paid_twd for v in vouchers) == order.amount_twd == 2000
    _use(vouchers[0], vehicle)
    _use(vouchers[1], vehicle)

    quote = order_refund_assess(order, member=member)
    assert quote.partly_used and (quote.value_twd, quote.fee_twd, quote.amount_twd) == (1200, 150, 1050)
    refund = order_refund_request(order=order, member=member)
    with pytest.raises(RefundReferenceNeeded):  # paid in cash: Finance says how the money went back
        _approve(refund, finance)
    _approve(refund, finance, reference="TW-TRANSFER-77", reason="approved")

    order.refresh_from_db()
    refund.refresh_from_db()
    invoice = Invoice.objects.get(order=order)
    assert order.status == Order.Status.PARTLY_REFUNDED
    assert (refund.method, refund.reference, refund.amount_twd) == ("transfer", "TW-TRANSFER-77", 1050)
    assert refund.invoice_action == "allowance" and refund.allowance_number
    assert invoice.status == Invoice.Status.ALLOWANCE and invoice.allowance_total_twd == 1050
    assert FakeInvoice.objects.get().allowed_twd == 1050
    # Reconciliation: the vouchers' allocations make the order; the refund is their value less the fee.
    approved = RefundRequest.objects.filter(voucher__order=order, status="approved")
    assert sum(r.amount_twd for r in approved) - refund.fee_twd == refund.amount_twd
    assert (
        sum(Voucher.objects.filter(order=order).values_list("amount_paid_twd", flat=True)) == order.amount_twd
    )
    with pytest.raises(RefundNothingLeft):  # the used ones are used, the rest refunded
        order_refund_assess(order, member=member)


def test_an_invoice_of_an_earlier_period_gets_an_allowance_not_a_void(buyer, einvoice, finance):
    member, vehicle = buyer
    order = _cash_order(member, vehicle)
    invoice = order_invoice_issue(order_id=order.pk, client=invoice_client())
    refund = order_refund_request(order=order, member=member)
    _approve(refund, finance, reference="T-1", now=invoice.issued_at + timedelta(days=62))
    refund.refresh_from_db()
    assert refund.invoice_action == "allowance"
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED


def test_the_invoice_period_rule():
    taipei = timezone.get_fixed_timezone(8 * 60)
    jan = timezone.datetime(2026, 1, 5, tzinfo=taipei)
    assert invoice_period(jan) == invoice_period(timezone.datetime(2026, 2, 28, 23, 0, tzinfo=taipei))
    assert invoice_period(jan) != invoice_period(timezone.datetime(2026, 3, 1, tzinfo=taipei))
    assert invoice_voidable(issued_at=jan, now=jan, full_refund=True)
    assert not invoice_voidable(issued_at=jan, now=jan, full_refund=False)
    assert not invoice_voidable(
        issued_at=jan, now=timezone.datetime(2026, 3, 1, tzinfo=taipei), full_refund=True
    )


def test_rejection_gives_the_vouchers_back(buyer, einvoice, finance):
    member, vehicle = buyer
    order = _cash_order(member, vehicle)
    refund = order_refund_request(order=order, member=member)
    order_refund_reject(refund=refund, actor=Actor.operations(finance), reason="outside policy")
    refund.refresh_from_db()
    assert refund.status == "rejected" and refund.decision_reason == "outside policy"
    assert "locked" not in set(Voucher.objects.filter(order=order).values_list("status", flat=True))
    assert Order.objects.get(pk=order.pk).status == Order.Status.ISSUED
    assert order_refund_assess(order, member=member).amount_twd == 2000  # may ask again
    with pytest.raises(RefundDecided):
        _approve(refund, finance, reference="T-1")
    with pytest.raises(RefundDecided):
        order_refund_reject(refund=refund, actor=Actor.operations(finance), reason="again")


def test_refusals_change_nothing(buyer, einvoice, finance):
    member, vehicle = buyer
    stranger = MemberFactory()
    unpaid = place_order(member, vehicle)
    order = _cash_order(member, vehicle)

    with pytest.raises(RefundNotYours):
        order_refund_request(order=order, member=stranger)
    with pytest.raises(RefundNotPaid):
        order_refund_request(order=unpaid, member=member)
    refund = order_refund_request(order=order, member=member)
    with pytest.raises(RefundPending):
        order_refund_request(order=order, member=member)
    _approve(refund, finance, reference="T-9")
    with pytest.raises(RefundAlreadyRefunded):
        order_refund_request(order=order, member=member)
    assert OrderRefund.objects.count() == 1 and RefundRequest.objects.count() == 5


def test_nothing_left_when_every_voucher_is_used(buyer, einvoice):
    member, vehicle = buyer
    order = _cash_order(member, vehicle)
    for voucher in Voucher.objects.filter(order=order):
        _use(voucher, vehicle)
    with pytest.raises(RefundNothingLeft):
        order_refund_request(order=order, member=member)
    assert not OrderRefund.objects.exists()


def test_a_refund_ecpay_refuses_changes_nothing(buyer, ecpay, einvoice, finance, settings):
    member, vehicle = buyer
    order = _card_order(member, vehicle)
    refund = order_refund_request(order=order, member=member)
    FakeGatewayTrade.objects.filter(merchant_trade_no=order.number).update(paid_at=None)  # ECPay: not paid
    with pytest.raises(PaymentRejected):
        _approve(refund, finance)
    refund.refresh_from_db()
    assert refund.status == "requested"
    assert set(Voucher.objects.filter(order=order).values_list("status", flat=True)) == {"locked"}
    assert Order.objects.get(pk=order.pk).status == Order.Status.ISSUED


def test_a_failed_invoice_correction_does_not_undo_the_refund(buyer, einvoice, finance):
    member, vehicle = buyer
    order = _cash_order(member, vehicle)
    refund = order_refund_request(order=order, member=member)  # the invoice was never issued
    _approve(refund, finance, reference="T-2")
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED
    assert order.events.filter(kind=OrderEvent.Kind.INVOICE_FAILED).exists()


def test_a_voucher_in_an_order_refund_is_decided_only_with_its_order(buyer, einvoice, finance):
    from vouchers.exceptions import RefundDecidedWithOrder
    from vouchers.services import refund_approve, refund_reject

    member, vehicle = buyer
    refund = order_refund_request(order=_cash_order(member, vehicle), member=member)
    one = refund.voucher_requests.first()
    assert one.in_order
    with pytest.raises(RefundDecidedWithOrder):
        refund_approve(refund=one, actor=Actor.operations(finance))
    with pytest.raises(RefundDecidedWithOrder):
        refund_reject(refund=one, actor=Actor.operations(finance), reason="no")
    one.refresh_from_db()
    assert one.status == "pending"
