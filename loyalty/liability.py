"""Outstanding points at a moment: what the points liability in the reports is made of.

Read from the lots, not from the balances: a lot earned before the moment and not yet expired at it
holds its points less what entries written before the moment took from it (spent, reversed) or gave
back to it (returned). A lot past its expiry counts nothing even when the nightly sweep has not yet
written its `expired` entry, so the figure does not depend on when the sweep ran; once it has run, the
total equals the sum of the ledger's deltas up to the moment (tests/loyalty/test_liability.py).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from .models import LotUse, PointsLot, Programme, TierChange, TierLevel


@dataclass(frozen=True)
class Outstanding:
    tier: TierLevel | None  # the member's tier at the moment (tier history); None before any
    expires: date  # first day of the month (Asia/Taipei) the points expire in
    points: int

    def value(self, point_value: Decimal) -> Decimal:
        return point_value * self.points


def point_value() -> Decimal:
    return Programme.current().point_value_twd


def points_outstanding(*, at: datetime) -> list[Outstanding]:
    """Outstanding points at `at`, per tier held then and per expiry month, by tier rank and month."""
    used = (
        LotUse.objects.filter(lot=OuterRef("pk"), entry__created_at__lt=at)
        .order_by()
        .values("lot")
        .annotate(total=Sum("points"))
        .values("total")
    )
    tier = (
        TierChange.objects.filter(account=OuterRef("account"), created_at__lt=at)
        .order_by("-created_at", "-pk")
        .values("to_tier")[:1]
    )
    rows = (
        PointsLot.objects.filter(entry__created_at__lt=at, expires_at__gt=at)
        .annotate(
            used=Coalesce(Subquery(used, output_field=IntegerField()), Value(0)),
            tier_id=Subquery(tier, output_field=IntegerField()),
            month=TruncMonth("expires_at", tzinfo=timezone.get_current_timezone()),
        )
        .order_by()
        .values("tier_id", "month")
        .annotate(points=Sum(F("points") - F("used")))
    )
    tiers = {t.pk: t for t in TierLevel.objects.all()}
    found = [
        Outstanding(tier=tiers.get(r["tier_id"]), expires=_as_date(r["month"]), points=r["points"])
        for r in rows
        if r["points"]
    ]
    return sorted(found, key=lambda o: (o.tier.rank if o.tier else 0, o.expires))


def _as_date(month) -> date:
    return timezone.localtime(month).date() if isinstance(month, datetime) else month
