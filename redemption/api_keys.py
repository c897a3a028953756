"""Use cases for partner API keys: create (the key is shown once), authenticate, revoke.

A key reads `svk_<prefix>_<secret>`. The prefix finds the row; only SHA-256 of the secret is stored
and compared in constant time. The secret has 256 random bits, so an unsalted hash is enough.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
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


def _cache_key(prefix: str) -> str:
    return f"api-key:{prefix}"


def api_key_forget(prefix: str) -> None:
    """Drop the cached copy of a key (see `api_key_authenticate`): now, and again when the change
    commits, so a request reading the row before the commit cannot keep the old copy."""
    cache.delete(_cache_key(prefix))
    transaction.on_commit(lambda: cache.delete(_cache_key(prefix)))


def _active_key(prefix: str) -> ApiKey | None:
    """The active key with this prefix and the ids of its dealers (`dealer_ids`, empty: every
    dealer), from the cache for API_KEY_CACHE_SECONDS: a partner's every request needs both, and
    they change only through this module (which forgets the copy). Unknown prefixes are not cached."""
    api_key = cache.get(_cache_key(prefix))
    if api_key is not None:
        return api_key
    api_key = ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if api_key is None:
        return None
    api_key.dealer_ids = frozenset(api_key.dealers.values_list("pk", flat=True))
    cache.set(_cache_key(prefix), api_key, settings.API_KEY_CACHE_SECONDS)
    return api_key


def api_key_dealer_ids(api_key: ApiKey) -> frozenset[int]:
    """The dealers a key may act for (empty: every dealer); read with the key when it authenticated."""
    if not hasattr(api_key, "dealer_ids"):
        api_key.dealer_ids = frozenset(api_key.dealers.values_list("pk", flat=True))
    return api_key.dealer_ids


def api_key_authenticate(plaintext: str, *, now: datetime | None = None) -> ApiKey | None:
    """The active key `plaintext` names, or None. Never says which part was wrong."""
    parts = plaintext.split("_", 2) if isinstance(plaintext, str) else []
    if len(parts) != 3 or parts[0] != KEY_MARK or not parts[1] or not parts[2]:
        return None
    api_key = _active_key(parts[1][:16])
    # Hash even when no row matched, so timing does not tell a known prefix from an unknown one.
    expected = api_key.secret_hash if api_key else "0" * 64
    if not hmac.compare_digest(_hash(parts[2]), expected) or api_key is None:
        return None
    now = now or timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        cache.set(_cache_key(api_key.prefix), api_key, settings.API_KEY_CACHE_SECONDS)
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
            api_key_forget(locked.prefix)
    api_key.revoked_at, api_key.revoked_reason = locked.revoked_at, locked.revoked_reason
    return api_key


@receiver(post_save, sender=ApiKey, dispatch_uid="redemption.api_key_saved")
@receiver(post_delete, sender=ApiKey, dispatch_uid="redemption.api_key_deleted")
def _on_api_key_changed(sender, instance: ApiKey, **kwargs) -> None:
    # Whatever changed it (this module, a shell, a test): no cached copy outlives the change.
    api_key_forget(instance.prefix)


@receiver(m2m_changed, sender=ApiKey.dealers.through, dispatch_uid="redemption.api_key_dealers")
def _on_api_key_dealers_changed(sender, instance, **kwargs) -> None:
    if isinstance(instance, ApiKey):
        api_key_forget(instance.prefix)
    else:  # a dealer's side of the relation changed: which keys it concerns is not worth finding out
        cache.delete_many([_cache_key(p) for p in ApiKey.objects.values_list("prefix", flat=True)])
