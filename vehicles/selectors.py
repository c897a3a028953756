"""Read-side queries about vehicles shared by several interfaces."""

import contextlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Exists,
    Expression,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from config.aggregates import IdList, id_list_parse
from config.compiled_query import compiled_queryset
from members.models import Member

from .exceptions import InvalidVin
from .identifiers import plate_search_key, vin_parse
from .models import AuthorisedDriver, Ownership, Vehicle, VehicleAlert, Visit

_LOADED_OWNER = "_loaded_current_owner"
_LOADED_DRIVERS = "_loaded_driver_ids"


def vehicle_current_owner(vehicle: Vehicle) -> Member | None:
    """The current owner; no query for a vehicle read by `vehicle_with_owner`."""
    if _LOADED_OWNER in vehicle.__dict__:
        return vehicle.__dict__[_LOADED_OWNER]
    ownership = Ownership.objects.select_related("member").current().filter(vehicle=vehicle).first()
    return ownership.member if ownership else None


def open_alerts_exist() -> Exists:
    """Annotate a vehicle query with this (`has_open_alerts`): an index seek in the same query, so
    `vehicle_open_alerts` costs no query for a car without open alerts."""
    return Exists(VehicleAlert.objects.filter(vehicle=OuterRef("pk"), status=VehicleAlert.Status.OPEN))


def vehicle_with_owner(
    vehicle_id: int,
    *,
    owner_annotations: Callable[..., dict[str, Expression]] | None = None,
    owner_values: Mapping[str, Any] | None = None,
    shape: Hashable | None = None,
) -> Vehicle | None:
    """The vehicle, its model, its current owner and its drivers' ids (`vehicle_current_owner` and
    `vehicle_driver_ids` then cost nothing) in one query: a vehicle has at most one current
    ownership (a database constraint), so the join adds no rows.

    `owner_annotations(owner_id, **owner_values)` adds columns about the owner to the same row
    (subqueries on the owner's id, NULL when nobody owns the car): the counter's owner panel rides
    along this way. With `shape` (what, besides `owner_values`, decides those columns) the query is
    built and compiled once per process (`config.compiled_query`): only the values change."""
    values = {"vehicle_id": vehicle_id, **(owner_values or {})}

    def build(vehicle_id, **owner_values):
        return _vehicle_with_owner_query(vehicle_id, owner_annotations, owner_values)

    if shape is None:
        queryset = build(**values)
    else:
        key = ("vehicles.vehicle_with_owner", owner_annotations, shape)
        queryset = compiled_queryset(key, build, **values)
    vehicle = next(iter(queryset), None)
    if vehicle is not None:
        # Django sets no attribute when the joined row is missing (nobody owns the car).
        ownership = getattr(vehicle, "current_ownership", None)
        vehicle.__dict__[_LOADED_OWNER] = ownership.member if ownership is not None else None
        vehicle.__dict__[_LOADED_DRIVERS] = id_list_parse(vehicle.driver_id_list)
    return vehicle


def _vehicle_with_owner_query(vehicle_id, owner_annotations, owner_values) -> QuerySet[Vehicle]:
    drivers = (
        AuthorisedDriver.objects.current()
        .filter(vehicle_id=OuterRef("pk"))
        .order_by()
        .values("vehicle_id")
        .annotate(ids=IdList("member_id"))
        .values("ids")
    )
    queryset = Vehicle.objects.annotate(
        current_ownership=FilteredRelation("ownerships", condition=Q(ownerships__ended_at__isnull=True)),
        driver_id_list=Subquery(drivers),
        has_open_alerts=open_alerts_exist(),
    )
    if owner_annotations is not None:
        queryset = queryset.annotate(
            **owner_annotations(OuterRef("current_ownership__member_id"), **owner_values)
        )
    queryset = queryset.select_related("model", "current_ownership__member")
    return queryset.filter(pk=vehicle_id).order_by("pk")[:1]


def vehicle_driver_ids(vehicle: Vehicle) -> list[int]:
    """The members currently authorised to drive the vehicle; no query for a vehicle read by
    `vehicle_with_owner`."""
    if _LOADED_DRIVERS in vehicle.__dict__:
        return list(vehicle.__dict__[_LOADED_DRIVERS])
    drivers = AuthorisedDriver.objects.current().filter(vehicle=vehicle)
    return list(drivers.values_list("member_id", flat=True))


def current_owner_id_subquery(vehicle_ref: str = "pk") -> Subquery:
    """The current owner's member id of the vehicle that the outer query's `vehicle_ref` names."""
    return Subquery(Ownership.objects.current().filter(vehicle=OuterRef(vehicle_ref)).values("member_id")[:1])


