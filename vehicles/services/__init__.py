"""Use cases of the vehicles app: registration, ownership, drivers, mileage, visits, binding, alerts."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy

from config.one_statement import Writes
from config.stored_text import fit_to_column, stored_text
from members.models import Dealer, Member
from members.phones import phone_normalise

from .. import signals
from ..exceptions import (
    AlreadyOwner,
    BindingRequestClosed,
    DateInFuture,
    DateTooEarly,
    DuplicateVehicle,
    MileageBelowLast,
    OdometerReplacementReasonMissing,
    OwnershipDateInvalid,
    PlateTaken,
    RepairOrderTaken,
    VehicleNotFound,
)
from ..identifiers import plate_normalise, vin_parse
from ..locks import (
    binding_request_for_update,
    current_ownership_for_update,
    vehicle_by_identity_for_update,
    vehicle_for_update,
)
from ..mileage import MileageRefusal, OdometerReplacement, mileage_refusal
from ..models import (
    AuthorisedDriver,
    BindingRequest,
    DataChange,
    MileageReading,
    Ownership,
    Vehicle,
    VehicleModel,
    Visit,
)
from .alerts import alerts_close_for_visit


def vehicle_register(
    *,
    vin: str,
    plate: str,
    model: VehicleModel,
    owner: Member | None = None,
    delivery_date: date | None = None,
    selling_dealer: Dealer | None = None,
    mileage_km: int = 0,
    colour: str = "",
    now: datetime | None = None,
) -> Vehicle:
    """Register a vehicle, optionally with its first owner.

    Raises InvalidVin, InvalidPlate or DuplicateVehicle.
    """
    now = now or timezone.now()
    parsed = vin_parse(vin)
    display_plate = plate_normalise(plate)
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(
                vin=parsed.vin,
                vin_check_digit_ok=parsed.check_digit_ok,
                plate=display_plate,
                plate_key=display_plate.replace("-", ""),
                model=model,
                colour=colour,
                selling_dealer=selling_dealer,
                delivery_date=delivery_date,
                last_mileage_km=mileage_km,
                last_mileage_at=now if mileage_km else None,
            )
            if mileage_km:
                MileageReading.objects.create(
                    vehicle=vehicle, km=mileage_km, recorded_at=now, source="register"
                )
            if owner is not None:
                Ownership.objects.create(vehicle=vehicle, member=owner, started_at=now, is_first_owner=True)
                signals.vehicle_bound.send(Vehicle, vehicle=vehicle, member=owner, role="owner", now=now)
    except IntegrityError as exc:
        raise DuplicateVehicle() from exc
    return vehicle


def vehicle_transfer_ownership(
    *,
    vehicle: Vehicle,
    new_owner: Member,
    actor=None,
    reason: str = "",
    now: datetime | None = None,
    effective_at: datetime | None = None,
) -> Ownership:
    """End the current ownership and start `new_owner`'s. Receivers void first-owner vouchers.

    `effective_at` dates the change of hands when it happened before now (a DMS says since when).
    """
    now = now or timezone.now()
    effective_at = effective_at or now
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        current = current_ownership_for_update(locked)
        if current is not None and current.member_id == new_owner.pk:
            raise AlreadyOwner()
        previous_owner = None
        if current is not None:
            current.ended_at = effective_at
            current.save(update_fields=["ended_at"])
            previous_owner = current.member
            # The previous owner's drivers lose access along with the previous owner.
            AuthorisedDriver.objects.current().filter(vehicle=locked).update(ended_at=now)
        ownership = Ownership.objects.create(
            vehicle=locked, member=new_owner, started_at=effective_at, is_first_owner=current is None
        )
        signals.ownership_transferred.send(
            Vehicle,
            vehicle=locked,
            previous_owner=previous_owner,
            new_owner=new_owner,
            actor=actor,
            reason=reason,
            now=now,
        )
        signals.vehicle_bound.send(Vehicle, vehicle=locked, member=new_owner, role="owner", now=now)
    return ownership


def vehicle_authorise_driver(
    *, vehicle: Vehicle, member: Member, now: datetime | None = None
) -> AuthorisedDriver:
    now = now or timezone.now()
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        existing = AuthorisedDriver.objects.current().filter(vehicle=locked, member=member).first()
        if existing:
            return existing
        driver = AuthorisedDriver.objects.create(vehicle=locked, member=member, started_at=now)
        signals.vehicle_bound.send(Vehicle, vehicle=locked, member=member, role="driver", now=now)
    return driver


def vehicle_revoke_driver(*, vehicle: Vehicle, member: Member, now: datetime | None = None) -> int:
    now = now or timezone.now()
    with transaction.atomic():
        return AuthorisedDriver.objects.current().filter(vehicle=vehicle, member=member).update(ended_at=now)


def vehicle_mileage_check(
    *, vehicle: Vehicle, km: int, replacement: OdometerReplacement | None = None
) -> None:
    """Refuse a reading `km` that `vehicle` cannot take (see `vehicles.mileage`).

    For services that take a mileage but record it later (a service started at the counter): call
    it with the vehicle locked, so the last reading cannot change before the check's answer is used.
    """
    refusal = mileage_refusal(last_km=vehicle.last_mileage_km, km=km, replacement=replacement)
    if refusal == MileageRefusal.BELOW_LAST:
        raise MileageBelowLast(km=f"{km:,}", last=f"{vehicle.last_mileage_km:,}")
    if refusal == MileageRefusal.REPLACEMENT_REASON_MISSING:
        raise OdometerReplacementReasonMissing()


def vehicle_record_mileage(
    *,
    vehicle: Vehicle,
    km: int,
    source: str,
    replacement: OdometerReplacement | None = None,
    recorded_by=None,
    actor_label: str = "",
    now: datetime | None = None,
) -> MileageReading:
    """Record an odometer reading.

    A reading below the car's last one is refused (MileageBelowLast) unless the odometer was
    replaced, which needs a reason (OdometerReplacementReasonMissing); a replacement reading is
    recorded with who gave it and why, and becomes the car's baseline. Otherwise the car's last
    mileage only rises.
    """
    now = now or timezone.now()
    if km < 0:
        raise ValueError("km")
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        vehicle_mileage_check(vehicle=locked, km=km, replacement=replacement)
        reading = MileageReading.objects.create(
            vehicle=locked,
            km=km,
            recorded_at=now,
            source=source,
            odometer_replaced=replacement is not None,
            replacement_reason=fit_to_column(MileageReading, "replacement_reason", replacement.reason.strip())
            if replacement
            else "",
            recorded_by=recorded_by if getattr(recorded_by, "is_authenticated", False) else None,
            actor_label=fit_to_column(MileageReading, "actor_label", actor_label),
        )
        if replacement is not None or km > locked.last_mileage_km:
            locked.last_mileage_km = km
            locked.last_mileage_at = now
            locked.save(update_fields=["last_mileage_km", "last_mileage_at"])
            vehicle.last_mileage_km, vehicle.last_mileage_at = km, now
    return reading


def vehicle_record_use(
    *,
    vehicle: Vehicle,
    km: int | None,
    source: str,
    replacement: OdometerReplacement | None = None,
    recorded_by=None,
    actor_label: str = "",
    now: datetime,
    writes: Writes | None = None,
) -> MileageReading | None:
    """A service used on the car: record the reading, if any (the rules of `vehicle_record_mileage`),
    and the visit, with one UPDATE of the car. For a caller that holds the vehicle's lock
    (`vehicle_for_update`) in its own transaction and passes that locked instance. With `writes`,
    the reading's INSERT and the car's UPDATE are queued there for the caller to run with its own
    (see `config.one_statement`); the checks run now."""
    reading = None
    changes = {}
    if km is not None:
        if km < 0:
            raise ValueError("km")
        vehicle_mileage_check(vehicle=vehicle, km=km, replacement=replacement)
        reading = MileageReading(
            vehicle=vehicle,
            km=km,
            recorded_at=now,
            source=source,
            odometer_replaced=replacement is not None,
            replacement_reason=fit_to_column(MileageReading, "replacement_reason", replacement.reason.strip())
            if replacement
            else "",
            recorded_by=recorded_by if getattr(recorded_by, "is_authenticated", False) else None,
            actor_label=fit_to_column(MileageReading, "actor_label", actor_label),
        )
        if writes is None:
            reading.save(force_insert=True)
        else:
            writes.insert(reading)
        if replacement is not None or km > vehicle.last_mileage_km:
            changes.update(last_mileage_km=km, last_mileage_at=now)
    # The lock is held, so the stored last visit is the one read with it: no conditional UPDATE.
    if vehicle.last_visit_at is None or vehicle.last_visit_at < now:
        changes["last_visit_at"] = now
    if changes:
        for name, value in changes.items():
            setattr(vehicle, name, value)
        if writes is None:
            vehicle.save(update_fields=list(changes))
        else:
            writes.update(vehicle, list(changes))
    return reading


def vehicle_record_visit(*, vehicle: Vehicle, now: datetime | None = None) -> None:
    now = now or timezone.now()
    Vehicle.objects.filter(pk=vehicle.pk).exclude(last_visit_at__gte=now).update(last_visit_at=now)
    vehicle.last_visit_at = max(filter(None, [vehicle.last_visit_at, now]))


def vehicle_mark_delivered(*, vehicle: Vehicle, delivery_date: date, now: datetime | None = None) -> Vehicle:
    """Set the delivery (invoice) date; announces vehicle_delivered for event-triggered issuance."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        first_time = locked.delivery_date is None
        locked.delivery_date = delivery_date
        locked.save(update_fields=["delivery_date"])
        if first_time:
            signals.vehicle_delivered.send(Vehicle, vehicle=locked, now=now)
    vehicle.delivery_date = delivery_date
    return locked


