"""Small hand-made data sets for the report tests; every expected figure is worked out in the tests."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from members.actors import Actor
from redemption.services import redemption_redeem, redemption_reverse
from vehicles.models import Visit
from vouchers.models import Order, Voucher
from vouchers.services import voucher_issue

TAIPEI = ZoneInfo("Asia/Taipei")
OPS = Actor.system("test")


def at(day: str, clock: str = "10:00") -> datetime:
    """A moment in Asia/Taipei."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=TAIPEI)


_seq = iter(range(1, 10_000))


def issue(definition, *, vehicle=None, member=None, order=None, when: str, source=Voucher.Source.MANUAL):
    return voucher_issue(
        definition=definition,
        source=source,
        vehicle=vehicle,
        member=member,
        order=order,
        now=at(when),
        actor=OPS,
    )[0]


def redeem(voucher, *, vehicle, dealer, when: str, clock: str = "10:00"):
    return redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        idempotency_key=f"k{next(_seq)}",
        actor=OPS,
        now=at(when, clock),
    )


def reverse(redemption, *, when: str):
    return redemption_reverse(
        redemption=redemption, reason="mistake", actor=OPS, enforce_window=False, now=at(when, "11:00")
    )


def visit(vehicle, dealer, day: str, kind=Visit.Kind.MAINTENANCE):
    return Visit.objects.create(
        vehicle=vehicle,
        dealer=dealer,
        visited_on=date.fromisoformat(day),
        repair_order=f"RO{next(_seq)}",
        kind=kind,
        source=Visit.Source.IMPORT,
    )


def order(
    *, member, vehicle=None, bundle=None, definition=None, channel, paid: str, amount: int, dealer=None
):
    return Order.objects.create(
        member=member,
        vehicle=vehicle,
        bundle=bundle,
        definition=definition,
        quantity=1,
        unit_price_twd=amount,
        amount_twd=amount,
        channel=channel,
        dealer=dealer,
        status=Order.Status.ISSUED,
        created_at=at(paid),
        paid_at=at(paid),
        issued_at=at(paid),
    )
