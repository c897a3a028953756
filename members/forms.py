"""Forms shared by several interfaces: the log-in guard of the counter and the back office, dealers."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .dealer_codes import dealer_code_normalise, validate_dealer_code
from .exceptions import LoginThrottled, RateLimited
from .login_throttle import login_failure_record, login_failures_clear, login_throttle_check
from .models import Dealer
from .ratelimit import client_ip, ratelimit_hit


class ThrottledLoginMixin:
    """For a Django AuthenticationForm: a limit per client address, and a growing wait per (account,
    address) pair after wrong passwords (members.login_throttle), never a lock on the account.

    `throttle_scope` names the log-in; `<SCOPE>_LOGINS_PER_ADDRESS` and `<SCOPE>_LOGIN_WINDOW_SECONDS`
    are its per-address limit.
    """

    throttle_scope: str

    def clean(self):
        # The cleaned name: a raw one may hold a NUL byte, which PostgreSQL refuses in the limit's key.
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        address = client_ip(self.request) if self.request is not None else "unknown"
        pair = {"scope": self.throttle_scope, "username": username, "address": address}
        prefix = self.throttle_scope.upper()
        try:
            ratelimit_hit(
                key=f"{self.throttle_scope}-login:ip:{address}",
                limit=getattr(settings, f"{prefix}_LOGINS_PER_ADDRESS"),
                window_seconds=getattr(settings, f"{prefix}_LOGIN_WINDOW_SECONDS"),
            )
            if username:
                login_throttle_check(**pair)
        except (RateLimited, LoginThrottled) as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        try:
            cleaned = super().clean()
        except ValidationError:
            if username and password and self.get_user() is None:  # a wrong password, not a refused account
                login_failure_record(**pair)
            raise
        if self.get_user() is not None:
            login_failures_clear(**pair)
        return cleaned


class DealerCodeField(forms.CharField):
    """A dealer code as typed (full-width, lower case, spaces around): brought to form, then checked."""

    default_validators = [validate_dealer_code]

    def to_python(self, value):
        return dealer_code_normalise(super().to_python(value))


class DealerForm(forms.ModelForm):
    code = DealerCodeField(
        label=_("code"),
        max_length=12,
        help_text=_("2 to 12 upper-case letters, digits or hyphens, e.g. TPE01."),
    )

    class Meta:
        model = Dealer
        fields = ["code", "name", "city", "address", "phone", "is_active"]