def binding_request_submit(*, member: Member, vin: str, plate: str, now: datetime | None = None):
    """An owner asks to bind a car by VIN and plate.

    Returns ("bound", vehicle) when the car is theirs by its sales record (registered mobile number
    equals the member's and nobody owns it yet), ("already", vehicle) when they already own or drive
    it, or ("pending", BindingRequest) for operations to decide. Raises InvalidVin / InvalidPlate
    for malformed input; a mismatch never says whose car it is.
    """
    now = now or timezone.now()
    parsed_vin = vin_parse(vin).vin
    key = plate_normalise(plate).replace("-", "")
    with transaction.atomic():
        vehicle = vehicle_by_identity_for_update(vin=parsed_vin, plate_key=key)
        if vehicle is not None:
            if Ownership.objects.current().filter(vehicle=vehicle, member=member).exists() or (
                AuthorisedDriver.objects.current().filter(vehicle=vehicle, member=member).exists()
            ):
                return "already", vehicle
            has_owner = Ownership.objects.current().filter(vehicle=vehicle).exists()
            if (
                not has_owner
                and vehicle.registered_owner_phone
                and vehicle.registered_owner_phone == member.phone
            ):
                Ownership.objects.create(vehicle=vehicle, member=member, started_at=now, is_first_owner=True)
                signals.vehicle_bound.send(Vehicle, vehicle=vehicle, member=member, role="owner", now=now)
                return "bound", vehicle
        request, _created = BindingRequest.objects.get_or_create(
            member=member,
            vin=parsed_vin,
            status=BindingRequest.Status.PENDING,
            defaults={"plate": plate_normalise(plate), "vehicle": vehicle},
        )
    return "pending", request


