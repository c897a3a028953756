"""Reads of the loyalty app shared by pages, commands and reports."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from vouchers.exceptions import StockExhausted

from .activity import member_activity
from .exchange import exchange_refusals
from .models import (
    Exchange,
    ExchangeOffer,
    LotUse,
    PointsAccount,
    PointsEntry,
    PointsLot,
    Programme,
    Referral,
    ReferralCode,
    TierLevel,
)
from .tiers import tier_next


def _total(queryset, group: str, field: str):
    per = queryset.order_by().values(group).annotate(total=Sum(field)).values("total")
    return Coalesce(Subquery(per, output_field=IntegerField()), Value(0))


def points_drift() -> tuple:
    """(accounts, lots) that disagree with the ledger; both empty when everything agrees.

    An account drifts when its balance is not the sum of its entries, not its last entry's
    `balance_after`, or not what remains in its lots; a lot drifts when what remains in it is not
    what its uses leave.
    """
    last = PointsEntry.objects.filter(account=OuterRef("pk")).order_by("-pk").values("balance_after")[:1]
    accounts = PointsAccount.objects.annotate(
        ledger_balance=_total(PointsEntry.objects.filter(account=OuterRef("pk")), "account", "delta"),
        lots_balance=_total(PointsLot.objects.filter(account=OuterRef("pk")), "account", "remaining"),
        last_balance=Coalesce(Subquery(last, output_field=IntegerField()), Value(0)),
    ).filter(~Q(balance=F("ledger_balance")) | ~Q(balance=F("lots_balance")) | ~Q(balance=F("last_balance")))
    lots = PointsLot.objects.annotate(
        used=_total(LotUse.objects.filter(lot=OuterRef("pk")), "lot", "points")
    ).filter(~Q(remaining=F("points") - F("used")))
    return accounts.select_related("member").order_by("pk"), lots.order_by("pk")


# --- a member's points and tier -------------------------------------------------------------------

EXPIRY_WARNING_DAYS = 60  # points expiring within this many days are shown as "about to expire"


@dataclass(frozen=True)
class Expiring:
    on: date
    points: int


@dataclass(frozen=True)
class Progress:
    next_tier: TierLevel
    spend_needed: int  # NT$ still to spend (0 when met or not a way in)
    visits_needed: int
    measure: str


@dataclass
class Overview:
    balance: int
    tier: TierLevel | None
    since: datetime | None
    progress: Progress | None
    expiring: list[Expiring] = field(default_factory=list)
    history: list[PointsEntry] = field(default_factory=list)

    @property
    def expiring_total(self) -> int:
        return sum(item.points for item in self.expiring)


def points_expiring(account_id: int, *, now: datetime, days: int = EXPIRY_WARNING_DAYS) -> list[Expiring]:
    """Points that expire in the next `days`, by day, soonest first."""
    per_day: dict[date, int] = {}
    lots = PointsLot.objects.filter(
        account_id=account_id, remaining__gt=0, expires_at__gt=now, expires_at__lte=now + timedelta(days=days)
    ).order_by("expires_at")
    for expires_at, remaining in lots.values_list("expires_at", "remaining"):
        day = timezone.localdate(expires_at)
        per_day[day] = per_day.get(day, 0) + remaining
    return [Expiring(on=day, points=points) for day, points in per_day.items()]


def tier_progress(*, member_id: int, tier: TierLevel, now: datetime) -> Progress | None:
    """What is still needed for the next tier, measured as the nightly evaluation measures."""
    levels = list(TierLevel.objects.all())
    upcoming = tier_next(levels, tier)
    if upcoming is None:
        return None
    activity = member_activity(member_id=member_id, now=now)
    measure = Programme.current().tier_measure
    spend = max(0, upcoming.spend_twd - activity.spend_twd)
    visits = max(0, upcoming.visits - activity.visits)
    if measure == Programme.Measure.SPEND or (measure == Programme.Measure.EITHER and not upcoming.visits):
        visits = 0
    if measure == Programme.Measure.VISITS or (
        measure == Programme.Measure.EITHER and not upcoming.spend_twd
    ):
        spend = 0
    return Progress(next_tier=upcoming, spend_needed=spend, visits_needed=visits, measure=measure)


def points_overview(member, *, now: datetime | None = None, history: int = 50) -> Overview:
    now = now or timezone.now()
    account = PointsAccount.objects.filter(member=member).select_related("standing__tier").first()
    if account is None:
        return Overview(balance=0, tier=None, since=None, progress=None)
    standing = getattr(account, "standing", None)
    tier = standing.tier if standing else None
    return Overview(
        balance=account.balance,
        tier=tier,
        since=standing.since if standing else None,
        progress=tier_progress(member_id=member.pk, tier=tier, now=now) if tier else None,
        expiring=points_expiring(account.pk, now=now),
        history=list(account.entries.order_by("-pk")[:history]),
    )


@dataclass
class OfferView:
    offer: ExchangeOffer
    refusals: list = field(default_factory=list)
    used: int = 0

    @property
    def exchangeable(self) -> bool:
        return not self.refusals


def exchange_offers(member, *, now: datetime) -> tuple[int, list[OfferView]]:
    """(balance, active offers with why each cannot be taken now) for the claim centre."""
    account = PointsAccount.objects.filter(member=member).first()
    balance = account.balance if account else 0
    used: dict[int, int] = {}
    if account is not None:
        rows = (
            Exchange.objects.filter(account=account, status=Exchange.Status.DONE)
            .values("offer_id")
            .annotate(n=Count("pk"))
        )
        used = {row["offer_id"]: row["n"] for row in rows}
    offers = ExchangeOffer.objects.filter(active=True, definition__status="published").select_related(
        "definition"
    )
    views = []
    for offer in offers:
        refusals = exchange_refusals(offer, balance=balance, used=used.get(offer.pk, 0))
        definition = offer.definition
        if definition.stock_total is not None and definition.stock_issued >= definition.stock_total:
            refusals.append(StockExhausted())
        views.append(OfferView(offer=offer, refusals=refusals, used=used.get(offer.pk, 0)))
    return balance, views


def member_exchanges(member, *, limit: int = 20) -> list[Exchange]:
    return list(
        Exchange.objects.filter(account__member=member)
        .select_related("offer__definition", "voucher", "entry")
        .order_by("-pk")[:limit]
    )


# --- referrals ----------------------------------------------------------------------------------------


@dataclass
class ReferralOverview:
    code: str
    referrals: list[Referral]

    @property
    def points_earned(self) -> int:
        return sum(r.referrer_points for r in self.referrals if r.status == Referral.Status.REWARDED)

    @property
    def vouchers_earned(self) -> list:
        return [r.referrer_voucher for r in self.referrals if r.referrer_voucher_id]


def referral_overview(member, *, code: str, limit: int = 100) -> ReferralOverview:
    """The member's code and the friends they referred, newest first (the portal's referral page)."""
    referrals = list(
        Referral.objects.filter(referrer=member)
        .select_related("friend", "referrer_voucher__definition")
        .order_by("-created_at", "-pk")[:limit]
    )
    return ReferralOverview(code=code, referrals=referrals)


def referral_code_owner(code: str) -> ReferralCode | None:
    """The code's row with its member; None for no such code or an erased member's."""
    if not code:
        return None
    live = ReferralCode.objects.filter(code=code, member__erased_at__isnull=True)
    return live.select_related("member").first()
