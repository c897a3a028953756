from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class RedemptionNotFound(DomainError):
    code = "redemption_not_found"
    title = _("Redemption not found")
    default_message = _("No such redemption.")
    http_status = 404


class ReversalWindowPassed(DomainError):
    code = "reversal_window_passed"
    title = _("Reversal window passed")
    default_message = _("This redemption is too old to reverse here; ask operations.")


class RedemptionNotReversible(DomainError):
    code = "redemption_not_reversible"
    title = _("Redemption cannot be reversed")
    default_message = _("Only a completed redemption can be reversed.")


class HoldNotOpen(DomainError):
    code = "hold_not_open"
    title = _("Service no longer in progress")
    default_message = _("This service is no longer in progress.")


class InvalidMileage(DomainError):
    code = "invalid_mileage"
    default_message = _("Enter the mileage in km as a whole number, up to 2,000,000.")
    http_status = 400


class FormTokenInvalid(DomainError):
    code = "form_token_invalid"
    default_message = _(
        "This form could not be accepted: it was changed, or it belongs to another user or page. "
        "Nothing was recorded. Open the page again and retry."
    )
    http_status = 400


class FormTokenExpired(DomainError):
    code = "form_token_expired"
    default_message = _(
        "This page was open too long, so the form has expired. Nothing was recorded. "
        "The page has been reloaded: check the vouchers and submit again."
    )
    http_status = 400
