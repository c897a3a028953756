"""What a member did in a window: spend on paid vouchers and packs, and workshop visits.

Spend is what their orders paid in the window less what was refunded of them. A visit is a vehicle on
a day (a DMS repair order or a counter redemption; both on one day are one visit), counted while the
member owned the vehicle.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Sum
from django.utils import timezone

from redemption.models import Redemption
from shop.models import OrderRefund
from vehicles.models import Ownership, Visit
from vouchers.models import Order

from .dates import add_months


@dataclass(frozen=True)
class Activity:
    spend_twd: int
    visits: int


def window_start(now: datetime) -> datetime:
    return add_months(timezone.localtime(now), -12)


def member_activity(*, member_id: int, now: datetime) -> Activity:
    since = window_start(now)
    orders = Order.objects.filter(member_id=member_id, paid_at__gt=since, paid_at__lte=now)
    paid = orders.aggregate(total=Sum("amount_twd"))["total"] or 0
    refunded = (
        OrderRefund.objects.filter(order__in=orders, status=OrderRefund.Status.APPROVED).aggregate(
            total=Sum("value_twd")
        )["total"]
        or 0
    )
    periods = list(
        Ownership.objects.filter(member_id=member_id).values_list("vehicle_id", "started_at", "ended_at")
    )
    days: set[tuple[int, object]] = set()
    if periods:
        vehicle_ids = {vehicle_id for vehicle_id, _s, _e in periods}
        first_day, last_day = timezone.localdate(since), timezone.localdate(now)
        seen = list(
            Visit.objects.filter(
                vehicle_id__in=vehicle_ids, visited_on__gt=first_day, visited_on__lte=last_day
            ).values_list("vehicle_id", "visited_on")
        )
        for vehicle_id, completed_at in Redemption.objects.filter(
            vehicle_id__in=vehicle_ids,
            status=Redemption.Status.COMPLETED,
            completed_at__gt=since,
            completed_at__lte=now,
        ).values_list("vehicle_id", "completed_at"):
            seen.append((vehicle_id, timezone.localdate(completed_at)))
        for vehicle_id, day in seen:
            if any(
                v == vehicle_id
                and timezone.localdate(start) <= day
                and (end is None or day <= timezone.localdate(end))
                for v, start, end in periods
            ):
                days.add((vehicle_id, day))
    return Activity(spend_twd=max(0, paid - refunded), visits=len(days))
