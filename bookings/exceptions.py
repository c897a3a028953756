from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class BookingNotFound(DomainError):
    code = "booking_not_found"
    title = _("Booking request not found")
    default_message = _("No such booking request.")
    http_status = 404


class BookingDateOutOfRange(DomainError):
    code = "booking_date_out_of_range"
    default_message = _("Choose a date from %(first)s to %(last)s.")
    http_status = 400


class BookingDatePassed(DomainError):
    code = "booking_date_passed"
    default_message = _("That date has passed: choose another time.")


class BookingSlotInvalid(DomainError):
    code = "booking_slot_invalid"
    default_message = _("Choose the morning or the afternoon.")
    http_status = 400


class BookingServiceInvalid(DomainError):
    code = "booking_service_invalid"
    default_message = _("Choose a service from the list.")
    http_status = 400


class BookingNoteTooLong(DomainError):
    code = "booking_note_too_long"
    default_message = _("The note can be at most %(max)s characters.")
    http_status = 400


class BookingVehicleNotYours(DomainError):
    code = "booking_vehicle_not_yours"
    default_message = _("This car is not in your account.")
    http_status = 403


class BookingDealerUnavailable(DomainError):
    code = "booking_dealer_unavailable"
    default_message = _("This dealer does not take bookings at the moment.")


class BookingAlreadyOpen(DomainError):
    code = "booking_already_open"
    default_message = _(
        "This car already has a request waiting at this dealer. Wait for its answer, or cancel it first."
    )


class BookingStateChanged(DomainError):
    code = "booking_state_changed"
    default_message = _("This request has changed meanwhile (%(status)s): nothing was done.")


class BookingProposalSameTime(DomainError):
    code = "booking_proposal_same_time"
    default_message = _("That is the time the owner asked for: confirm the request instead.")
    http_status = 400


class BookingReasonRequired(DomainError):
    code = "booking_reason_required"
    default_message = _("Give the owner a reason.")
    http_status = 400
