"""Points for what members do: purchases, workshop visits (from the DMS or at the counter), and their
reversals. Each is keyed on the event, so a replay (a task run twice, a visit imported again) earns
nothing more.

One visit per vehicle per day earns: a counter redemption and the DMS's repair order of the same day
are one visit.
"""

from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from members.actors import Actor
from members.models import Member
from vouchers.models import Order

from ..models import PointsEntry
from ..rules import earn_assess
from .ledger import points_credit, points_reverse

Kind = PointsEntry.Kind
RULES = Actor.system("loyalty-rules")


def points_earn_for_order(*, order: Order, now: datetime | None = None) -> PointsEntry | None:
    """A paid order earns by the rules in force on the day it was paid."""
    now = now or timezone.now()
    if order.amount_twd <= 0 or order.paid_at is None:
        return None
    on = timezone.localdate(order.paid_at)
    earning = earn_assess(on=on, birthday=order.member.birthday, amount_twd=order.amount_twd)
    return points_credit(
        member=order.member_id,
        kind=Kind.PURCHASE,
        points=earning.points,
        key=f"order:{order.pk}",
        actor=RULES,
        data={
            "order": order.pk,
            "number": order.number or "",
            "amount_twd": order.amount_twd,
            **earning.as_data(),
        },
        now=now,
    )


def points_reverse_for_refund(
    *, order: Order, refund_id: int, value_twd: int, now: datetime | None = None
) -> PointsEntry | None:
    """A refund takes back the points its share of the order earned (rounded down, in the member's favour)."""
    earned = PointsEntry.objects.filter(key=f"order:{order.pk}").first()
    if earned is None or order.amount_twd <= 0:
        return None
    points = earned.delta * min(value_twd, order.amount_twd) // order.amount_twd
    return points_reverse(
        entry=earned,
        points=points,
        actor=RULES,
        key=f"refund:{refund_id}",
        data={"refund": refund_id, "value_twd": value_twd},
        now=now,
    )


def points_earn_for_visit(
    *, member: Member, vehicle_id: int, on: date, source: str, now: datetime | None = None
) -> PointsEntry | None:
    """A workshop visit earns the visit rules' points, once per vehicle and day."""
    earning = earn_assess(on=on, birthday=member.birthday, visit=True)
    return points_credit(
        member=member,
        kind=Kind.VISIT,
        points=earning.points,
        key=f"visit:{vehicle_id}:{on.isoformat()}",
        actor=RULES,
        data={"vehicle": vehicle_id, "on": on.isoformat(), "source": source, **earning.as_data()},
        now=now,
    )


def points_reverse_for_redemption(*, redemption_id: int, now: datetime | None = None) -> PointsEntry | None:
    """A reversed redemption takes back the visit points it earned (not a DMS visit's of the same day)."""
    earned = PointsEntry.objects.filter(
        Q(kind=Kind.VISIT) & Q(data__source=f"redemption:{redemption_id}")
    ).first()
    if earned is None:
        return None
    return points_reverse(
        entry=earned,
        points=earned.delta,
        actor=RULES,
        key=f"redemption-reversed:{redemption_id}",
        data={"redemption": redemption_id},
        now=now,
    )
