"""Fixed-window rate limits, shared by every web node.

The embedded default has no Redis, and Django's local-memory cache is per process, so a limit kept
there would multiply by the number of gunicorn workers. `ratelimit_hit` keeps a row per (key,
window) incremented with a single UPDATE: exact on PostgreSQL and SQLite alike, fine for log-ins and
look-ups, but every request of one key takes turns on that row's lock.

`ratelimit_take` is for hot paths (the partner API's per-key limit): Redis `INCR` in a Lua script
where RATELIMIT_REDIS_URL is set; otherwise the window's budget split over a few rows ("shards",
each with its share of the limit) that a request counts on with one conditional UPDATE in its own
short transaction, so the requests of one key seldom meet on a lock. Both are exact: no more than
`limit` requests pass in a window, and a request is refused only when the whole budget is spent.
"""

import logging
import random
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
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


# --- Hot-path limit: Redis, or the budget split over a few rows ----------------------------------

SHARDS = 8
log = logging.getLogger(__name__)

# INCR and the expiry of a new window's counter in one atomic step (a crash between two commands
# would leave a counter that never expires).
_INCR_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
_redis = {"client": None, "script": None, "url": None}


def _redis_script():
    url = settings.RATELIMIT_REDIS_URL
    if not url:
        return None
    if _redis["url"] != url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _redis.update(client=client, script=client.register_script(_INCR_SCRIPT), url=url)
    return _redis["script"]


def _retry_after(now: datetime, window_start: datetime, window_seconds: int) -> int:
    return max(1, int(window_start.timestamp()) + window_seconds - int(now.timestamp()))


def ratelimit_take(*, key: str, limit: int, window_seconds: int, now: datetime | None = None) -> int:
    """Count one request under `key`; raise RateLimited once `limit` have passed in this window.
    Returns how many have passed, this one included (for a Remaining header). Call it outside the
    transaction that does the work."""
    now = now or timezone.now()
    window_start = _window_start(now, window_seconds)
    script = _redis_script()
    if script is not None:
        try:
            count = int(
                script(
                    keys=[f"{settings.RATELIMIT_REDIS_PREFIX}{key}:{int(window_start.timestamp())}"],
                    args=[window_seconds + 60],
                )
            )
        except Exception:  # Redis down: count in the database rather than refuse every request
            log.warning("rate limit: Redis unreachable, counting in the database", exc_info=True)
        else:
            if count > limit:
                raise RateLimited(retry_after=_retry_after(now, window_start, window_seconds))
            return count
    count = _take_from_shards(key=key, limit=limit, window_start=window_start, now=now)
    if count is None:
        raise RateLimited(retry_after=_retry_after(now, window_start, window_seconds))
    return count


def _shard_caps(limit: int) -> list[int]:
    shards = max(1, min(SHARDS, limit))
    return [limit // shards + (1 if i < limit % shards else 0) for i in range(shards)]


def _take_from_shards(*, key: str, limit: int, window_start: datetime, now: datetime) -> int | None:
    """One use of the window's budget, or None when it is spent. Usually one statement: the UPDATE
    of a random shard that still has room; when that shard is full or not there yet, the shards are
    read and created, and the others tried. A shard only fills up within a window, so once every
    shard was seen full the budget is spent."""
    caps = _shard_caps(limit)
    all_keys = [f"{key[:190]}#{i}" for i in range(SHARDS)]  # the column has 200 characters
    keys = all_keys[: len(caps)]
    quote = connection.ops.quote_name
    table, key_col, count_col = quote(RateLimitBucket._meta.db_table), quote("key"), quote("count")
    window_col, hit_col = quote("window_start"), quote("last_hit_at")
    # Raw SQL (an UPDATE that returns what it counted), so values go in as the ORM stores them.
    db_window = connection.ops.adapt_datetimefield_value(window_start)
    db_now = connection.ops.adapt_datetimefield_value(now)
    others = ", ".join(["%s"] * (SHARDS - 1))
    # What the key's other shards counted in this window (every shard a limit may use): in the
    # answer, for the Remaining header, and in the condition, so that a limit lowered within a
    # window holds too (a shard's own share keeps a constant limit exact even under concurrency).
    other_shards = (
        f"(SELECT COALESCE(SUM(b.{count_col}), 0) FROM {table} b"  # noqa: S608
        f" WHERE b.{window_col} = %s AND b.{key_col} IN ({others}))"
    )
    # On PostgreSQL, outside a transaction, the UPDATE's own commit does not wait for the disk: a
    # crash may forget the last fraction of a second of counts (a few more requests pass after a
    # restart), and no request waits for a flush to be counted. Never inside a caller's transaction,
    # whose commit must stay durable.
    no_flush = ""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        no_flush = " AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
    # Quoted identifiers only; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {count_col} = {count_col} + 1, {hit_col} = %s"  # noqa: S608
        f" WHERE {key_col} = %s AND {window_col} = %s AND {count_col} < %s"
        f" AND {count_col} + {other_shards} < %s{no_flush}"
        f" RETURNING {count_col}, {other_shards}"
    )
    first = random.randrange(len(caps))
    order = [first] + [i for i in random.sample(range(len(caps)), len(caps)) if i != first]
    read = False
    for index in order:
        other_keys = [k for k in all_keys if k != keys[index]]
        with connection.cursor() as cursor:
            where = [keys[index], db_window, caps[index], db_window, *other_keys, limit]
            cursor.execute(sql, [db_now, *where, db_window, *other_keys])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]) + int(row[1])
        if not read:
            # The first miss: make sure every shard exists (the window's first requests create them).
            read = True
            existing = set(
                RateLimitBucket.objects.filter(key__in=keys, window_start=window_start).values_list(
                    "key", flat=True
                )
            )
            missing = [k for k in keys if k not in existing]
            if missing:
                RateLimitBucket.objects.bulk_create(
                    [RateLimitBucket(key=k, window_start=window_start, count=0) for k in missing],
                    ignore_conflicts=True,
                )
                if keys[index] in missing:
                    return _take_from_shards(key=key, limit=limit, window_start=window_start, now=now)
    return None
