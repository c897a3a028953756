"""What an owner may see. Every portal read goes through these, so scoping to the signed-in member
(the rule that makes foreign ids answer 404) lives in one place.

An owner sees:
- the vehicles they currently own or are authorised to drive;
- the vouchers held by those vehicles, unless held together with a member other than themselves
  or the car's current owner (a previous owner's first-owner benefits stay private);
- their own member-held vouchers (usable with any of their cars).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum

from members.models import Member
from redemption.models import Redemption
from vehicles.models import Ownership, Vehicle
from vehicles.selectors import open_alerts_exist, vehicles_of_member
from vouchers.models import RefundRequest, Voucher, VoucherDefinition
from vouchers.selectors import vouchers_with_definitions, vouchers_with_rules

Status = Voucher.Status
OPEN_STATUSES = (Status.ACTIVE, Status.INACTIVE, Status.HELD)
WALLET_FIELDS = (
    "definition",
    "member",
    "vehicle",
    "status",
    "uses_total",
    "uses_left",
    "valid_from",
    "valid_until",
    "issued_at",
)


def vehicle_ids_of(member: Member) -> list[int]:
    return list(vehicles_of_member(member).values_list("pk", flat=True))


def _visible(member: Member, vehicle_ids: list[int]) -> Q:
    with_current_owner = Exists(
        Ownership.objects.current().filter(vehicle=OuterRef("vehicle_id"), member=OuterRef("member_id"))
    )
    return Q(vehicle__isnull=True, member=member) | (
        Q(vehicle_id__in=vehicle_ids) & (Q(member__isnull=True) | Q(member=member) | with_current_owner)
    )


def vouchers_visible_to(member: Member, *, vehicle_ids: list[int] | None = None) -> QuerySet[Voucher]:
    if vehicle_ids is None:
        vehicle_ids = vehicle_ids_of(member)
    return Voucher.objects.filter(_visible(member, vehicle_ids))


def owner_vehicle(member: Member, vehicle_id: int) -> Vehicle | None:
    """The vehicle if the member currently owns or drives it, else None (the view answers 404)."""
    return (
        vehicles_of_member(member)
        .select_related("model")
        .annotate(has_open_alerts=open_alerts_exist())
        .filter(pk=vehicle_id)
        .first()
    )


def owner_voucher(member: Member, voucher_id: int) -> Voucher | None:
    """The voucher if the member may see it, with everything its page needs, else None."""
    return vouchers_with_rules(vouchers_visible_to(member)).filter(pk=voucher_id).first()


def vehicle_wallet(member: Member, vehicle: Vehicle) -> list[Voucher]:
    """The vouchers an owner can present with this car (one they own or drive, `owner_vehicle`):
    the car's own they may see and their member-held ones. `_visible` for this one car says
    exactly that, so the car's other people need no look-up."""
    queryset = Voucher.objects.filter(_visible(member, [vehicle.pk])).order_by("valid_until", "pk")
    # What the page's cards and links read (CardMaker.card): a wallet of hundreds loads no more.
    return vouchers_with_definitions(queryset.only(*WALLET_FIELDS))


def member_wallet(member: Member) -> list[Voucher]:
    queryset = Voucher.objects.filter(member_id=member.pk, vehicle__isnull=True)
    return vouchers_with_definitions(queryset.order_by("valid_until", "pk"))


def usable_now(now: datetime) -> Q:
    return (
        Q(status__in=OPEN_STATUSES, uses_left__gt=0)
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=now))
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
    )


@dataclass
class WalletSummary:
    usable: int = 0
    uses_left: int = 0
    nearest_expiry: datetime | None = None


@dataclass
class VehicleSummary:
    vehicle: Vehicle
    is_owner: bool
    summary: WalletSummary


def _summaries(queryset: QuerySet[Voucher], group_by: str, now: datetime) -> dict:
    rows = (
        queryset.filter(usable_now(now))
        .values(group_by)
        .annotate(usable=Count("pk"), uses_left=Sum("uses_left"), nearest=Min("valid_until"))
        .order_by()
    )
    return {
        row[group_by]: WalletSummary(row["usable"], row["uses_left"] or 0, row["nearest"]) for row in rows
    }


def vehicle_summaries(member: Member, *, now: datetime) -> list[VehicleSummary]:
    """Each vehicle of the member with its usable vouchers, uses left and nearest expiry (3 queries)."""
    vehicles = list(vehicles_of_member(member))
    ids = [v.pk for v in vehicles]
    owned = set(
        Ownership.objects.current()
        .filter(member=member, vehicle_id__in=ids)
        .values_list("vehicle_id", flat=True)
    )
    per_vehicle = _summaries(
        vouchers_visible_to(member, vehicle_ids=ids).filter(vehicle_id__in=ids), "vehicle_id", now
    )
    return [VehicleSummary(v, v.pk in owned, per_vehicle.get(v.pk, WalletSummary())) for v in vehicles]


def member_wallet_summary(member: Member, *, now: datetime) -> WalletSummary:
    rows = _summaries(Voucher.objects.filter(member=member, vehicle__isnull=True), "member_id", now)
    return rows.get(member.pk, WalletSummary())


def voucher_redemptions(voucher: Voucher) -> list[Redemption]:
    """Each use of the voucher at a dealer, newest first (cancelled holds left out: nothing happened)."""
    return list(
        Redemption.objects.filter(voucher=voucher)
        .exclude(status=Redemption.Status.CANCELLED)
        .select_related("dealer", "vehicle")
        .order_by("-started_at", "-pk")
    )


def voucher_ledger(voucher: Voucher):
    return list(voucher.ledger.select_related("dealer").order_by("-created_at", "-pk"))


def voucher_refund_requests(voucher: Voucher) -> list[RefundRequest]:
    return list(voucher.refund_requests.order_by("-created_at", "-pk"))


def vehicle_service_history(vehicle: Vehicle) -> QuerySet[Redemption]:
    """The car's service book: every use of a voucher on it, newest first (paginated by the view)."""
    return (
        Redemption.objects.filter(vehicle=vehicle)
        .exclude(status=Redemption.Status.CANCELLED)
        .select_related("dealer", "voucher__definition")
        .order_by("-started_at", "-pk")
    )


def claimable_definitions(*, now: datetime) -> QuerySet[VoucherDefinition]:
    """Definitions open for self-claim now (published, claim channel on, inside the claim window)."""
    return (
        VoucherDefinition.objects.filter(status=VoucherDefinition.Status.PUBLISHED, channel_claim=True)
        .filter(Q(claim_starts_at__isnull=True) | Q(claim_starts_at__lte=now))
        .filter(Q(claim_ends_at__isnull=True) | Q(claim_ends_at__gte=now))
        .prefetch_related("claim_models", "allowed_models", "allowed_dealers")
        .order_by("claim_ends_at", "pk")
    )
