"""Concurrent invoice tasks for one order issue one invoice; concurrent refund requests for one order
make one request (PostgreSQL row locks)."""

import pytest

from members.actors import Actor
from shop.exceptions import RefundPending
from shop.invoicing.ecpay import invoice_client
from shop.models import FakeInvoice, OrderEvent, OrderRefund
from shop.services import order_invoice_issue, order_payment_record, order_refund_request
from vouchers.models import RefundRequest

from .conftest import place_order
from .test_races import _together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _issued(member, vehicle):
    order = place_order(member, vehicle)
    return order_payment_record(
        order=order, method="cash", reference=f"C-{order.pk}", actor=Actor.system("test")
    )


def test_eight_concurrent_invoice_tasks_issue_one_invoice(einvoice, buyer):
    order = _issued(*buyer)
    results = _together(8, lambda i: order_invoice_issue(order_id=order.pk, client=invoice_client()))
    assert {r.number for r in results} == {FakeInvoice.objects.get().number}
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.INVOICED).count() == 1


def test_concurrent_refund_requests_make_one(einvoice, buyer):
    member, vehicle = buyer
    order = _issued(member, vehicle)
    results = _together(6, lambda i: order_refund_request(order=order, member=member))
    assert sum(isinstance(r, OrderRefund) for r in results) == 1
    assert all(isinstance(r, (OrderRefund, RefundPending)) for r in results)
    assert RefundRequest.objects.count() == 5
