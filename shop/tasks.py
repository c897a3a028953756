"""django-q2 entry points: they take ids and call a service (or the fake gateway's delivery)."""

import logging

from django.utils import timezone

from .invoicing.ecpay import invoice_client
from .models import FakeGatewayTrade
from .payments.ecpay import gateway
from .payments.fake import fake_deliver
from .services import invoices_retry, order_invoice_issue, orders_settle_pending

logger = logging.getLogger(__name__)


def fake_gateway_notify(trade_id: int) -> str:
    """The stand-in's servers posting a notification; delivering the same one twice is the point."""
    trade = FakeGatewayTrade.objects.get(pk=trade_id)
    answer = fake_deliver(trade)
    logger.info("fake ECPay notification for %s answered %r", trade.merchant_trade_no, answer)
    return answer


def settle_pending_orders() -> dict[str, int]:
    """Nightly-style job (every few minutes): ask about pending orders, apply or expire them."""
    return orders_settle_pending(gateway=gateway(), now=timezone.now())


def invoice_issue_task(order_id: int) -> str:
    """Issue one paid order's e-invoice (enqueued when the payment commits)."""
    invoice = order_invoice_issue(order_id=order_id, client=invoice_client(), now=timezone.now())
    return invoice.status if invoice else ""


def retry_invoices() -> dict[str, int]:
    """Every 10 minutes: issue the invoices still owed (failed ones, and pending ones whose task was lost)."""
    return invoices_retry(client=invoice_client(), now=timezone.now())
