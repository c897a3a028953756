"""What each row of an import means, and applying it whole or not at all.

Every kind has one `decide` function used by both the dry run (`apply=False`: reads only) and the
import (`apply=True`, inside the chunk's transaction). Vehicles are decided a chunk at a time with
set-based reads and writes (100,000 rows in seconds); owners and visits call the per-record
services, each row in its own savepoint.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.bulk_insert import rows_insert
from config.errors import DomainError
from members.models import Dealer
from members.phones import phone_normalise

from .. import signals
from ..exceptions import (
    PlateTaken,
    UnknownDealer,
    UnknownModel,
    VehicleNotFound,
)
from ..identifiers import plate_normalise, vin_parse
from ..models import DataChange, ImportBatch, ImportRow, Vehicle, VehicleModel, Visit
from ..services import (
    Origin,
    changes_build,
    date_plausible,
    owner_upsert,
    vehicle_owner_set,
    vehicle_upsert,
    visit_record,
)
from .values import date_parse, flag_parse, int_parse, kind_parse, text, year_parse

Status = ImportRow.Status


class MissingValue(DomainError):
    code = "missing_value"
    default_message = _("The %(column)s column is empty.")
    http_status = 400


class InvalidEmail(DomainError):
    code = "invalid_email"
    default_message = _("%(value)s is not an e-mail address.")
    http_status = 400


class DuplicateRow(DomainError):
    code = "duplicate_row"
    title = _("Row repeated in the file")
    default_message = _("Row %(row)s already has this %(what)s.")


@dataclass
class Decision:
    row_number: int
    status: str
    reason: str = ""
    detail: str = ""


def rejected(row_number: int, error: DomainError) -> Decision:
    return Decision(row_number, Status.REJECTED, error.code[:30], str(error.message)[:300])


@dataclass
class Context:
    """What every row of a batch shares: its origin, and the dealers and models by name."""

    batch: ImportBatch
    now: datetime
    origin: Origin = field(init=False)
    _dealers: dict[str, Dealer] = field(default_factory=dict)
    _models: dict[str, VehicleModel] = field(default_factory=dict)

    def __post_init__(self):
        self.origin = Origin(
            source=Visit.Source.IMPORT, label=self.batch.file_name, actor=self.batch.created_by
        )
        self._dealers = {d.code.upper(): d for d in Dealer.objects.all()}
        for model in VehicleModel.objects.all():
            self._models.setdefault(model.name.lower(), model)
        for model in VehicleModel.objects.all():
            self._models[model.code.lower()] = model  # a code wins over another model's name

    def dealer(self, value: object, *, required: bool) -> Dealer | None:
        code = text(value).upper()
        if not code:
            if self.batch.dealer is not None:
                return self.batch.dealer
            if required:
                raise UnknownDealer(dealer="—")
            return None
        try:
            return self._dealers[code]
        except KeyError:
            raise UnknownDealer(dealer=code[:20]) from None

    def model(self, value: object, *, create: bool) -> VehicleModel | None:
        """The model named by code or name; None when it is unknown but the operator chose to
        create models (the dry run); created when `create` (the import)."""
        name = text(value)
        model = self._models.get(name.lower())
        if model is not None:
            return model
        if not name or not self.batch.create_models:
            raise UnknownModel(model=name[:80] or "—")
        if not create:
            return None
        model, _created = VehicleModel.objects.get_or_create(code=name[:30], defaults={"name": name[:80]})
        self._models[name.lower()] = model
        return model


# --- vehicles -------------------------------------------------------------------------------------

_VEHICLE_FIELDS = ("plate", "model_id", "model_year", "delivery_date", "selling_dealer_id")


def _vehicle_values(data: dict, ctx: Context, *, apply: bool) -> dict:
    parsed = vin_parse(text(data.get("vin")))
    plate = plate_normalise(text(data.get("plate")))
    model = ctx.model(data.get("model"), create=apply)
    delivery_date = date_parse(data.get("delivery_date"))
    date_plausible(delivery_date, now=ctx.now)
    dealer = ctx.dealer(data.get("dealer"), required=False)
    return {
        "vin": parsed.vin,
        "vin_check_digit_ok": parsed.check_digit_ok,
        "plate": plate,
        "model_id": model.pk if model else None,
        "model_year": year_parse(data.get("model_year")),
        "delivery_date": delivery_date,
        "selling_dealer_id": dealer.pk if dealer else None,
    }


def vehicles_decide(rows: list[tuple[int, dict]], ctx: Context, *, apply: bool) -> list[Decision]:
    decisions: dict[int, Decision] = {}
    wanted: list[tuple[int, dict]] = []
    vins: dict[str, int] = {}
    plates: dict[str, tuple[int, str]] = {}
    for number, data in rows:
        try:
            values = _vehicle_values(data, ctx, apply=apply)
            key = values["plate"].replace("-", "")
            if values["vin"] in vins:
                raise DuplicateRow(row=vins[values["vin"]], what="VIN")
            if key in plates and plates[key][1] != values["vin"]:
                raise PlateTaken(vin=plates[key][1])
        except DomainError as exc:
            decisions[number] = rejected(number, exc)
            continue
        vins[values["vin"]] = number
        plates[key] = (number, values["vin"])
        wanted.append((number, values))
    existing_qs = Vehicle.objects.filter(vin__in=list(vins)).order_by("pk")
    if apply:
        existing_qs = existing_qs.select_for_update(of=("self",))
    # Tuples, not model instances: on a re-import most rows are read only to find them unchanged.
    existing = {
        row[1]: (row[0], dict(zip(_VEHICLE_FIELDS, row[2:], strict=True)))
        for row in existing_qs.values_list("pk", "vin", *_VEHICLE_FIELDS)
    }
    holders = dict(Vehicle.objects.filter(plate_key__in=list(plates)).values_list("plate_key", "vin"))

    new: list[tuple[int, Vehicle]] = []
    changed: list[tuple[int, Vehicle, dict]] = []
    for number, values in wanted:
        key = values["plate"].replace("-", "")
        holder = holders.get(key)
        if holder is not None and holder != values["vin"]:
            decisions[number] = rejected(number, PlateTaken(vin=holder))
            continue
        found = existing.get(values["vin"])
        if found is None:
            new.append((number, {**values, "plate_key": key}))
            continue
        pk, old = found
        if values["delivery_date"] is None:
            values["delivery_date"] = old["delivery_date"]  # a missing value never erases one
        if values["model_id"] is None:
            values["model_id"] = old["model_id"]  # dry run: a model still to be created
        new_values = {name: values[name] for name in _VEHICLE_FIELDS}
        if old == new_values:
            decisions[number] = Decision(number, Status.UNCHANGED)
        else:
            changed.append((number, Vehicle(pk=pk, plate_key=key, **new_values), old))
    for number, _vehicle in new:
        decisions[number] = Decision(number, Status.APPLIED if apply else Status.PENDING)
    for number, _vehicle, _old in changed:
        decisions[number] = Decision(number, Status.APPLIED if apply else Status.PENDING)
    if apply and (new or changed):
        try:
            with transaction.atomic():
                _vehicles_write(new, changed, ctx)
        except IntegrityError:
            # Someone else wrote one of these vehicles meanwhile: decide those rows one by one.
            for number, _data in [(n, d) for n, d in rows if n in {x[0] for x in new + changed}]:
                decisions[number] = _vehicle_one(number, dict(rows)[number], ctx)
    return [decisions[number] for number, _data in rows]


_INSERT_FIELDS = (
    "vin",
    "vin_check_digit_ok",
    "plate",
    "plate_key",
    "model",
    "model_year",
    "delivery_date",
    "selling_dealer",
    "colour",
    "last_mileage_km",
    "registered_owner_phone",
    "created_at",
)


def _vehicles_write(new, changed, ctx: Context) -> None:
    # COPY on PostgreSQL: no model instance and no INSERT statement per vehicle.
    rows_insert(
        Vehicle,
        _INSERT_FIELDS,
        (
            (
                v["vin"],
                v["vin_check_digit_ok"],
                v["plate"],
                v["plate_key"],
                v["model_id"],
                v["model_year"],
                v["delivery_date"],
                v["selling_dealer_id"],
                "",
                0,
                "",
                ctx.now,
            )
            for _n, v in new
        ),
    )
    delivered_vins = [v["vin"] for _n, v in new if v["delivery_date"] is not None]
    delivered = list(Vehicle.objects.filter(vin__in=delivered_vins).values_list("pk", flat=True))
    if changed:
        Vehicle.objects.bulk_update(
            [vehicle for _n, vehicle, _old in changed], [*_VEHICLE_FIELDS, "plate_key"], batch_size=1000
        )
        log = []
        for _n, vehicle, old in changed:
            log += changes_build(
                entity=DataChange.Entity.VEHICLE,
                object_id=vehicle.pk,
                vehicle_id=vehicle.pk,
                old=old,
                new={name: getattr(vehicle, name) for name in _VEHICLE_FIELDS},
                origin=ctx.origin,
                now=ctx.now,
            )
        DataChange.objects.bulk_create(log, batch_size=1000)
    delivered += [
        v.pk for _n, v, old in changed if old["delivery_date"] is None and v.delivery_date is not None
    ]
    if delivered:
        signals.vehicles_delivered.send(Vehicle, vehicle_ids=delivered, now=ctx.now)


def _vehicle_one(number: int, data: dict, ctx: Context) -> Decision:
    try:
        with transaction.atomic():
            values = _vehicle_values(data, ctx, apply=True)
            _vehicle, changed = vehicle_upsert(
                vin=values["vin"],
                plate=values["plate"],
                model=VehicleModel.objects.get(pk=values["model_id"]),
                model_year=values["model_year"],
                delivery_date=values["delivery_date"],
                selling_dealer=Dealer.objects.filter(pk=values["selling_dealer_id"]).first(),
                origin=ctx.origin,
                now=ctx.now,
            )
    except DomainError as exc:
        return rejected(number, exc)
    return Decision(number, Status.APPLIED if changed else Status.UNCHANGED)


# --- owners ---------------------------------------------------------------------------------------


def _vehicle_by_vin(value: object) -> Vehicle:
    vin = vin_parse(text(value)).vin
    vehicle = Vehicle.objects.filter(vin=vin).first()
    if vehicle is None:
        raise VehicleNotFound()
    return vehicle


def _owner_values(data: dict, ctx: Context) -> dict:
    email = text(data.get("email"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidEmail(value=email[:80]) from None
    birthday = date_parse(data.get("birthday"))
    date_plausible(birthday, now=ctx.now)
    values = {
        "phone": phone_normalise(text(data.get("phone"))),
        "name": text(data.get("name"))[:80],
        "email": email,
        "birthday": birthday,
        "vehicle": _vehicle_by_vin(data["vin"]) if text(data.get("vin")) else None,
        "since": date_parse(data.get("owner_since")) or timezone.localdate(ctx.now),
    }
    date_plausible(values["since"], now=ctx.now)
    return values


def _owner_apply(data: dict, ctx: Context) -> bool:
    values = _owner_values(data, ctx)
    vehicle, since = values.pop("vehicle"), values.pop("since")
    _member, changed = owner_upsert(**values, origin=ctx.origin, now=ctx.now)
    if vehicle is not None:
        changed = (
            vehicle_owner_set(vehicle=vehicle, member=_member, since=since, origin=ctx.origin, now=ctx.now)
            or changed
        )
    return changed


def owners_decide(rows: list[tuple[int, dict]], ctx: Context, *, apply: bool) -> list[Decision]:
    return _rows_decide(rows, ctx, apply=apply, one=_owner_apply)


def _rows_decide(rows, ctx: Context, *, apply: bool, one) -> list[Decision]:
    """Each row through its service in a savepoint. The dry run applies the chunk the same way and
    rolls it back: the same rules decide, and nothing (not even a queued task) survives."""
    if apply:
        return [_row_decide(number, data, ctx, one) for number, data in rows]
    with transaction.atomic():
        decisions = [_row_decide(number, data, ctx, one) for number, data in rows]
        transaction.set_rollback(True)
    return [d if d.status != Status.APPLIED else Decision(d.row_number, Status.PENDING) for d in decisions]


def _row_decide(number: int, data: dict, ctx: Context, one) -> Decision:
    try:
        with transaction.atomic():
            changed = one(data, ctx)
    except DomainError as exc:
        return rejected(number, exc)
    return Decision(number, Status.APPLIED if changed else Status.UNCHANGED)


# --- visits ---------------------------------------------------------------------------------------


def _visit_values(data: dict, ctx: Context) -> dict:
    vehicle = _vehicle_by_vin(data.get("vin"))
    dealer = ctx.dealer(data.get("dealer"), required=True)
    visited_on = date_parse(data.get("date"))
    if visited_on is None:
        raise MissingValue(column="date")
    repair_order = text(data.get("repair_order"))[:40]
    if not repair_order:
        raise MissingValue(column="repair_order")
    return {
        "vehicle": vehicle,
        "dealer": dealer,
        "visited_on": visited_on,
        "repair_order": repair_order,
        "kind": kind_parse(data.get("kind")),
        "mileage_km": int_parse(data.get("mileage_km")),
        "odometer_replaced": flag_parse(data.get("odometer_replaced")),
    }


def _visit_apply(data: dict, ctx: Context) -> bool:
    _visit, changed = visit_record(**_visit_values(data, ctx), origin=ctx.origin, now=ctx.now)
    return changed


def visits_decide(rows: list[tuple[int, dict]], ctx: Context, *, apply: bool) -> list[Decision]:
    return _rows_decide(rows, ctx, apply=apply, one=_visit_apply)


DECIDE = {
    ImportBatch.Kind.VEHICLES: vehicles_decide,
    ImportBatch.Kind.OWNERS: owners_decide,
    ImportBatch.Kind.VISITS: visits_decide,
}
