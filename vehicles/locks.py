"""Row locks of the vehicles app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from config.prepared import PreparedSelect

from .models import BindingRequest, Ownership, Vehicle

_VEHICLE_FOR_UPDATE = PreparedSelect(
    lambda pk: Vehicle.objects.select_for_update(no_key=True, of=("self",)).filter(pk=pk), pk=int
)


def vehicle_for_update(vehicle_id: int) -> Vehicle:
    """Lock one vehicle: the first lock of a redemption and of an ownership change (a hot path:
    the statement is prepared once, `config.prepared`)."""
    return _VEHICLE_FOR_UPDATE.get(pk=vehicle_id)


def vehicle_by_identity_for_update(*, vin: str, plate_key: str) -> Vehicle | None:
    """Lock the vehicle with this VIN and plate, if there is one."""
    return (
        Vehicle.objects.select_for_update(no_key=True, of=("self",))
        .filter(vin=vin, plate_key=plate_key)
        .first()
    )


def current_ownership_for_update(vehicle: Vehicle) -> Ownership | None:
    """Lock the vehicle's current ownership (take the vehicle's lock first)."""
    return (
        Ownership.objects.select_for_update(no_key=True, of=("self",))
        .current()
        .filter(vehicle=vehicle)
        .first()
    )


def binding_request_for_update(request_id: int) -> BindingRequest:
    return BindingRequest.objects.select_for_update(no_key=True, of=("self",)).get(pk=request_id)
