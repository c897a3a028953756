"""Read-side queries about vouchers shared by the counter, the portal, the API and the back office."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from config.compiled_query import compiled_queryset
from config.prepared import PreparedSelect, Read
from members.models import Dealer, Member
from vehicles.models import AuthorisedDriver, Ownership, Vehicle, VehicleModel
from vehicles.selectors import member_ownership_facts, vehicles_of_member

from .claims import ClaimantFacts
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
    prepared, values = voucher_by_code_read(raw, related=related)
    try:
        return prepared.get(**values)
    except Voucher.DoesNotExist as exc:
        raise VoucherNotFound() from exc


def voucher_by_code_read(raw: str, *, related: tuple[str, ...] = VOUCHER_RELATED) -> Read:
    """The read `voucher_by_code` makes, to read it with others (`config.prepared.read_together`).
    Raises CodeMalformed or CodeMistyped."""
    code = code_parse(raw)
    prepared = _BY_CODE.get(related)
    if prepared is None:  # the statement is prepared once per set of related rows (`config.prepared`)
        prepared = _BY_CODE.setdefault(
            related,
            PreparedSelect(lambda code: Voucher.objects.select_related(*related).filter(code=code), code=str),
        )
    return prepared, {"code": code}


_BY_CODE: dict[tuple[str, ...], PreparedSelect] = {}


def vouchers_with_rules(queryset: QuerySet[Voucher]) -> QuerySet[Voucher]:
    """Everything eligibility and the card need, in a constant number of queries."""
    return queryset.select_related("definition", "vehicle", "vehicle__model", "member").prefetch_related(
        "definition__allowed_models", "definition__allowed_dealers"
    )


def _concrete_attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _restrictions_query(**ids: int) -> QuerySet:
    """The allowed models and dealers of the definitions `ids` names, as one union ordered by kind,
    then as each model orders itself (`definitions_load_restrictions`)."""
    model_fields, dealer_fields = _concrete_attnames(VehicleModel), _concrete_attnames(Dealer)

    def columns(prefix: str, fields: list[str], own: str, model) -> dict:
        # Each part fills its own columns and NULLs the other part's, so each column keeps one type.
        return {
            f"{prefix}{name}": F(f"{own}__{name}")
            if own
            else Value(None, output_field=model._meta.get_field(name))
            for name in fields
        }

    def part(through, kind: int, own_model: str, own_dealer: str):
        return (
            through.objects.filter(voucherdefinition_id__in=list(ids.values()))
            .values(
                definition_ref=F("voucherdefinition_id"),
                kind=Value(kind),
                **columns("m_", model_fields, own_model, VehicleModel),
                **columns("d_", dealer_fields, own_dealer, Dealer),
            )
            .order_by()
        )

    models_part = part(VoucherDefinition.allowed_models.through, 0, "vehiclemodel", "")
    dealers_part = part(VoucherDefinition.allowed_dealers.through, 1, "", "dealer")
    ordering = [f"m_{name}" for name in VehicleModel._meta.ordering] + [
        f"d_{name}" for name in Dealer._meta.ordering
    ]
    return models_part.union(dealers_part, all=True).order_by("kind", *ordering, "m_id", "d_id")


def definitions_load_restrictions(definitions: Iterable[VoucherDefinition]) -> None:
    """Load the allowed models and dealers of many definitions in one query (a `prefetch_related`
    of both costs two), so `definition.allowed_models.all()` and `definition.allowed_dealers.all()`
    then cost nothing. Every instance of one definition (each `select_related` row has its own)
    gets the lists, in the order the prefetch gives (the models' own ordering)."""
    definitions = [d for d in definitions if d is not None]
    ids = sorted({d.pk for d in definitions})
    if not ids:
        return
    model_fields, dealer_fields = _concrete_attnames(VehicleModel), _concrete_attnames(Dealer)
    # Compiled once per number of definitions (`config.compiled_query`): building and compiling
    # the union cost the counter's vehicle page more than the database spends on it.
    rows = compiled_queryset(
        ("definitions_load_restrictions", len(ids)),
        _restrictions_query,
        **{f"id{number}": pk for number, pk in enumerate(ids)},
    )
    allowed: dict[int, dict[str, list]] = {pk: {"allowed_models": [], "allowed_dealers": []} for pk in ids}
    db = rows.db
    for row in rows:
        if row["kind"] == 0:
            found = VehicleModel.from_db(db, model_fields, [row[f"m_{name}"] for name in model_fields])
            allowed[row["definition_ref"]]["allowed_models"].append(found)
        else:
            found = Dealer.from_db(db, dealer_fields, [row[f"d_{name}"] for name in dealer_fields])
            allowed[row["definition_ref"]]["allowed_dealers"].append(found)
    for definition in definitions:
        cache = definition.__dict__.setdefault("_prefetched_objects_cache", {})
        for name, found in allowed[definition.pk].items():
            # What `prefetch_related` stores: the related manager's queryset holding its results.
            queryset = getattr(definition, name).all()
            queryset._result_cache = list(found)
            queryset._prefetch_done = True
            cache[name] = queryset


def vouchers_with_definitions(queryset: QuerySet[Voucher]) -> list[Voucher]:
    """The vouchers with their definitions and the definitions' restrictions (what cards and
    eligibility read) in three queries however many vouchers. The vouchers of one definition share
    one instance of it: a `select_related` builds one per voucher, with every column of the
    definition, which costs more than the query for a wallet of hundreds."""
    vouchers = list(queryset)
    ids = {voucher.definition_id for voucher in vouchers}
    if not ids:
        return vouchers
    definitions = VoucherDefinition.objects.in_bulk(ids)
    definitions_load_restrictions(definitions.values())
    for voucher in vouchers:
        voucher.definition = definitions[voucher.definition_id]
    return vouchers


def vehicle_people_ids(vehicle: Vehicle) -> list[int]:
    """The members who may present member-held vouchers with this car: its owner and drivers."""
    return list(
        Ownership.objects.current().filter(vehicle=vehicle).values_list("member_id", flat=True)
    ) + list(AuthorisedDriver.objects.current().filter(vehicle=vehicle).values_list("member_id", flat=True))


def vouchers_presentable_with(vehicle: Vehicle, *, people_ids: Iterable[int]) -> QuerySet[Voucher]:
    """Vouchers that can be presented with this car: its own, and member-held ones of `people_ids`
    (the car's current owner and drivers, `vehicle_people_ids`)."""
    portable = Q(vehicle__isnull=True, member_id__in=list(people_ids))
    return Voucher.objects.filter(Q(vehicle=vehicle) | portable).order_by("valid_until", "pk")


def vouchers_for_vehicle(vehicle: Vehicle) -> QuerySet[Voucher]:
    """Vouchers that can be presented with this car: its own, and member-held ones of its people."""
    return vouchers_with_rules(vouchers_presentable_with(vehicle, people_ids=vehicle_people_ids(vehicle)))


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


def claimant_facts(
    member: Member, *, definition_ids: list[int], vehicle_ids: list[int] | None = None
) -> ClaimantFacts:
    """What `claim_assessment` needs about `member`: their tier, the vehicles they may use, their
    ownership history and the vouchers of `definition_ids` held by them or by `vehicle_ids` (default:
    every vehicle they may use). A constant number of queries however many definitions."""
    usable = frozenset(vehicles_of_member(member).values_list("pk", flat=True))
    wanted_vehicles = sorted(usable if vehicle_ids is None else set(vehicle_ids))
    rows = (
        Voucher.objects.filter(definition_id__in=definition_ids)
        .filter(Q(member=member, vehicle__isnull=True) | Q(vehicle_id__in=wanted_vehicles))
        .values("definition_id", "vehicle_id", "member_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    held: dict = {}
    for row in rows:
        key = (row["definition_id"], row["vehicle_id"], row["member_id"])
        held[key] = held.get(key, 0) + row["n"]
    return ClaimantFacts(
        member_id=member.pk,
        tier=member.tier,
        usable_vehicle_ids=usable,
        ownership=member_ownership_facts(member.pk),
        held=held,
    )
