"""Refunding what is left of an order: the owner asks, Finance approves or rejects.

Contract:
1. `order_refund_assess` is the one rule for what may be refunded and for how much; the order page's
   confirmation step and `order_refund_request` both call it.
   - Only the order's owner; only an order whose vouchers were issued (issued, or partly refunded).
   - Each voucher still usable gives back its uses left × its allocated price per use
     (`vouchers.services.voucher_refund_value`); a pack that was partly used loses `Bundle.refund_fee_twd`.
2. Asking locks each voucher through `vouchers.services` (one `RefundRequest` per voucher); deciding
   approves or rejects them there, so the voucher rules and the ledger stay in one place.
3. Approval pays back the amount: ECPay's credit-card refund (DoAction, Action=R) when ECPay took the
   money by card, otherwise a bank transfer Finance records with its reference. Then the e-invoice is
   voided (the whole order refunded, nothing used, within the invoice's two-month period) or an
   allowance (折讓) is issued for the amount. An e-invoice failure does not undo the refund: it is on
   the order's timeline for Finance.
The provider's refund is called last before saving, under the order's lock, so a refusal from ECPay
leaves everything as it was.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member
from vouchers.models import Order, Voucher
from vouchers.services import (
    refund_approve,
    refund_reject,
    voucher_refund_request_in_order,
    voucher_refund_value,
)

from .. import signals
from ..exceptions import (
    InvoiceNotConfigured,
    InvoiceRejected,
    RefundAlreadyRefunded,
    RefundDecided,
    RefundNothingLeft,
    RefundNotPaid,
    RefundNotYours,
    RefundPending,
    RefundReferenceNeeded,
)
from ..invoicing.ecpay import InvoiceClient
from ..invoicing.periods import invoice_voidable
from ..models import Invoice, OrderEvent, OrderRefund, Payment
from ..payments.ecpay import Gateway
from ._events import SHOP_SYSTEM, order_event

REFUNDABLE = (Order.Status.ISSUED, Order.Status.PARTLY_REFUNDED)


@dataclass(frozen=True)
class RefundQuote:
    vouchers: list[tuple[Voucher, int]]
    value_twd: int
    fee_twd: int
    amount_twd: int
    partly_used: bool


def order_refund_assess(order: Order, *, member: Member, now: datetime | None = None) -> RefundQuote:
    """What refunding `order` now would give back, or the RefundRefused that says why not."""
    now = now or timezone.now()
    if order.member_id != member.pk:
        raise RefundNotYours()
    if order.status == Order.Status.REFUNDED:
        raise RefundAlreadyRefunded()
    if order.status not in REFUNDABLE:
        raise RefundNotPaid()
    if OrderRefund.objects.filter(order=order, status=OrderRefund.Status.REQUESTED).exists():
        raise RefundPending()
    vouchers = list(Voucher.objects.filter(order=order).order_by("pk"))
    left = [(v, value) for v in vouchers if (value := voucher_refund_value(v, now=now)) > 0]
    partly_used = any(v.uses_left < v.uses_total for v in vouchers)
    value = sum(value for _, value in left)
    fee = order.bundle.refund_fee_twd if order.bundle_id and partly_used else 0
    amount = max(value - fee, 0)
    if not left or amount == 0:
        raise RefundNothingLeft()
    return RefundQuote(
        vouchers=left, value_twd=value, fee_twd=fee, amount_twd=amount, partly_used=partly_used
    )


def _order_for_update(order_id: int) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("bundle").get(pk=order_id)


def order_refund_request(
    *, order: Order, member: Member, reason: str = "", now: datetime | None = None
) -> OrderRefund:
    """The owner asks for the refund the assessment quotes; the vouchers are locked until Finance decides."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _order_for_update(order.pk)
        quote = order_refund_assess(locked, member=member, now=now)
        actor = Actor.owner(member)
        requests = [
            voucher_refund_request_in_order(voucher=v, member=member, reason=reason, actor=actor, now=now)
            for v, _value in quote.vouchers
        ]
        value = sum(r.amount_twd for r in requests)
        refund = OrderRefund.objects.create(
            order=locked,
            value_twd=value,
            fee_twd=quote.fee_twd,
            amount_twd=max(value - quote.fee_twd, 0),
            partly_used=quote.partly_used,
            reason=fit_to_column(OrderRefund, "reason", reason),
            requested_at=now,
        )
        refund.voucher_requests.set(requests)
        order_event(
            locked, OrderEvent.Kind.REFUND_REQUESTED, at=now, actor=actor, note=f"NT${refund.amount_twd:,}"
        )
    return refund


def _refund_for_update(refund: OrderRefund) -> tuple[Order, OrderRefund]:
    order = _order_for_update(refund.order_id)
    locked = OrderRefund.objects.select_for_update().get(pk=refund.pk)
    if locked.status != OrderRefund.Status.REQUESTED:
        raise RefundDecided()
    return order, locked


