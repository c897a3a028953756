"""Use cases for partner API keys: create (the key is shown once), authenticate, revoke.

A key reads `svk_<prefix>_<secret>`. The prefix finds the row; only SHA-256 of the secret is stored
and compared in constant time. The secret has 256 random bits, so an unsalted hash is enough.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from config.stored_text import fit_to_column
from members.models import Dealer

from .locks import api_key_for_update
from .partner_models import ApiKey, ApiScope

KEY_MARK = "svk"
# last_used_at is informative; writing it once a minute per key is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyInvalid(DomainError):
    code = "invalid_api_key"
    default_message = _("Check the key's name, scopes and dealers.")
    http_status = 400


@dataclass(frozen=True)
class CreatedKey:
    api_key: ApiKey
    plaintext: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    name: str,
    scopes: list[str],
    dealer_codes: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
    now: datetime | None = None,
) -> CreatedKey:
    """Create a key; the returned plaintext is the only time the secret exists outside the caller."""
    now = now or timezone.now()
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in ApiScope.values]
    if not scopes or unknown:
        raise ApiKeyInvalid(_("Scopes must be some of: %(allowed)s."), allowed=", ".join(ApiScope.values))
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise ApiKeyInvalid(_("The rate limit must be at least 1 request per minute."))
    codes = sorted(set(dealer_codes or []))
    dealers = list(Dealer.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {d.code for d in dealers})
    if missing:
        raise ApiKeyInvalid(_("Unknown dealer codes: %(codes)s."), codes=", ".join(missing))
    secret = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            api_key = ApiKey.objects.create(
                name=name,
                prefix=secrets.token_hex(6),
                secret_hash=_hash(secret),
                scopes=scopes,
                rate_limit_per_minute=rate_limit_per_minute,
                created_at=now,
            )
            api_key.dealers.set(dealers)
    except IntegrityError as exc:
        raise ApiKeyInvalid(_("An API key with this name already exists.")) from exc
    return CreatedKey(api_key=api_key, plaintext=f"{KEY_MARK}_{api_key.prefix}_{secret}")


def api_key_authenticate(plaintext: str, *, now: datetime | None = None) -> ApiKey | None:
    """The active key `plaintext` names, or None. Never says which part was wrong."""
    parts = plaintext.split("_", 2) if isinstance(plaintext, str) else []
    if len(parts) != 3 or parts[0] != KEY_MARK or not parts[1] or not parts[2]:
        return None
    api_key = ApiKey.objects.filter(prefix=parts[1][:16], revoked_at__isnull=True).first()
    # Hash even when no row matched, so timing does not tell a known prefix from an unknown one.
    expected = api_key.secret_hash if api_key else "0" * 64
    if not hmac.compare_digest(_hash(parts[2]), expected) or api_key is None:
        return None
    now = now or timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_key_revoke(*, api_key: ApiKey, reason: str = "", now: datetime | None = None) -> ApiKey:
    """Revoke a key for good; requests with it answer 401 from now on. Revoking twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = api_key_for_update(api_key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = now
            locked.revoked_reason = fit_to_column(ApiKey, "revoked_reason", reason.strip())
            locked.save(update_fields=["revoked_at", "revoked_reason"])
            locked.webhook_endpoints.update(is_active=False)
    api_key.revoked_at, api_key.revoked_reason = locked.revoked_at, locked.revoked_reason
    return api_key
