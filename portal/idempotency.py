"""Every action form carries a random token; the service receives it as the idempotency key, so a
double tap or a resubmitted page changes nothing the second time."""

import re
import secrets

from .exceptions import FormExpired

FIELD = "idempotency_key"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def idempotency_token() -> str:
    return secrets.token_urlsafe(24)


def idempotency_key(request) -> str:
    """The posted token scoped to the signed-in owner, so two owners can never share a key."""
    token = request.POST.get(FIELD, "")
    if not _TOKEN.match(token):
        raise FormExpired()
    return f"portal:{request.owner.pk}:{token}"


def form_token_ok(request, form) -> bool:
    """For forms whose service takes no key (naturally idempotent): the token must still be there,
    so every portal action form follows one contract. A bad token becomes a form error."""
    try:
        idempotency_key(request)
    except FormExpired as exc:
        form.add_error(None, exc.message)
        return False
    return True