def binding_request_approve(
    *, request: BindingRequest, actor, role: str = "owner", reason: str = "", now: datetime | None = None
) -> BindingRequest:
    """Operations approve: the member becomes the owner (ownership transfers) or an authorised driver."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = binding_request_for_update(request.pk)
        if locked.status != BindingRequest.Status.PENDING:
            raise BindingRequestClosed()
        vehicle = locked.vehicle or Vehicle.objects.filter(vin=locked.vin).first()
        if vehicle is None:
            raise VehicleNotFound()
        if role == "driver":
            vehicle_authorise_driver(vehicle=vehicle, member=locked.member, now=now)
        else:
            current = Ownership.objects.current().filter(vehicle=vehicle).first()
            if current is None or current.member_id != locked.member_id:
                vehicle_transfer_ownership(
                    vehicle=vehicle,
                    new_owner=locked.member,
                    actor=actor,
                    reason=reason or "binding request",
                    now=now,
                )
        _decide(locked, BindingRequest.Status.APPROVED, actor, reason, now, vehicle)
    return locked


def binding_request_reject(
    *, request: BindingRequest, actor, reason: str, now: datetime | None = None
) -> BindingRequest:
    now = now or timezone.now()
    with transaction.atomic():
        locked = binding_request_for_update(request.pk)
        if locked.status != BindingRequest.Status.PENDING:
            raise BindingRequestClosed()
        _decide(locked, BindingRequest.Status.REJECTED, actor, reason, now, locked.vehicle)
    return locked


def _decide(request: BindingRequest, status: str, actor, reason: str, now: datetime, vehicle) -> None:
    request.status = status
    request.decided_at = now
    request.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    request.decision_reason = fit_to_column(BindingRequest, "decision_reason", reason)
    request.vehicle = vehicle
    request.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "vehicle"])


def vehicles_forget_registered_phone(*, phone: str) -> int:
    """An erased member's number leaves the sales records it was copied into (binding by phone)."""
    if not phone:
        return 0
    with transaction.atomic():
        return Vehicle.objects.filter(registered_owner_phone=phone).update(registered_owner_phone="")


