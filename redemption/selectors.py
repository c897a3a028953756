"""Read-side queries of redemption: what the counter shows. Every query here has a bounded cost."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import CharField, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone

from config.compiled_query import compiled_queryset
from members.models import Dealer
from vehicles.identifiers import plate_search_key
from vehicles.models import AuthorisedDriver, Ownership, Vehicle, Visit
from vehicles.selectors import vehicles_of_member, vehicles_search
from vouchers.models import Voucher, VoucherDefinition
from vouchers.selectors import definitions_load_restrictions, vouchers_presentable_with

from .models import Redemption

Status = Redemption.Status
HISTORY_LIMIT = 50
SEARCH_LIMIT = 20


# The columns a list shows. Loading every column of the voucher and its definition (texts, images,
# rules) would cost more than the query; each join costs planning time, so lists join only these.
_LISTED = (
    *(f.name for f in Redemption._meta.concrete_fields),
    "voucher__code",
    "voucher__uses_total",
    "voucher__definition__name",
    "voucher__definition__card_title",
    "vehicle__plate",
    "dealer__name",
    "dealer__phone",
    "advisor__username",
    "advisor__dealer_staff__display_name",
)


def redemptions_with_people(queryset: QuerySet[Redemption]) -> QuerySet[Redemption]:
    """What a list of redemptions shows (voucher title, plate, dealer, advisor) in one query."""
    return queryset.select_related("voucher__definition", "vehicle", "dealer", "advisor__dealer_staff").only(
        *_LISTED
    )


def dealer_redemption(*, dealer: Dealer, redemption_id: int) -> Redemption | None:
    """A redemption of `dealer` as its receipt shows it; None for another dealer's or an unknown id
    (the caller answers 404)."""
    return (
        redemptions_with_people(Redemption.objects.filter(dealer=dealer, pk=redemption_id))
        .select_related("vehicle__model", "redeemed_entry", "reversed_by__dealer_staff")
        .only(
            *_LISTED,
            "vehicle__model__name",
            "redeemed_entry__uses_left_after",
            "reversed_by__username",
            "reversed_by__dealer_staff__display_name",
        )
        .first()
    )


@dataclass(frozen=True)
class HistoryRow:
    """One redemption of a vehicle's service history, as its row on the counter prints it."""

    pk: int
    started_at: datetime
    status: str
    dealer_id: int
    dealer_name: str
    advisor: str  # advisor_label
    title: str  # the definition's title
    mileage_km: int | None
    work_order: str


_HISTORY_COLUMNS = (
    "pk",
    "started_at",
    "status",
    "dealer_id",
    "dealer__name",
    "advisor__dealer_staff__display_name",
    "advisor__username",
    "voucher__definition__card_title",
    "voucher__definition__name",
    "mileage_km",
    "work_order",
)