def vehicles_of_member(member: Member) -> QuerySet[Vehicle]:
    """Vehicles the member currently owns or is authorised to drive."""
    return (
        Vehicle.objects.filter(
            Q(ownerships__member=member, ownerships__ended_at__isnull=True)
            | Q(authorised_drivers__member=member, authorised_drivers__ended_at__isnull=True)
        )
        .select_related("model")
        .distinct()
        .order_by("pk")
    )


def member_can_use_vehicle(member_id: int, vehicle_id: int) -> bool:
    return Vehicle.objects.filter(
        Q(ownerships__member_id=member_id, ownerships__ended_at__isnull=True)
        | Q(authorised_drivers__member_id=member_id, authorised_drivers__ended_at__isnull=True),
        pk=vehicle_id,
    ).exists()


def vehicles_search(text: str, *, limit: int = 20) -> QuerySet[Vehicle]:
    """Vehicles whose plate key or VIN matches `text` exactly (plate in any spelling)."""
    condition = Q(pk__in=[])
    with contextlib.suppress(InvalidVin):
        condition |= Q(vin=vin_parse(text).vin)
    key = plate_search_key(text)
    if key is not None:
        condition |= Q(plate_key=key)
    return Vehicle.objects.filter(condition).select_related("model").order_by("pk")[:limit]


def vehicle_visits(vehicle: Vehicle, *, limit: int = 50) -> list[Visit]:
    """The vehicle's workshop visits (repair orders from the DMS), newest first."""
    build = lambda vehicle_id: _visits(vehicle_id, limit)  # noqa: E731 - the limit shapes the SQL
    return list(compiled_queryset((_visits, limit), build, vehicle_id=vehicle.pk))


def _visits(vehicle_id: int, limit: int) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(vehicle_id=vehicle_id)
        .select_related("dealer")
        .order_by("-visited_on", "-pk")[:limit]
    )


@dataclass(frozen=True)
class OwnershipFacts:
    """What a member's ownership history says about them, for the holder rules of vouchers."""

    owned: frozenset[int] = frozenset()  # vehicles they own now
    first_owned: frozenset[int] = frozenset()  # of those, the ones they bought new (first owner)
    ever_owned: bool = False  # owned one of our cars at some time, now or in the past


OWNERSHIP_LOOKUP_CHUNK = 2000


def ownership_facts(member_ids: Iterable[int]) -> dict[int, OwnershipFacts]:
    """{member id: OwnershipFacts} for every id given (members with no ownership get empty facts)."""
    wanted = sorted({m for m in member_ids if m is not None})
    rows: dict[int, list[tuple[int, bool, bool]]] = {m: [] for m in wanted}
    for start in range(0, len(wanted), OWNERSHIP_LOOKUP_CHUNK):
        chunk = wanted[start : start + OWNERSHIP_LOOKUP_CHUNK]
        found = Ownership.objects.filter(member_id__in=chunk).values_list(
            "member_id", "vehicle_id", "ended_at", "is_first_owner"
        )
        for member_id, vehicle_id, ended_at, first in found:
            rows[member_id].append((vehicle_id, ended_at is None, first))
    return {
        member_id: OwnershipFacts(
            owned=frozenset(v for v, current, _first in found if current),
            first_owned=frozenset(v for v, current, first in found if current and first),
            ever_owned=bool(found),
        )
        for member_id, found in rows.items()
    }


def member_ownership_facts(member_id: int | None) -> OwnershipFacts:
    if member_id is None:
        return OwnershipFacts()
    return ownership_facts([member_id])[member_id]


def vehicle_open_alerts(vehicle: Vehicle) -> list[VehicleAlert]:
    """The car's open alerts, most severe first, then newest: one query, none for a car annotated
    with `open_alerts_exist` (`vehicle_with_owner` does) that has none."""
    if getattr(vehicle, "has_open_alerts", True) is False:
        return []
    return list(compiled_queryset(_open_alerts, _open_alerts, vehicle_id=vehicle.pk))


def _open_alerts(vehicle_id: int) -> QuerySet[VehicleAlert]:
    rank = Case(
        *(
            When(severity=value, then=Value(i))
            for i, value in enumerate(reversed(VehicleAlert.Severity.values))
        ),
        output_field=IntegerField(),
    )
    return (
        VehicleAlert.objects.filter(vehicle_id=vehicle_id, status=VehicleAlert.Status.OPEN)
        .annotate(severity_rank=rank)
        .order_by("severity_rank", "-raised_at", "-pk")[:50]
    )