def _correct_invoice(
    order: Order, refund: OrderRefund, *, full: bool, client: InvoiceClient, now: datetime
) -> None:
    invoice = Invoice.objects.select_for_update().filter(order=order).first()
    if invoice is None or invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.ALLOWANCE):
        # Never issued: there is nothing at ECPay to correct (the task does not invoice a refunded order).
        order_event(
            order,
            OrderEvent.Kind.INVOICE_FAILED,
            at=now,
            actor=SHOP_SYSTEM,
            note=_("The e-invoice was not issued: correct it by hand if it is issued later."),
        )
        return
    issued_on = timezone.localtime(invoice.issued_at).date()
    try:
        if invoice_voidable(
            issued_at=invoice.issued_at, now=now, full_refund=full and not invoice.allowance_total_twd
        ):
            client.void(number=invoice.number, issued_on=issued_on, reason=_("Refund"), now=now)
            invoice.status, invoice.voided_at = Invoice.Status.VOIDED, now
            refund.invoice_action = OrderRefund.InvoiceAction.VOID
            kind, note = OrderEvent.Kind.INVOICE_VOIDED, invoice.number
        else:
            allowance = client.allowance(
                number=invoice.number,
                issued_on=issued_on,
                amount_twd=refund.amount_twd,
                item_name=str(order.bundle or order.definition or _("Service vouchers")),
                now=now,
            )
            invoice.status = Invoice.Status.ALLOWANCE
            invoice.allowances = [
                *invoice.allowances,
                {"number": allowance.number, "amount_twd": refund.amount_twd, "at": now.isoformat()},
            ]
            invoice.allowance_total_twd += refund.amount_twd
            refund.invoice_action, refund.allowance_number = (
                OrderRefund.InvoiceAction.ALLOWANCE,
                allowance.number,
            )
            kind, note = OrderEvent.Kind.INVOICE_ALLOWANCE, f"{allowance.number} NT${refund.amount_twd:,}"
    except (InvoiceRejected, InvoiceNotConfigured) as exc:
        order_event(order, OrderEvent.Kind.INVOICE_FAILED, at=now, actor=SHOP_SYSTEM, note=exc.message)
        return
    invoice.save(update_fields=["status", "voided_at", "allowances", "allowance_total_twd"])
    order_event(order, kind, at=now, actor=SHOP_SYSTEM, note=note)


def order_refund_approve(
    *,
    refund: OrderRefund,
    actor: Actor,
    gateway: Gateway,
    invoice_client: InvoiceClient,
    reason: str = "",
    reference: str = "",
    now: datetime | None = None,
) -> OrderRefund:
    """Finance approves: vouchers refunded, money paid back, the e-invoice voided or allowed."""
    now = now or timezone.now()
    with transaction.atomic():
        order, locked = _refund_for_update(refund)
        card = (
            Payment.objects.filter(order=order, provider="ecpay", method=Payment.Method.CREDIT)
            .order_by("pk")
            .first()
        )
        if card is None and not reference.strip():
            raise RefundReferenceNeeded()
        for request in locked.voucher_requests.all():
            refund_approve(refund=request, actor=actor, reason=reason, with_order=True, now=now)
        full = (
            not locked.partly_used
            and not Voucher.objects.filter(order=order).exclude(status=Voucher.Status.REFUNDED).exists()
        )
        order.status = Order.Status.REFUNDED if full else Order.Status.PARTLY_REFUNDED
        order.save(update_fields=["status"])
        if card is not None:
            gateway.refund(merchant_trade_no=order.number, trade_no=card.trade_no, amount=locked.amount_twd)
            locked.method, locked.reference = OrderRefund.Method.ECPAY, card.trade_no
        else:
            locked.method, locked.reference = OrderRefund.Method.TRANSFER, reference.strip()[:40]
        order_event(
            order,
            OrderEvent.Kind.REFUNDED,
            at=now,
            actor=actor,
            note=f"NT${locked.amount_twd:,} {locked.get_method_display()} {locked.reference} {reason}",
        )
        _correct_invoice(order, locked, full=full, client=invoice_client, now=now)
        _decide(locked, OrderRefund.Status.APPROVED, actor, reason, now)
        signals.order_refunded.send(Order, order=order, refund=locked, now=now)
    return locked


def order_refund_reject(
    *, refund: OrderRefund, actor: Actor, reason: str, now: datetime | None = None
) -> OrderRefund:
    """Finance refuses, with a reason; the vouchers are usable again."""
    now = now or timezone.now()
    with transaction.atomic():
        order, locked = _refund_for_update(refund)
        for request in locked.voucher_requests.all():
            refund_reject(refund=request, actor=actor, reason=reason, with_order=True, now=now)
        order_event(order, OrderEvent.Kind.REFUND_REJECTED, at=now, actor=actor, note=reason)
        _decide(locked, OrderRefund.Status.REJECTED, actor, reason, now)
    return locked


def _decide(refund: OrderRefund, status: str, actor: Actor, reason: str, now: datetime) -> None:
    refund.status = status
    refund.decided_at = now
    refund.decided_by_id = actor.user_id
    refund.decision_reason = fit_to_column(OrderRefund, "decision_reason", reason)
    refund.save()