def vehicle_service_history(vehicle: Vehicle, *, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The vehicle's redemptions at every dealer, newest first, read as columns: a car lists up to
    50, and seven model objects per row (the redemption, its voucher, definition, vehicle, dealer,
    advisor and staff row) cost the counter's busiest page more than the query (issue 15)."""
    build = lambda vehicle_id: _service_history(vehicle_id, limit)  # noqa: E731 - the limit shapes the SQL
    return [
        HistoryRow(
            pk=pk,
            started_at=started_at,
            status=status,
            dealer_id=dealer_id,
            dealer_name=dealer_name,
            advisor=advisor_label_from(display_name=display_name, username=username),
            title=VoucherDefinition.title_from(card_title=card_title, name=name),
            mileage_km=mileage_km,
            work_order=work_order,
        )
        for (
            pk,
            started_at,
            status,
            dealer_id,
            dealer_name,
            display_name,
            username,
            card_title,
            name,
            mileage_km,
            work_order,
        ) in compiled_queryset((_service_history, limit), build, vehicle_id=vehicle.pk)
    ]


def _service_history(vehicle_id: int, limit: int) -> QuerySet:
    queryset = Redemption.objects.filter(vehicle_id=vehicle_id).order_by("-started_at", "-pk")
    return queryset.values_list(*_HISTORY_COLUMNS)[:limit]


def open_holds_by_voucher(voucher_ids: Iterable[int]) -> dict[int, Redemption]:
    """The open (held) redemption of each voucher; at most one each (a database constraint)."""
    ids = list(voucher_ids)
    if not ids:
        return {}
    holds = Redemption.objects.filter(voucher_id__in=ids, status=Status.HELD).select_related(
        "dealer", "advisor__dealer_staff"
    )
    return {hold.voucher_id: hold for hold in holds}


def counter_vehicle_vouchers(vehicle: Vehicle, *, people_ids: Iterable[int]) -> list[Voucher]:
    """The vouchers the counter's vehicle page lists (`vouchers_presentable_with`), with what
    eligibility and the cards need and each held voucher's open hold (`voucher.open_hold`, with its
    dealer and advisor), in two queries however many vouchers: a voucher has at most one open hold
    (a database constraint), so joining it adds no rows."""
    people = list(people_ids)
    values = {"vehicle_id": vehicle.pk, **{f"person_{i}": pk for i, pk in enumerate(people)}}
    vouchers = list(compiled_queryset((_counter_vouchers, len(people)), _counter_vouchers, **values))
    definitions_load_restrictions(v.definition for v in vouchers)
    return vouchers


def _counter_vouchers(vehicle_id: int, **people: int) -> QuerySet[Voucher]:
    return (
        vouchers_presentable_with(Vehicle(pk=vehicle_id), people_ids=people.values())
        .annotate(open_hold=FilteredRelation("redemptions", condition=Q(redemptions__status=Status.HELD)))
        .select_related(
            "definition",
            "vehicle",
            "vehicle__model",
            "member",
            "open_hold__dealer",
            "open_hold__advisor__dealer_staff",
        )
    )


def vehicle_with_voucher(*, vehicle_id: int, voucher_id: int) -> tuple[Vehicle | None, Voucher | None]:
    """The vehicle, and the voucher if it can be presented with it (the set `vouchers_for_vehicle`
    lists: the car's own, and member-held ones of its current owner and drivers), in one query;
    None for an unknown vehicle, or a voucher that is unknown or not presentable with it.

    The voucher comes with its id and code only (the rest loads on first use, one query): a
    redemption locks and reads it again anyway, so the page's scope check costs no second query.
    """
    query = compiled_queryset(
        _vehicle_with_voucher, _vehicle_with_voucher, vehicle_id=vehicle_id, voucher_id=voucher_id
    )
    vehicle = next(iter(query), None)
    if vehicle is None or vehicle.voucher_code is None:
        return vehicle, None
    return vehicle, Voucher.from_db(vehicle._state.db, ["id", "code"], [voucher_id, vehicle.voucher_code])


def _vehicle_with_voucher(vehicle_id: int, voucher_id: int) -> QuerySet[Vehicle]:
    vehicle_ref = OuterRef(OuterRef("pk"))
    people = Q(
        member_id__in=Ownership.objects.current().filter(vehicle_id=vehicle_ref).values("member_id")
    ) | Q(member_id__in=AuthorisedDriver.objects.current().filter(vehicle_id=vehicle_ref).values("member_id"))
    presentable = Voucher.objects.filter(
        Q(vehicle_id=OuterRef("pk")) | (Q(vehicle__isnull=True) & people), pk=voucher_id
    )
    queryset = Vehicle.objects.annotate(voucher_code=Subquery(presentable.values("code")[:1]))
    return queryset.filter(pk=vehicle_id).order_by("pk")[:1]


def voucher_vehicles(voucher: Voucher) -> list[Vehicle]:
    """The vehicles a looked-up voucher can be presented with: its own car, or its holder's cars."""
    if voucher.vehicle_id is not None:
        return [voucher.vehicle]
    member = voucher.member
    if member is None and voucher.order_id is not None:
        order = voucher.order
        if order.vehicle_id is not None:
            return [order.vehicle]
        member = order.member
    if member is None:
        return []
    return list(vehicles_of_member(member)[:SEARCH_LIMIT])


@dataclass(frozen=True)
class VehicleMatches:
    vehicles: list[Vehicle]
    exact: bool
    truncated: bool


def counter_vehicles_matching(text: str, *, limit: int = SEARCH_LIMIT) -> VehicleMatches:
    """Vehicles for a search box: an exact plate (any spelling) or VIN first; else plates containing
    the text or VINs ending with it (advisors often type only the digits or the last six of a VIN)."""
    exact = list(vehicles_search(text, limit=limit))
    if exact:
        return VehicleMatches(vehicles=exact, exact=True, truncated=False)
    key = plate_search_key(text)
    if key is None or len(key) < 3:
        return VehicleMatches(vehicles=[], exact=False, truncated=False)
    condition = Q(plate_key__contains=key)
    if len(key) >= 6:
        condition |= Q(vin__endswith=key)
    found = list(Vehicle.objects.filter(condition).select_related("model").order_by("plate_key")[: limit + 1])
    return VehicleMatches(vehicles=found[:limit], exact=False, truncated=len(found) > limit)


def local_day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date(), time.min), timezone.get_current_timezone())


def dealer_day_redemptions(
    *, dealer: Dealer, now: datetime, advisor_id: int | None = None
) -> list[Redemption]:
    """Today's counter work of a dealer: every open hold (whenever started) and every redemption
    started, completed, cancelled or reversed since local midnight; newest first."""
    start = local_day_start(now)
    queryset = Redemption.objects.filter(dealer=dealer).filter(
        Q(status=Status.HELD)
        | Q(started_at__gte=start)
        | Q(completed_at__gte=start)
        | Q(cancelled_at__gte=start)
        | Q(reversed_at__gte=start)
    )
    if advisor_id is not None:
        queryset = queryset.filter(advisor_id=advisor_id)
    return list(redemptions_with_people(queryset).order_by("-started_at", "-pk")[:500])