# --- Data from other systems: upserts with a change log, visits, mileage, ownership from a date ----


@dataclass(frozen=True)
class Origin:
    """Where a change came from: the change log's who and from which file or caller."""

    source: str  # Visit.Source
    label: str = ""
    actor: object = None

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if getattr(self.actor, "is_authenticated", False) else None


def local_start(day: date) -> datetime:
    """The first moment of `day` in the site's time zone (imports give dates, history keeps moments)."""
    return timezone.make_aware(datetime.combine(day, time.min))


EARLIEST_DATE = date(1900, 1, 1)  # before any car or owner we hold; also keeps time-zone arithmetic in range


def date_plausible(day: date | None, *, now: datetime) -> None:
    """A date from another system: neither in the future nor before 1900 (a typing or export error)."""
    if day is None:
        return
    if day > timezone.localdate(now):
        raise DateInFuture(date=day.isoformat())
    if day < EARLIEST_DATE:
        raise DateTooEarly(date=day.isoformat())


def changes_build(
    *,
    entity: str,
    object_id: int,
    vehicle_id: int | None,
    old: dict,
    new: dict,
    origin: Origin,
    now: datetime,
) -> list[DataChange]:
    """One unsaved DataChange per field whose value differs (old → new, as text)."""
    return [
        DataChange(
            entity=entity,
            object_id=object_id,
            vehicle_id=vehicle_id,
            field=field,
            old_value=_text(old.get(field)),
            new_value=_text(value),
            source=origin.source,
            source_label=origin.label[:200],
            actor_id=origin.actor_id,
            changed_at=now,
        )
        for field, value in new.items()
        if old.get(field) != value
    ]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:200]


def mileage_assess(*, vehicle_id: int, km: int, at: datetime, odometer_replaced: bool = False) -> None:
    """Refuse a reading below the last one taken at or before `at` (since the last odometer
    replacement), unless this reading marks a replacement. The one place for this rule."""
    if odometer_replaced:
        return
    readings = MileageReading.objects.filter(vehicle_id=vehicle_id, recorded_at__lte=at)
    replaced_at = (
        readings.filter(odometer_replaced=True).order_by("-recorded_at").values_list("recorded_at", flat=True)
    ).first()
    if replaced_at is not None:
        readings = readings.filter(recorded_at__gte=replaced_at)
    last = readings.aggregate(last=Max("km"))["last"]
    if last is not None and mileage_refusal(last_km=last, km=km) == MileageRefusal.BELOW_LAST:
        raise MileageBelowLast(km=km, last=last)


