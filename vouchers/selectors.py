"""Read-side queries about vouchers shared by the counter, the portal, the API and the back office."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from vehicles.models import AuthorisedDriver, Ownership, Vehicle

from .codes import code_parse
from .exceptions import VoucherNotFound
from .models import LedgerEntry, Voucher, VoucherDefinition

Status = Voucher.Status
Holder = VoucherDefinition.HolderType


VOUCHER_RELATED = ("definition", "vehicle", "vehicle__model", "member")


def voucher_by_code(raw: str, *, related: tuple[str, ...] = VOUCHER_RELATED) -> Voucher:
    """The voucher a typed or scanned code names. Raises CodeMalformed, CodeMistyped or VoucherNotFound.
    `related`: the rows read with it (a caller that locks and reads the voucher again anyway, such
    as a redemption, needs fewer)."""
    code = code_parse(raw)
    try:
        return Voucher.objects.select_related(*related).get(code=code)
    except Voucher.DoesNotExist as exc:
        raise VoucherNotFound() from exc


def vouchers_with_rules(queryset: QuerySet[Voucher]) -> QuerySet[Voucher]:
    """Everything eligibility and the card need, in a constant number of queries."""
    return queryset.select_related("definition", "vehicle", "vehicle__model", "member").prefetch_related(
        "definition__allowed_models", "definition__allowed_dealers"
    )


def vouchers_for_vehicle(vehicle: Vehicle) -> QuerySet[Voucher]:
    """Vouchers that can be presented with this car: its own, and member-held ones of its people."""
    member_ids = list(
        Ownership.objects.current().filter(vehicle=vehicle).values_list("member_id", flat=True)
    ) + list(AuthorisedDriver.objects.current().filter(vehicle=vehicle).values_list("member_id", flat=True))
    portable = Q(vehicle__isnull=True, member_id__in=member_ids)
    return vouchers_with_rules(Voucher.objects.filter(Q(vehicle=vehicle) | portable)).order_by(
        "valid_until", "pk"
    )


def vouchers_of_member(member_id: int) -> QuerySet[Voucher]:
    """Vouchers held by the member themself (usable with any of their cars)."""
    return vouchers_with_rules(Voucher.objects.filter(member_id=member_id, vehicle__isnull=True))


@dataclass(frozen=True)
class Labels:
    """Derived, never stored: shown as badges."""

    new: bool
    expiring_soon: bool
    not_yet_valid: bool


def voucher_labels(voucher: Voucher, *, now: datetime) -> Labels:
    definition = voucher.definition
    usable_status = voucher.status in (Status.ACTIVE, Status.INACTIVE, Status.HELD)
    new_window = timedelta(days=settings.VOUCHERS_NEW_BADGE_DAYS)
    return Labels(
        new=usable_status and now - voucher.issued_at <= new_window,
        expiring_soon=usable_status
        and voucher.valid_until is not None
        and now <= voucher.valid_until <= now + timedelta(days=definition.warn_days),
        not_yet_valid=usable_status and voucher.valid_from is not None and now < voucher.valid_from,
    )


def ledger_drift() -> QuerySet[Voucher]:
    """Vouchers whose uses_left or status disagree with their ledger (should be none)."""
    ledger_sum = Coalesce(
        Subquery(
            LedgerEntry.objects.filter(voucher=OuterRef("pk"))
            .values("voucher")
            .annotate(total=Sum("delta"))
            .values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    last_status = Subquery(
        LedgerEntry.objects.filter(voucher=OuterRef("pk")).order_by("-pk").values("status_after")[:1]
    )
    issued_total = Subquery(
        LedgerEntry.objects.filter(voucher=OuterRef("pk"), kind=LedgerEntry.Kind.ISSUED).values("delta")[:1]
    )
    return Voucher.objects.annotate(
        ledger_uses=ledger_sum, ledger_status=last_status, ledger_issued=issued_total
    ).filter(
        ~Q(ledger_uses=F("uses_left"))
        | ~Q(ledger_status=F("status"))
        | ~Q(ledger_issued=F("uses_total"))
        | ~Exists(LedgerEntry.objects.filter(voucher=OuterRef("pk"), kind=LedgerEntry.Kind.ISSUED))
    )


def first_owner_vouchers_of(vehicle, member):
    """The open first-owner benefits `member` holds for `vehicle`: what a change of owner voids."""
    return Voucher.objects.filter(
        vehicle=vehicle,
        member=member,
        definition__holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE,
        status__in=[
            Voucher.Status.INACTIVE,
            Voucher.Status.ACTIVE,
            Voucher.Status.HELD,
            Voucher.Status.LOCKED,
        ],
    )
