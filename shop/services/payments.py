"""Applying what the payment provider tells us: at most once per trade, under a lock on the order.

Contract of `order_payment_apply` (the only code that marks an order paid):
1. Every message received is recorded (`PaymentNotification`), whatever it leads to.
2. The order is locked (`SELECT … FOR UPDATE`) before anything about it is checked.
3. The amount must equal the order's; a trade number already applied is a duplicate and changes
   nothing; money for an order that is no longer open is recorded and flagged for Finance.
4. A pending order becomes paid, then its vouchers are issued (`order_issue`, itself idempotent).
The owner's browser coming back never reaches this code.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import DomainError
from members.actors import Actor
from vouchers.locks import order_for_update
from vouchers.models import Order
from vouchers.services import order_issue

from .. import signals
from ..exceptions import OrderNotPayable, PaymentRejected
from ..models import OrderEvent, Payment, PaymentNotification
from ..payments.ecpay import Gateway, TradeResult
from ._events import order_event
from .invoices import order_invoice_enqueue
from .orders import order_expire

logger = logging.getLogger("shop.payments")
Outcome = PaymentNotification.Outcome
PROVIDER = "ecpay"
GATEWAY = Actor.system("ecpay")


def _record(
    *, source: str, payload: dict, outcome: str, reason: str = "", order=None, number="", remote_addr=None
):
    return PaymentNotification.objects.create(
        source=source,
        merchant_trade_no=str(number)[:40],
        order=order,
        payload=payload,
        outcome=outcome,
        reason=str(reason)[:200],
        remote_addr=remote_addr,
    )


def payment_rejection_record(
    *, source: str, payload: dict, reason: str, remote_addr: str | None = None
) -> PaymentNotification:
    """A message that failed verification: kept and logged, and nothing else happens."""
    logger.warning("payment message rejected (%s) from %s: %s", source, remote_addr, reason)
    return _record(
        source=source,
        payload=payload,
        outcome=Outcome.REJECTED,
        reason=reason,
        number=payload.get("MerchantTradeNo", ""),
        remote_addr=remote_addr,
    )


def order_payment_apply(
    *,
    result: TradeResult,
    source: str,
    payload: dict,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> str:
    """Apply one verified statement about a trade; returns the outcome (see the module's contract)."""
    now = now or timezone.now()
    order = Order.objects.filter(number=result.merchant_trade_no).only("pk", "amount_twd").first()
    if order is None or result.amount != order.amount_twd:  # an order's amount never changes: no lock needed
        reason = "unknown order number" if order is None else "amount does not match"
        logger.warning("payment for %s rejected: %s (%s)", result.merchant_trade_no, reason, result.amount)
        _record(
            outcome=Outcome.REJECTED,
            reason=reason,
            source=source,
            payload=payload,
            order=order,
            number=result.merchant_trade_no,
            remote_addr=remote_addr,
        )
        raise PaymentRejected(
            reason=_("unknown order number") if order is None else _("the amount does not match the order")
        )
    with transaction.atomic():
        locked = order_for_update(order.pk)
        record = dict(
            source=source, payload=payload, order=locked, number=locked.number, remote_addr=remote_addr
        )
        order_event(locked, OrderEvent.Kind.NOTIFIED, at=now, actor=GATEWAY)
        if not result.paid:
            _record(outcome=Outcome.NOT_PAID, reason=result.message, **record)
            return Outcome.NOT_PAID
        if Payment.objects.filter(provider=PROVIDER, trade_no=result.trade_no).exists():
            _record(outcome=Outcome.DUPLICATE, **record)
            return Outcome.DUPLICATE
        Payment.objects.create(
            order=locked,
            provider=PROVIDER,
            trade_no=result.trade_no,
            method=result.method,
            amount_twd=result.amount,
            paid_at=result.paid_at or now,
        )
        if locked.status != Order.Status.PENDING:
            # Money arrived for an order that expired, was cancelled or was paid another way.
            note = _("Money arrived for an order that is %(status)s.") % {
                "status": locked.get_status_display()
            }
            order_event(locked, OrderEvent.Kind.FLAGGED, at=now, actor=GATEWAY, note=note)
            logger.warning(
                "payment %s for %s order %s flagged", result.trade_no, locked.status, locked.number
            )
            _record(outcome=Outcome.FLAGGED, reason=locked.status, **record)
            return Outcome.FLAGGED
        locked.status = Order.Status.PAID
        locked.paid_at = result.paid_at or now
        locked.save(update_fields=["status", "paid_at"])
        order_event(locked, OrderEvent.Kind.PAID, at=now, actor=GATEWAY)
        _record(outcome=Outcome.APPLIED, **record)
        signals.order_paid.send(Order, order=locked, now=now)
        _issue(locked, now=now)
        order_invoice_enqueue(locked)
    return Outcome.APPLIED


def _issue(order: Order, *, now: datetime, actor: Actor = GATEWAY) -> None:
    """Issue the paid order's vouchers. A refusal (car sold meanwhile, stock gone) leaves the order
    paid and flagged for Finance instead of losing the payment."""
    try:
        with transaction.atomic():
            order_issue(order=order, actor=actor, now=now)
    except DomainError as exc:
        order_event(order, OrderEvent.Kind.FLAGGED, at=now, actor=actor, note=exc.message)
        return
    order_event(order, OrderEvent.Kind.ISSUED, at=now, actor=actor)


def orders_settle_pending(
    *, gateway: Gateway, now: datetime | None = None, limit: int = 500
) -> dict[str, int]:
    """Ask the provider about orders pending longer than SHOP_QUERY_PENDING_AFTER_MINUTES: apply what was
    paid, expire what ran out unpaid. A notification that never came cannot leave an order hanging."""
    now = now or timezone.now()
    since = now - timezone.timedelta(minutes=settings.SHOP_QUERY_PENDING_AFTER_MINUTES)
    waiting = Order.objects.filter(
        Q(created_at__lte=since) | Q(expires_at__lte=now), status=Order.Status.PENDING, number__isnull=False
    ).order_by("pk")[:limit]
    counts = {"paid": 0, "expired": 0, "waiting": 0, "errors": 0}
    for order in waiting:
        try:
            result = gateway.query(merchant_trade_no=order.number, now=now)
            outcome = order_payment_apply(
                result=result, source=PaymentNotification.Source.QUERY, payload={}, now=now
            )
        except (DomainError, OSError, IntegrityError) as exc:
            logger.warning("query for order %s failed: %s", order.number, exc)
            counts["errors"] += 1
            continue
        if outcome == Outcome.APPLIED:
            counts["paid"] += 1
        elif order_expire(order=order, now=now):
            counts["expired"] += 1
        else:
            counts["waiting"] += 1
    return counts


def order_payment_record(
    *,
    order: Order,
    method: str,
    reference: str,
    actor: Actor,
    reason: str = "",
    by_hand: bool = False,
    now: datetime | None = None,
) -> Order:
    """Money taken outside the gateway: a counter sale (cash, card terminal, transfer) or an order that
    Finance settles by hand after checking the money arrived (`by_hand`, with a reason, audited).

    The reference is the payment's trade number, so the same receipt cannot pay twice.
    """
    now = now or timezone.now()
    reference = reference.strip()
    if not reference:
        raise PaymentRejected(reason=_("a payment reference is needed"))
    if by_hand and not reason.strip():
        raise PaymentRejected(reason=_("a reason is needed"))
    with transaction.atomic():
        locked = order_for_update(order.pk)
        open_statuses = (Order.Status.PENDING, Order.Status.EXPIRED) if by_hand else (Order.Status.PENDING,)
        if locked.status not in open_statuses:
            raise OrderNotPayable()
        provider = f"manual:{method}"
        if Payment.objects.filter(provider=provider, trade_no=reference).exists():
            raise PaymentRejected(reason=_("this payment reference has been used already"))
        Payment.objects.create(
            order=locked,
            provider=provider,
            trade_no=reference,
            method=method,
            amount_twd=locked.amount_twd,
            paid_at=now,
        )
        locked.status = Order.Status.PAID
        locked.paid_at = now
        locked.save(update_fields=["status", "paid_at"])
        kind = OrderEvent.Kind.SETTLED_BY_HAND if by_hand else OrderEvent.Kind.PAID
        order_event(locked, kind, at=now, actor=actor, note=reason)
        signals.order_paid.send(Order, order=locked, now=now)
        _issue(locked, now=now, actor=actor)
        order_invoice_enqueue(locked)
    order.refresh_from_db()
    return order