def vehicle_upsert(
    *,
    vin: str,
    plate: str,
    model: VehicleModel,
    model_year: int | None = None,
    delivery_date: date | None = None,
    selling_dealer: Dealer | None = None,
    origin: Origin,
    now: datetime | None = None,
) -> tuple[Vehicle, bool]:
    """Create or update the vehicle with this VIN; (vehicle, whether anything changed).

    Every changed value is kept in the change log; a first delivery date announces vehicle_delivered
    (event issuance is once per vehicle, however often the same date arrives again).
    Raises InvalidVin, InvalidPlate, PlateTaken or DateInFuture.
    """
    now = now or timezone.now()
    parsed = vin_parse(vin)
    display_plate = plate_normalise(plate)
    date_plausible(delivery_date, now=now)
    values = {
        "plate": display_plate,
        "model_id": model.pk,
        "model_year": model_year,
        "delivery_date": delivery_date,
        "selling_dealer_id": selling_dealer.pk if selling_dealer else None,
    }
    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update(of=("self",)).filter(vin=parsed.vin).first()
        other = (
            Vehicle.objects.filter(plate_key=display_plate.replace("-", ""))
            .exclude(vin=parsed.vin)
            .values_list("vin", flat=True)
            .first()
        )
        if other is not None:
            raise PlateTaken(vin=other)
        if vehicle is None:
            vehicle = Vehicle.objects.create(
                vin=parsed.vin,
                vin_check_digit_ok=parsed.check_digit_ok,
                plate_key=display_plate.replace("-", ""),
                **values,
            )
            if delivery_date is not None:
                signals.vehicle_delivered.send(Vehicle, vehicle=vehicle, now=now)
            return vehicle, True
        old = {field: getattr(vehicle, field) for field in values}
        if delivery_date is None:
            values["delivery_date"] = old["delivery_date"]  # a missing value never erases one
        changes = changes_build(
            entity=DataChange.Entity.VEHICLE,
            object_id=vehicle.pk,
            vehicle_id=vehicle.pk,
            old=old,
            new=values,
            origin=origin,
            now=now,
        )
        if not changes:
            return vehicle, False
        for field, value in values.items():
            setattr(vehicle, field, value)
        vehicle.plate_key = display_plate.replace("-", "")
        vehicle.save(update_fields=[*values, "plate_key"])
        DataChange.objects.bulk_create(changes)
        if old["delivery_date"] is None and vehicle.delivery_date is not None:
            signals.vehicle_delivered.send(Vehicle, vehicle=vehicle, now=now)
    return vehicle, True


def vehicle_record_delivery(
    *, vehicle: Vehicle, delivery_date: date, origin: Origin, now: datetime | None = None
) -> bool:
    """Record (or correct) the delivery date; True when it changed. The event fires on the first one."""
    now = now or timezone.now()
    date_plausible(delivery_date, now=now)
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        if locked.delivery_date == delivery_date:
            return False
        DataChange.objects.bulk_create(
            changes_build(
                entity=DataChange.Entity.VEHICLE,
                object_id=locked.pk,
                vehicle_id=locked.pk,
                old={"delivery_date": locked.delivery_date},
                new={"delivery_date": delivery_date},
                origin=origin,
                now=now,
            )
        )
        vehicle_mark_delivered(vehicle=locked, delivery_date=delivery_date, now=now)
    vehicle.delivery_date = delivery_date
    return True


def owner_upsert(
    *,
    phone: str,
    name: str = "",
    email: str = "",
    birthday: date | None = None,
    origin: Origin,
    now: datetime | None = None,
) -> tuple[Member, bool]:
    """The member with this mobile number, created or updated; blank values never erase stored ones.

    A member created here has no consent recorded: the source states none (consent is never invented).
    """
    now = now or timezone.now()
    e164 = phone_normalise(phone)
    date_plausible(birthday, now=now)
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(phone=e164).first()
        if member is None:
            member = Member.objects.create(
                phone=e164,
                name=name,
                email=email,
                birthday=birthday,
                consent_service=False,
                consent_marketing=False,
            )
            return member, True
        new = {
            key: value
            for key, value in {"name": name, "email": email, "birthday": birthday}.items()
            if value not in ("", None)
        }
        changes = changes_build(
            entity=DataChange.Entity.MEMBER,
            object_id=member.pk,
            vehicle_id=None,
            old={key: getattr(member, key) for key in new},
            new=new,
            origin=origin,
            now=now,
        )
        if not changes:
            return member, False
        for change in changes:
            setattr(member, change.field, new[change.field])
        member.save(update_fields=[change.field for change in changes])
        DataChange.objects.bulk_create(changes)
    return member, True


