"""Use cases of the vehicles app: registration, ownership, drivers, mileage, visits, binding."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.stored_text import fit_to_column
from members.models import Dealer, Member

from . import signals
from .exceptions import (
    AlreadyOwner,
    BindingRequestClosed,
    DuplicateVehicle,
    MileageBelowLast,
    OdometerReplacementReasonMissing,
    VehicleNotFound,
)
from .identifiers import plate_normalise, vin_parse
from .locks import (
    binding_request_for_update,
    current_ownership_for_update,
    vehicle_by_identity_for_update,
    vehicle_for_update,
)
from .mileage import MileageRefusal, OdometerReplacement, mileage_refusal
from .models import AuthorisedDriver, BindingRequest, MileageReading, Ownership, Vehicle, VehicleModel


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
    *, vehicle: Vehicle, new_owner: Member, actor=None, reason: str = "", now: datetime | None = None
) -> Ownership:
    """End the current ownership and start `new_owner`'s. Receivers void first-owner vouchers."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = vehicle_for_update(vehicle.pk)
        current = current_ownership_for_update(locked)
        if current is not None and current.member_id == new_owner.pk:
            raise AlreadyOwner()
        previous_owner = None
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
            previous_owner = current.member
            # The previous owner's drivers lose access along with the previous owner.
            AuthorisedDriver.objects.current().filter(vehicle=locked).update(ended_at=now)
        ownership = Ownership.objects.create(
            vehicle=locked, member=new_owner, started_at=now, is_first_owner=current is None
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
