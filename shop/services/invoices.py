"""An order's e-invoice: stored with the order, issued once it is paid, retried when the service fails.

Contract of `order_invoice_issue` (the only code that issues an invoice):
1. The order is locked, then its invoice; an invoice already issued (or voided, or allowed) is left.
2. Only a paid order (paid or issued) is invoiced, at most SHOP_INVOICE_MAX_ATTEMPTS times.
3. The RelateNumber is the order number: ECPay refuses a second invoice for it, and the client then
   looks up the first one, so a retry after a lost answer records that invoice instead of a new one.
4. A failure is kept on the invoice (attempts, last error) and on the order's timeline.
The call to ECPay is made under the order's lock on purpose: two workers retrying one order wait for
each other instead of racing (the HTTP timeout bounds the wait).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vouchers.models import Order

from ..exceptions import InvoiceNotConfigured, InvoiceRejected
from ..invoicing.carriers import InvoiceDetails
from ..invoicing.ecpay import InvoiceClient, Sale
from ..models import Invoice, OrderEvent
from ._events import SHOP_SYSTEM, order_event

logger = logging.getLogger("shop.invoices")
ISSUE_TASK = "shop.tasks.invoice_issue_task"
INVOICEABLE = (Order.Status.PAID, Order.Status.ISSUED)
# What the invoice line counts, in the words printed on a Taiwanese invoice (not translated: the
# invoice is a tax document in Chinese whatever the buyer's language).
ITEM_WORD_PACK, ITEM_WORD_VOUCHER = "組", "張"


def invoice_details_store(*, order: Order, details: InvoiceDetails | None) -> Invoice:
    """Where the order's invoice goes, chosen when ordering (ECPay's carrier on the phone if not said).
    Called inside the transaction that creates the order."""
    details = details or InvoiceDetails()
    return Invoice.objects.create(
        order=order,
        carrier_kind=details.kind,
        carrier=details.carrier,
        donation_code=details.donation_code,
        tax_id=details.tax_id,
        title=details.title,
    )


def order_invoice_enqueue(order: Order) -> None:
    """Issue the invoice in a django-q2 task once the payment's transaction has committed."""
    from django_q.tasks import async_task

    order_id, number = order.pk, order.number
    transaction.on_commit(lambda: async_task(ISSUE_TASK, order_id, task_name=f"invoice-{number}-{order_id}"))


def _phone(raw: str) -> str:
    # ECPay wants the local form (09…); members keep E.164 (+8869…).
    return "0" + raw[4:] if raw.startswith("+886") else raw


def _sale(order: Order) -> Sale:
    member = order.member
    return Sale(
        relate_number=order.number or f"ORDER{order.pk}",
        item_name=str(order.bundle or order.definition or _("Service vouchers")),
        item_word=ITEM_WORD_PACK if order.bundle_id else ITEM_WORD_VOUCHER,
        quantity=order.quantity,
        unit_price_twd=order.unit_price_twd,
        amount_twd=order.amount_twd,
        customer_name=member.name,
        customer_phone=_phone(member.phone or ""),
        customer_email=member.email,
    )


def _details(invoice: Invoice) -> InvoiceDetails:
    return InvoiceDetails(
        kind=invoice.carrier_kind,
        carrier=invoice.carrier,
        donation_code=invoice.donation_code,
        tax_id=invoice.tax_id,
        title=invoice.title,
    )


def order_invoice_issue(
    *, order_id: int, client: InvoiceClient, now: datetime | None = None
) -> Invoice | None:
    """Issue the paid order's invoice unless it is issued already (see the module's contract)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("member").get(pk=order_id)
        invoice = Invoice.objects.select_for_update().filter(order=order).first()
        if invoice is None:  # an order placed before invoices were collected
            invoice = invoice_details_store(order=order, details=None)
        if invoice.status not in (Invoice.Status.PENDING, Invoice.Status.FAILED):
            return invoice
        if (
            order.status not in INVOICEABLE
            or not order.amount_twd
            or invoice.attempts >= settings.SHOP_INVOICE_MAX_ATTEMPTS
        ):
            return invoice
        invoice.attempts += 1
        try:
            issued = client.issue(sale=_sale(order), details=_details(invoice), now=now)
        except (InvoiceRejected, InvoiceNotConfigured) as exc:
            logger.warning(
                "invoice for order %s failed (attempt %s): %s", order.number, invoice.attempts, exc
            )
            invoice.status = Invoice.Status.FAILED
            invoice.last_error = exc.message[:200]
            invoice.save(update_fields=["status", "attempts", "last_error"])
            note = _("Attempt %(attempt)s of %(max)s: %(error)s") % {
                "attempt": invoice.attempts,
                "max": settings.SHOP_INVOICE_MAX_ATTEMPTS,
                "error": exc.message,
            }
            order_event(order, OrderEvent.Kind.INVOICE_FAILED, at=now, actor=SHOP_SYSTEM, note=note)
            return invoice
        invoice.status = Invoice.Status.ISSUED
        invoice.number, invoice.issued_at = issued.number, issued.issued_at
        invoice.random_number, invoice.last_error = issued.random_number, ""
        invoice.save(
            update_fields=["status", "number", "issued_at", "random_number", "attempts", "last_error"]
        )
        order_event(order, OrderEvent.Kind.INVOICED, at=now, actor=SHOP_SYSTEM, note=issued.number)
    return invoice


def invoices_retry(*, client: InvoiceClient, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Issue what is still owed: failed invoices under the attempt limit, and pending ones whose task
    should long have run (a lost task or a worker that was down)."""
    now = now or timezone.now()
    owed = (
        Invoice.objects.filter(order__status__in=INVOICEABLE, attempts__lt=settings.SHOP_INVOICE_MAX_ATTEMPTS)
        .filter(
            Q(status=Invoice.Status.FAILED)
            | Q(status=Invoice.Status.PENDING, order__paid_at__lte=now - timedelta(minutes=5))
        )
        .order_by("pk")
        .values_list("order_id", flat=True)[:limit]
    )
    counts = {"issued": 0, "failed": 0}
    for order_id in list(owed):
        invoice = order_invoice_issue(order_id=order_id, client=client, now=now)
        counts["issued" if invoice and invoice.status == Invoice.Status.ISSUED else "failed"] += 1
    return counts
