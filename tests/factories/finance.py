"""Money scenarios for finance tests: paid vouchers bought through an order, at a given moment."""

from datetime import datetime
from zoneinfo import ZoneInfo

from members.models import Dealer
from vouchers.models import Order, Voucher, VoucherDefinition
from vouchers.services import order_issue

from .shop import paid_definition
from .vehicles import OwnedVehicleFactory

TAIPEI = ZoneInfo("Asia/Taipei")


def taipei(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TAIPEI)


def bought_voucher(
    *,
    amount: int,
    uses: int = 1,
    category: str = VoucherDefinition.Category.WASH,
    at: datetime,
    channel: str = Order.Channel.ONLINE,
    dealer: Dealer | None = None,
    definition: VoucherDefinition | None = None,
    **definition_fields,
) -> Voucher:
    """One paid voucher of `uses` uses bought for `amount` in its own order, paid and issued at `at`."""
    definition = definition or paid_definition(category=category, uses_per_voucher=uses, **definition_fields)
    vehicle = OwnedVehicleFactory()
    member = vehicle.ownerships.get().member
    order = Order.objects.create(
        member=member,
        vehicle=vehicle,
        definition=definition,
        quantity=1,
        unit_price_twd=amount,
        amount_twd=amount,
        channel=channel,
        dealer=dealer,
        status=Order.Status.PAID,
        created_at=at,
        paid_at=at,
    )
    (voucher,) = order_issue(order=order, now=at)
    voucher.refresh_from_db()
    return voucher
