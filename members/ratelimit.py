"""Fixed-window rate limits kept in the database.

The embedded default has no Redis, and Django's local-memory cache is per process, so a limit kept
there would multiply by the number of gunicorn workers. A row per (key, window) incremented with a
single UPDATE is exact on PostgreSQL and SQLite alike and is shared by every web node.
"""

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config.stored_text import fit_to_column

from .exceptions import RateLimited
from .models import RateLimitBucket


def _window_start(now: datetime, window_seconds: int) -> datetime:
    start = int(now.timestamp()) // window_seconds * window_seconds
    return datetime.fromtimestamp(start, tz=UTC)


def ratelimit_hit(*, key: str, limit: int, window_seconds: int, now: datetime | None = None) -> int:
    """Count one attempt under `key`; raise RateLimited once more than `limit` fall in the window."""
    now = now or timezone.now()
    window_start = _window_start(now, window_seconds)
    count = ratelimit_count_up(key=key, window_seconds=window_seconds, now=now)
    if count > limit:
        retry_after = max(1, int(window_start.timestamp()) + window_seconds - int(now.timestamp()))
        raise RateLimited(retry_after=retry_after)
    return count


def ratelimit_count_up(*, key: str, window_seconds: int, now: datetime | None = None) -> int:
    """Add one to `key`'s count in the current window, in its own short transaction; returns the count."""
    now = now or timezone.now()
    window_start = _window_start(now, window_seconds)
    key = fit_to_column(RateLimitBucket, "key", key)
    buckets = RateLimitBucket.objects.filter(key=key, window_start=window_start)
    with transaction.atomic():
        updated = buckets.update(count=F("count") + 1, last_hit_at=now)
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitBucket.objects.create(
                        key=key, window_start=window_start, count=1, last_hit_at=now
                    )
            except IntegrityError:
                buckets.update(count=F("count") + 1, last_hit_at=now)
        return buckets.values_list("count", flat=True)[0]


def ratelimit_peek(
    *, key: str, window_seconds: int, now: datetime | None = None
) -> tuple[int, datetime | None]:
    """`key`'s count in the current window and when it last grew, without counting."""
    now = now or timezone.now()
    row = (
        RateLimitBucket.objects.filter(
            key=fit_to_column(RateLimitBucket, "key", key), window_start=_window_start(now, window_seconds)
        )
        .values_list("count", "last_hit_at")
        .first()
    )
    return row or (0, None)


def ratelimit_clear(*, key: str) -> None:
    """Forget every count kept under `key` (a successful log-in clears its failures)."""
    RateLimitBucket.objects.filter(key=key[:200]).delete()


def ratelimit_prune(*, older_than_seconds: int = 86400, now: datetime | None = None) -> int:
    """Delete buckets whose window ended long ago; returns how many went."""
    now = now or timezone.now()
    cutoff = datetime.fromtimestamp(int(now.timestamp()) - older_than_seconds, tz=UTC)
    deleted, _ = RateLimitBucket.objects.filter(window_start__lt=cutoff).delete()
    return deleted


def client_ip(request) -> str:
    """The client address; REMOTE_ADDR unless a trusted proxy count is configured."""
    from django.conf import settings

    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "unknown")
