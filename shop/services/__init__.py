"""The shop's use cases: one function each (see the modules for their contracts)."""

from .invoices import invoice_details_store, invoices_retry, order_invoice_enqueue, order_invoice_issue
from .orders import order_cancel, order_create, order_expire, order_require_payable
from .payments import (
    order_payment_apply,
    order_payment_record,
    orders_settle_pending,
    payment_rejection_record,
)
from .refunds import order_refund_approve, order_refund_assess, order_refund_reject, order_refund_request

__all__ = [
    "invoice_details_store",
    "invoices_retry",
    "order_cancel",
    "order_create",
    "order_expire",
    "order_invoice_enqueue",
    "order_invoice_issue",
    "order_payment_apply",
    "order_payment_record",
    "order_refund_approve",
    "order_refund_assess",
    "order_refund_reject",
    "order_refund_request",
    "order_require_payable",
    "orders_settle_pending",
    "payment_rejection_record",
]
