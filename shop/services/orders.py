"""Placing an order: what may be bought, for which car, how many, with its stock held while it waits."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from members.actors import Actor
from members.models import Dealer, Member
from vehicles.models import Vehicle
from vehicles.selectors import member_can_use_vehicle
from vouchers.codes import ALPHABET
from vouchers.locks import definition_for_update, order_for_update
from vouchers.models import BundleItem, Order, VoucherDefinition

from ..exceptions import OrderNotPayable, OutOfStock, QuantityOutOfRange, VehicleNotEligible
from ..invoicing.carriers import InvoiceDetails
from ..models import OrderEvent
from ..selectors import Product
from ._events import SHOP_SYSTEM, order_event
from .invoices import invoice_details_store

Channel = Order.Channel


def order_number_new(now: datetime) -> str:
    """`MerchantTradeNo`: ECPay allows 20 letters and digits. SV + yymmdd + 10 random characters."""
    return (
        "SV"
        + timezone.localtime(now).strftime("%y%m%d")
        + "".join(secrets.choice(ALPHABET) for _ in range(10))
    )


def _reserved_units(definition: VoucherDefinition, *, now: datetime) -> int:
    """Units of `definition` held by orders still waiting for payment."""
    waiting = Order.objects.filter(status=Order.Status.PENDING, expires_at__gt=now)
    direct = waiting.filter(definition=definition).aggregate(n=Sum("quantity"))["n"] or 0
    in_packs = (
        BundleItem.objects.filter(definition=definition, bundle__orders__in=waiting).aggregate(
            n=Sum(F("quantity") * F("bundle__orders__quantity"))
        )["n"]
        or 0
    )
    return direct + in_packs


def _require_stock(product: Product, quantity: int, *, now: datetime) -> None:
    """Lock every stocked definition in the product (in pk order) and check what is left for this order."""
    for definition, per_unit in sorted(product.contents, key=lambda c: c[0].pk):
        locked = definition_for_update(definition.pk)
        if locked.stock_total is None:
            continue
        left = locked.stock_total - locked.stock_issued - _reserved_units(locked, now=now)
        if per_unit * quantity > left:
            raise OutOfStock(left=max(left, 0) // per_unit)


def order_create(
    *,
    member: Member,
    vehicle: Vehicle,
    product: Product,
    quantity: int,
    channel: str = Channel.ONLINE,
    dealer: Dealer | None = None,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    invoice: InvoiceDetails | None = None,
    now: datetime | None = None,
) -> Order:
    """A pending order for `quantity` of `product` on `vehicle`, holding its stock until it expires.
    A replay with the same idempotency key returns the first order."""
    now = now or timezone.now()
    if idempotency_key:
        earlier = Order.objects.filter(idempotency_key=idempotency_key, member=member).first()
        if earlier is not None:
            return earlier
    maximum = settings.SHOP_MAX_QUANTITY
    if not 1 <= quantity <= maximum:
        raise QuantityOutOfRange(maximum=maximum)
    if not member_can_use_vehicle(member.pk, vehicle.pk) or not product.fits(vehicle):
        raise VehicleNotEligible()
    with transaction.atomic():
        _require_stock(product, quantity, now=now)
        order = Order.objects.create(
            number=order_number_new(now),
            member=member,
            vehicle=vehicle,
            bundle=product.bundle,
            definition=product.definition,
            quantity=quantity,
            unit_price_twd=product.price_twd,
            amount_twd=product.price_twd * quantity,
            channel=channel,
            dealer=dealer,
            idempotency_key=idempotency_key or None,
            status=Order.Status.PENDING,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.SHOP_RESERVATION_MINUTES),
        )
        order_event(order, OrderEvent.Kind.CREATED, at=now, actor=actor)
        invoice_details_store(order=order, details=invoice)
    return order


def order_require_payable(order: Order, *, now: datetime) -> None:
    """An order may go to the payment page while it is pending and its reservation holds."""
    if order.status != Order.Status.PENDING or (order.expires_at and order.expires_at <= now):
        raise OrderNotPayable()


def order_expire(*, order: Order, now: datetime | None = None) -> bool:
    """Close a pending order whose reservation has run out; True if this call closed it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = order_for_update(order.pk)
        if locked.status != Order.Status.PENDING or (locked.expires_at and locked.expires_at > now):
            return False
        locked.status = Order.Status.EXPIRED
        locked.save(update_fields=["status"])
        order_event(locked, OrderEvent.Kind.EXPIRED, at=now, actor=SHOP_SYSTEM)
    order.status = locked.status
    return True


def order_cancel(*, order: Order, actor: Actor, now: datetime | None = None) -> Order:
    """The buyer gives up a pending order; its stock is free again at once."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = order_for_update(order.pk)
        if locked.status != Order.Status.PENDING:
            raise OrderNotPayable()
        locked.status = Order.Status.CANCELLED
        locked.save(update_fields=["status"])
        order_event(locked, OrderEvent.Kind.CANCELLED, at=now, actor=actor)
    order.status = locked.status
    return locked
