"""From what a partner sent to our rows: vouchers by code, vehicles by VIN or plate, dealers, members.

Malformed input is a 400 pointing at the field; well-formed input naming nothing is a 404 with the
resource's own code (voucher_not_found, vehicle_not_found, definition_not_found).
"""

from django.utils.translation import gettext

from config.prepared import PreparedSelect, Read
from members.dealer_codes import dealer_code_normalise
from members.exceptions import InvalidPhone
from members.models import Dealer, Member
from members.services import member_get_or_create
from vehicles.exceptions import InvalidPlate, InvalidVin, VehicleNotFound
from vehicles.identifiers import plate_key, vin_parse
from vehicles.models import Vehicle
from vouchers.exceptions import CodeMalformed, CodeMistyped, DefinitionNotFound
from vouchers.models import Voucher, VoucherDefinition
from vouchers.selectors import voucher_by_code, voucher_by_code_read

from .problems import invalid

# The reads every redeem makes, prepared once (`config.prepared`).
_VEHICLE_BY_VIN = PreparedSelect(
    lambda vin: Vehicle.objects.select_related("model").filter(vin=vin), kind="first", vin=str
)
_VEHICLE_BY_PLATE = PreparedSelect(
    lambda plate_key: Vehicle.objects.select_related("model").filter(plate_key=plate_key),
    kind="first",
    plate_key=str,
)
_ACTIVE_DEALER = PreparedSelect(
    lambda code: Dealer.objects.filter(code=code, is_active=True), kind="first", code=str
)


def voucher_from_path(code: str, *, related: tuple[str, ...] | None = None) -> Voucher:
    try:
        return voucher_by_code(code) if related is None else voucher_by_code(code, related=related)
    except (CodeMalformed, CodeMistyped) as exc:
        raise invalid(exc.message, parameter="code", code=exc.code) from exc


def voucher_read(code: str, *, related: tuple[str, ...]) -> Read | None:
    """What `voucher_from_path` reads, to read it with others (`config.prepared.read_together`);
    None for a code it would refuse before reading."""
    try:
        return voucher_by_code_read(code, related=related)
    except (CodeMalformed, CodeMistyped):
        return None


def vin_from(raw: str, *, pointer: str | None = None, parameter: str | None = None) -> str:
    try:
        return vin_parse(raw).vin
    except InvalidVin as exc:
        where = {"parameter": parameter} if parameter else {"pointer": pointer}
        raise invalid(exc.message, code=exc.code, **where) from exc


def vehicle_from_ref(ref: dict, *, pointer: str) -> Vehicle:
    """The vehicle a {vin, plate} reference names; when both are given they must name the same car."""
    vehicle = None
    if ref.get("vin"):
        vin = vin_from(ref["vin"], pointer=f"{pointer}/vin")
        vehicle = _VEHICLE_BY_VIN.get(vin=vin)
        if vehicle is None:
            raise VehicleNotFound()
    if ref.get("plate"):
        try:
            key = plate_key(ref["plate"])
        except InvalidPlate as exc:
            raise invalid(exc.message, pointer=f"{pointer}/plate", code=exc.code) from exc
        if vehicle is not None:
            if vehicle.plate_key != key:
                raise invalid(
                    gettext("The plate does not match the vehicle with this VIN."),
                    pointer=f"{pointer}/plate",
                    code="plate_mismatch",
                )
            return vehicle
        vehicle = _VEHICLE_BY_PLATE.get(plate_key=key)
        if vehicle is None:
            raise VehicleNotFound()
    return vehicle


def vehicle_ref_read(ref: dict) -> Read | None:
    """What `vehicle_from_ref` reads first, to read it with others; None for a reference it would
    refuse before reading."""
    try:
        if ref.get("vin"):
            return _VEHICLE_BY_VIN, {"vin": vin_parse(ref["vin"]).vin}
        if ref.get("plate"):
            return _VEHICLE_BY_PLATE, {"plate_key": plate_key(ref["plate"])}
    except (InvalidVin, InvalidPlate):
        pass
    return None


def member_from_ref(ref: dict, *, pointer: str) -> Member:
    """The member with this mobile number, created when the platform does not know them yet: a
    member-held voucher then waits for them in the portal when they sign in with that number."""
    try:
        member, _created = member_get_or_create(phone=ref["phone"])
    except InvalidPhone as exc:
        raise invalid(exc.message, pointer=f"{pointer}/phone", code=exc.code) from exc
    return member


def definition_from_code(code: str) -> VoucherDefinition:
    definition = VoucherDefinition.objects.filter(code=code).first()
    if definition is None:
        raise DefinitionNotFound()
    return definition


def dealer_from_code(code: str, *, pointer: str) -> Dealer:
    """The active dealer with this code (whether the key may act there: `permissions.require_dealer`)."""
    prepared, values = dealer_read(code)
    dealer = prepared.get(**values)
    if dealer is None:
        raise invalid(gettext("No active dealer has this code."), pointer=pointer, code="dealer_unknown")
    return dealer


def dealer_read(code: str) -> Read:
    """What `dealer_from_code` reads, to read it with others (`config.prepared.read_together`)."""
    return _ACTIVE_DEALER, {"code": dealer_code_normalise(code)}
