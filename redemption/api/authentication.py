"""`Authorization: Bearer <key>` with a partner API key (see redemption.api_keys)."""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from members.ratelimit import client_ip, ratelimit_hit
from redemption.api_keys import api_key_authenticate


class Partner:
    """The caller as request.user: a partner system, never a person with a session."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, api_key):
        self.api_key = api_key
        self.pk = None

    def __str__(self) -> str:
        return self.api_key.actor.label


class ApiKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() != self.keyword.lower().encode() or len(parts) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed() from None
        api_key = api_key_authenticate(token)
        if api_key is None:
            # Guessing is hopeless (256-bit secrets) but costs us a query each: limit it per address.
            ratelimit_hit(
                key=f"api-auth-failed:{client_ip(request)}",
                limit=settings.API_RATE_LIMIT_PER_MINUTE,
                window_seconds=60,
            )
            raise exceptions.AuthenticationFailed()
        return Partner(api_key), api_key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
