"""The back office's log-in: Django's admin form behind the same guard as the counter's."""

from django.contrib.admin.forms import AdminAuthenticationForm

from ..forms import ThrottledLoginMixin


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    throttle_scope = "admin"