def vehicle_owner_set(
    *, vehicle: Vehicle, member: Member, since: date, origin: Origin, now: datetime | None = None
) -> bool:
    """Make `member` the owner from `since` (an ownership transfer with its rules when someone
    else owns the car); False when they already own it. Raises DateInFuture, OwnershipDateInvalid."""
    now = now or timezone.now()
    date_plausible(since, now=now)
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        current = Ownership.objects.current().filter(vehicle=locked).first()
        if current is not None and current.member_id == member.pk:
            return False
        started_at = local_start(since)
        if current is not None and started_at < current.started_at:
            raise OwnershipDateInvalid(date=timezone.localdate(current.started_at).isoformat())
        DataChange.objects.bulk_create(
            changes_build(
                entity=DataChange.Entity.OWNERSHIP,
                object_id=locked.pk,
                vehicle_id=locked.pk,
                old={"owner": current.member_id if current else None},
                new={"owner": member.pk},
                origin=origin,
                now=now,
            )
        )
        vehicle_transfer_ownership(
            vehicle=locked,
            new_owner=member,
            actor=origin.actor,
            reason=f"{origin.source}: {origin.label}"[:200],
            now=now,
            effective_at=started_at,
        )
    return True


def visit_record(
    *,
    vehicle: Vehicle,
    dealer: Dealer,
    visited_on: date,
    repair_order: str,
    kind: str = Visit.Kind.OTHER,
    mileage_km: int | None = None,
    odometer_replaced: bool = False,
    origin: Origin,
    now: datetime | None = None,
) -> tuple[Visit, bool]:
    """Record a workshop visit keyed on dealer + repair-order number; (visit, whether anything changed).

    A new or changed mileage is a reading (refused below the last one unless the odometer was
    replaced); the vehicle's last visit moves forward. Raises DateInFuture, MileageBelowLast,
    RepairOrderTaken.
    """
    now = now or timezone.now()
    date_plausible(visited_on, now=now)
    repair_order = repair_order.strip()[:40]
    if not repair_order:
        raise ValueError("repair_order")
    at = local_start(visited_on)
    values = {
        "visited_on": visited_on,
        "mileage_km": mileage_km,
        "kind": kind,
        "odometer_replaced": odometer_replaced,
    }
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        visit = Visit.objects.select_for_update().filter(dealer=dealer, repair_order=repair_order).first()
        if visit is not None and visit.vehicle_id != locked.pk:
            raise RepairOrderTaken(number=repair_order)
        old = {field: getattr(visit, field) for field in values} if visit else {}
        if visit is not None and old == values:
            return visit, False
        if mileage_km is not None and (visit is None or old["mileage_km"] != mileage_km):
            mileage_assess(vehicle_id=locked.pk, km=mileage_km, at=at, odometer_replaced=odometer_replaced)
            MileageReading.objects.create(
                vehicle=locked,
                km=mileage_km,
                recorded_at=at,
                source="visit",
                odometer_replaced=odometer_replaced,
                # The dealer's system marked the replacement; its repair order is the record of why.
                replacement_reason=stored_text(
                    gettext_lazy("Odometer replacement reported by the dealer (repair order %(number)s)."),
                    number=repair_order,
                )
                if odometer_replaced
                else "",
                actor_label=fit_to_column(MileageReading, "actor_label", origin.label),
            )
            if mileage_km > locked.last_mileage_km or (
                odometer_replaced and (locked.last_mileage_at is None or at >= locked.last_mileage_at)
            ):
                locked.last_mileage_km, locked.last_mileage_at = mileage_km, at
                locked.save(update_fields=["last_mileage_km", "last_mileage_at"])
        if visit is None:
            visit = Visit.objects.create(
                vehicle=locked, dealer=dealer, repair_order=repair_order, source=origin.source, **values
            )
            # A new repair order is a visit: it closes the car's alerts open by the end of its day.
            alerts_close_for_visit(
                vehicle=locked, visit=visit, visit_end=local_start(visited_on + timedelta(days=1)), now=now
            )
        else:
            DataChange.objects.bulk_create(
                changes_build(
                    entity=DataChange.Entity.VISIT,
                    object_id=visit.pk,
                    vehicle_id=locked.pk,
                    old=old,
                    new=values,
                    origin=origin,
                    now=now,
                )
            )
            for field, value in values.items():
                setattr(visit, field, value)
            visit.save(update_fields=list(values))
        vehicle_record_visit(vehicle=locked, now=at)
        signals.visit_recorded.send(Vehicle, vehicle=locked, visit=visit, now=now)
    return visit, True
