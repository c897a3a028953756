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
    title = _("Vehicle not found")
    default_message = _("No vehicle matches.")
    http_status = 404


class DuplicateVehicle(DomainError):
    code = "duplicate_vehicle"
    title = _("Vehicle already registered")
    default_message = _("A vehicle with this VIN or plate is already registered.")


class AlreadyOwner(DomainError):
    code = "already_owner"
    title = _("Already the vehicle's owner")
    default_message = _("This member already owns the vehicle.")


class BindingMismatch(DomainError):
    code = "binding_mismatch"
    title = _("VIN and plate do not match")
    default_message = _("The VIN and plate do not match a vehicle registered to this mobile number.")


class BindingRequestClosed(DomainError):
    code = "binding_request_closed"
    title = _("Binding request already decided")
    default_message = _("This binding request has already been decided.")


class MileageBelowLast(DomainError):
    code = "mileage_below_last"
    title = _("Mileage below the vehicle's last reading")
    default_message = _(
        "The mileage %(km)s km is below this car's last reading of %(last)s km. Check the odometer; "
        "if it was replaced, mark the odometer replacement and give the reason."
    )


class OdometerReplacementReasonMissing(DomainError):
    code = "odometer_replacement_reason_missing"
    default_message = _("Give the reason the odometer was replaced.")
    http_status = 400


class PlateTaken(DomainError):
    code = "plate_taken"
    title = _("Licence plate on another vehicle")
    default_message = _("This licence plate is already on another vehicle (VIN %(vin)s).")


class DateInFuture(DomainError):
    code = "date_in_future"
    default_message = _("The date %(date)s is in the future.")
    http_status = 400


class DateTooEarly(DomainError):
    code = "date_too_early"
    default_message = _("The date %(date)s is before 1900: check the year.")
    http_status = 400


class OwnershipDateInvalid(DomainError):
    code = "ownership_date_invalid"
    title = _("Ownership date before the current ownership")
    default_message = _("The new ownership cannot start before the current one (%(date)s).")


class RepairOrderTaken(DomainError):
    code = "repair_order_taken"
    title = _("Repair order of another vehicle")
    default_message = _("This dealer's repair order %(number)s belongs to another vehicle.")


class UnknownModel(DomainError):
    code = "unknown_model"
    default_message = _("No vehicle model has the code or name %(model)s.")
    http_status = 400


class UnknownDealer(DomainError):
    code = "unknown_dealer"
    default_message = _("No dealer has the code %(dealer)s.")
    http_status = 400


class AlertIdConflict(DomainError):
    code = "alert_id_conflict"
    title = _("Alert id already used for another alert")
    default_message = _(
        "The alert id %(alert_id)s was already sent with other values. Send a changed alert under a new id."
    )


class AlertNotOpen(DomainError):
    code = "alert_not_open"
    title = _("Alert already closed")
    default_message = _("This alert is already closed.")


class AlertCloseReasonMissing(DomainError):
    code = "alert_close_reason_missing"
    default_message = _("Give the reason the alert is closed.")
    http_status = 400
