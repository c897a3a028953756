from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class InvalidVin(DomainError):
    code = "invalid_vin"
    default_message = _("A VIN has 17 characters: digits and letters except I, O and Q.")
    http_status = 400


class InvalidPlate(DomainError):
    code = "invalid_plate"
    default_message = _("Enter a licence plate such as ABC-1234, AB-1234 or 1234-AB.")
    http_status = 400


class VehicleNotFound(DomainError):
    code = "vehicle_not_found"
    default_message = _("No vehicle matches.")
    http_status = 404


class DuplicateVehicle(DomainError):
    code = "duplicate_vehicle"
    default_message = _("A vehicle with this VIN or plate is already registered.")


class AlreadyOwner(DomainError):
    code = "already_owner"
    default_message = _("This member already owns the vehicle.")


class BindingMismatch(DomainError):
    code = "binding_mismatch"
    default_message = _("The VIN and plate do not match a vehicle registered to this mobile number.")


class BindingRequestClosed(DomainError):
    code = "binding_request_closed"
    default_message = _("This binding request has already been decided.")


class PlateTaken(DomainError):
    code = "plate_taken"
    default_message = _("This licence plate is already on another vehicle (VIN %(vin)s).")


class DateInFuture(DomainError):
    code = "date_in_future"
    default_message = _("The date %(date)s is in the future.")
    http_status = 400


class MileageBelowLast(DomainError):
    code = "mileage_below_last"
    default_message = _(
        "The mileage %(km)s km is below the last reading (%(last)s km); mark the row as an odometer "
        "replacement if the odometer was changed."
    )


class OwnershipDateInvalid(DomainError):
    code = "ownership_date_invalid"
    default_message = _("The new ownership cannot start before the current one (%(date)s).")


class RepairOrderTaken(DomainError):
    code = "repair_order_taken"
    default_message = _("This dealer's repair order %(number)s belongs to another vehicle.")


class UnknownModel(DomainError):
    code = "unknown_model"
    default_message = _("No vehicle model has the code or name %(model)s.")
    http_status = 400


class UnknownDealer(DomainError):
    code = "unknown_dealer"
    default_message = _("No dealer has the code %(dealer)s.")
    http_status = 400