def dealer_open_holds(*, dealer: Dealer) -> list[Redemption]:
    return list(
        redemptions_with_people(Redemption.objects.filter(dealer=dealer, status=Status.HELD)).order_by(
            "started_at", "pk"
        )[:100]
    )


def hold_is_stale(redemption: Redemption, *, now: datetime) -> bool:
    return (
        redemption.status == Status.HELD
        and now - redemption.started_at > settings.REDEMPTION_STALE_HOLD_AFTER
    )


def redemption_reversible_until(redemption: Redemption) -> datetime | None:
    if redemption.status != Status.COMPLETED or redemption.completed_at is None:
        return None
    return redemption.completed_at + settings.REDEMPTION_REVERSAL_WINDOW


def redemption_in_reversal_window(redemption: Redemption, *, now: datetime) -> bool:
    until = redemption_reversible_until(redemption)
    return until is not None and now <= until


def advisor_label(user) -> str:
    """How an advisor is named on pages: their display name at the dealer, else the user name."""
    if user is None:
        return ""
    staff = getattr(user, "dealer_staff", None)
    display_name = staff.display_name if staff else None
    return advisor_label_from(display_name=display_name, username=user.get_username())


def advisor_label_from(*, display_name: str | None, username: str | None) -> str:
    """`advisor_label` of columns read without a user object (None: no advisor, or no staff row)."""
    return display_name or username or ""


@dataclass(frozen=True)
class ServiceEvent:
    """One line of an owner's recent services: a workshop visit or a voucher redemption."""

    kind: str  # "visit" or "redemption"
    pk: int
    on: date
    dealer_id: int
    dealer_name: str
    vehicle_id: int
    plate: str
    what: str  # the visit's kind, or the voucher definition's title
    status: str  # the redemption's status ("" for a visit)
    mileage_km: int | None


RECENT_SERVICES_LIMIT = 5
_EVENT_COLUMNS = ("event", "pk", "on", "at", "dealer_id", "dealer__name", "vehicle_id", "vehicle__plate")


def owner_recent_services(*, member_id: int, limit: int = RECENT_SERVICES_LIMIT) -> list[ServiceEvent]:
    """The newest visits and redemptions, at every dealer, of the cars the member owns now (since
    they own them), merged newest first, in one query."""
    # The dates are cut in the active time zone, a constant of the compiled SQL: part of its key.
    key = (_recent_services, limit, timezone.get_current_timezone_name())
    build = lambda member_id: _recent_services(member_id, limit)  # noqa: E731 - the limit shapes the SQL
    rows = compiled_queryset(key, build, member_id=member_id)
    visit_kinds = dict(Visit.Kind.choices)
    return [
        ServiceEvent(
            kind=kind,
            pk=pk,
            on=on,
            dealer_id=dealer_id,
            dealer_name=dealer_name,
            vehicle_id=vehicle_id,
            plate=plate,
            what=str(visit_kinds.get(what, what)) if kind == "visit" else what,
            status=state,
            mileage_km=mileage_km,
        )
        for kind, pk, on, _at, dealer_id, dealer_name, vehicle_id, plate, what, state, mileage_km in rows
    ]


def _recent_services(member_id: int, limit: int) -> QuerySet:
    cars = Ownership.objects.current().filter(member_id=member_id)
    since = Subquery(cars.filter(vehicle_id=OuterRef("vehicle_id")).values("started_at")[:1])
    visits = (
        Visit.objects.filter(vehicle_id__in=cars.values("vehicle_id"))
        .alias(owned_since=TruncDate(since))
        .filter(visited_on__gte=F("owned_since"))
        .annotate(
            event=Value("visit", output_field=CharField()),
            on=F("visited_on"),
            at=F("created_at"),
            what=F("kind"),
            state=Value("", output_field=CharField()),
        )
        .order_by()
        .values_list(*_EVENT_COLUMNS, "what", "state", "mileage_km")
    )
    redemptions = (
        Redemption.objects.filter(vehicle_id__in=cars.values("vehicle_id"))
        .alias(owned_since=since)
        .filter(started_at__gte=F("owned_since"))
        .annotate(
            event=Value("redemption", output_field=CharField()),
            on=TruncDate("started_at"),
            at=F("started_at"),
            what=Coalesce(NullIf("voucher__definition__card_title", Value("")), "voucher__definition__name"),
            state=F("status"),
        )
        .order_by()
        .values_list(*_EVENT_COLUMNS, "what", "state", "mileage_km")
    )
    return visits.union(redemptions, all=True).order_by("-on", "-at", "-pk")[:limit]
