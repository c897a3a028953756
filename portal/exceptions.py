from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from members.exceptions import InvalidPhone


class LoginCodeInvalid(DomainError):
    """No usable code: never sent, expired, already used, replaced or locked after wrong attempts."""

    code = "login_code_invalid"
    default_message = _("This code is no longer valid. Please ask for a new code.")
    http_status = 400


class LoginCodeWrong(DomainError):
    code = "login_code_wrong"
    default_message = _("The code is not correct. %(attempts_left)s attempts left.")
    http_status = 400

    def __init__(self, *, attempts_left: int):
        self.attempts_left = attempts_left
        super().__init__(attempts_left=attempts_left)


class FormExpired(DomainError):
    """An action form arrived without a well-formed idempotency key (stale page or tampering)."""

    code = "form_expired"
    default_message = _("This form has expired. Please reload the page and try again.")
    http_status = 400


class RefundNotYours(DomainError):
    code = "refund_not_yours"
    default_message = _("Only the vehicle's owner can ask for a refund of this voucher.")
    http_status = 403


class SignInRegionNotServed(InvalidPhone):
    """Sign-in codes go only to the countries served: SMS to anywhere would invite SMS-pumping fraud."""

    code = "sign_in_region_not_served"
    default_message = _(
        "Sign-in codes can only be sent to mobile numbers of the countries we serve. "
        "Please ask your service advisor for help."
    )
