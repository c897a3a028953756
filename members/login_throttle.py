"""Slow down password guessing for one account from one address, never lock the account.

A limit per user name lets a stranger lock a real advisor or operator out from every address by
typing their name with wrong passwords. The failures are counted per (log-in, user name, address)
pair instead: after `LOGIN_FAILURES_BEFORE_DELAY` of them, that pair must wait, and every further
failure doubles the wait up to `LOGIN_DELAY_MAX_SECONDS`. The same account signs in from any other
address at once, and a successful sign-in clears the pair's count. The per-address limit of each
log-in (a fixed window over every attempt) still bounds how fast one address may guess at all.

The counts are rate-limit buckets (members.ratelimit), each written in its own short transaction
outside the work of the log-in.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import formats, timezone

from .exceptions import LoginThrottled
from .ratelimit import ratelimit_clear, ratelimit_count_up, ratelimit_peek


def _pair_key(*, scope: str, username: str, address: str) -> str:
    return f"login-failures:{scope}:{address}:{_normalised(username)}"


def _normalised(username: str) -> str:
    # Case and surrounding spaces must not make a fresh count for the same account.
    return (username or "").strip().lower()[:150]


def login_delay_seconds(failures: int) -> int:
    """How long a pair waits after `failures` wrong passwords: 0 until the free ones are used up."""
    free = settings.LOGIN_FAILURES_BEFORE_DELAY
    if failures < free:
        return 0
    doublings = min(failures - free, 20)  # 2**20 is past any sensible maximum already
    return min(settings.LOGIN_DELAY_BASE_SECONDS * 2**doublings, settings.LOGIN_DELAY_MAX_SECONDS)


def login_throttle_check(*, scope: str, username: str, address: str) -> None:
    """Raise LoginThrottled while this pair's wait after its latest failure is still running."""
    now = timezone.now()
    failures, last_failure_at = ratelimit_peek(
        key=_pair_key(scope=scope, username=username, address=address),
        window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS,
        now=now,
    )
    delay = login_delay_seconds(failures)
    if not delay or last_failure_at is None:
        return
    retry_at = last_failure_at + timedelta(seconds=delay)
    if now < retry_at:
        raise LoginThrottled(
            retry_after=max(1, int((retry_at - now).total_seconds() + 0.999)),
            retry_at=formats.time_format(timezone.localtime(retry_at), "H:i:s"),
        )


def login_failure_record(*, scope: str, username: str, address: str) -> int:
    """Count one wrong password for this pair; returns the pair's failures in the window."""
    return ratelimit_count_up(
        key=_pair_key(scope=scope, username=username, address=address),
        window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS,
    )


def login_failures_clear(*, scope: str, username: str, address: str) -> None:
    """A successful sign-in: the pair starts again with its free attempts."""
    ratelimit_clear(key=_pair_key(scope=scope, username=username, address=address))
