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


# --- Signing in with LINE (portal/line_login): each refusal has its own stable code ----------------


class LineLoginError(DomainError):
    code = "line_login_failed"
    default_message = _("Signing in with LINE did not work. Please try again or use a code by SMS.")
    http_status = 400


class LineLoginUnavailable(LineLoginError):
    code = "line_login_unavailable"
    default_message = _("Signing in with LINE is not available. Please sign in with a code by SMS.")
    http_status = 503


class LineStateInvalid(LineLoginError):
    """The answer from LINE does not belong to a sign-in this browser started (CSRF, replay, old tab)."""

    code = "line_state_invalid"
    default_message = _("This LINE sign-in was not started here or was already used. Please start again.")


class LineFlowExpired(LineLoginError):
    code = "line_flow_expired"
    default_message = _("The LINE sign-in took too long. Please start again.")


class LineSignInCancelled(LineLoginError):
    """The owner declined on LINE's consent page (error=access_denied)."""

    code = "line_cancelled"
    default_message = _("You cancelled signing in with LINE. You can sign in with a code by SMS instead.")


class LineProviderError(LineLoginError):
    """LINE answered the authorization with another error (server_error, invalid_request…)."""

    code = "line_provider_error"


class LineTokenRefused(LineLoginError):
    """The token endpoint refused the code (used before, expired, wrong PKCE verifier, wrong client)."""

    code = "line_token_refused"


class LineUnreachable(LineLoginError):
    code = "line_unreachable"
    default_message = _("LINE could not be reached. Please try again in a moment or use a code by SMS.")
    http_status = 503


class LineIdTokenInvalid(LineLoginError):
    """The ID token from the token endpoint failed a check; each check has its own code."""

    code = "line_id_token_malformed"
    default_message = _("LINE could not confirm who you are. Please try again or use a code by SMS.")


class LineIdTokenSignature(LineIdTokenInvalid):
    code = "line_id_token_signature"


class LineIdTokenAudience(LineIdTokenInvalid):
    code = "line_id_token_audience"


class LineIdTokenIssuer(LineIdTokenInvalid):
    code = "line_id_token_issuer"


class LineIdTokenExpired(LineIdTokenInvalid):
    code = "line_id_token_expired"


class LineIdTokenNonce(LineIdTokenInvalid):
    code = "line_id_token_nonce"


class LineLinkNotPending(LineLoginError):
    code = "line_link_not_pending"
    default_message = _("There is no LINE account waiting to be linked. Please sign in with LINE again.")
