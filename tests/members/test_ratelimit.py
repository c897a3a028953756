"""Fixed-window rate limits kept in the database."""

from datetime import UTC, datetime, timedelta

import pytest

from members.exceptions import RateLimited
from members.models import RateLimitBucket
from members.ratelimit import ratelimit_hit, ratelimit_prune

pytestmark = pytest.mark.django_db

WINDOW = 60
# 10 seconds into a 60-second window.
WINDOW_START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW = WINDOW_START + timedelta(seconds=10)


def test_attempts_up_to_the_limit_are_counted():
    counts = [ratelimit_hit(key="code:1.2.3.4", limit=3, window_seconds=WINDOW, now=NOW) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert RateLimitBucket.objects.get(key="code:1.2.3.4").count == 3


def test_exceeding_the_limit_raises_rate_limited_with_retry_after():
    for _ in range(3):
        ratelimit_hit(key="code:1.2.3.4", limit=3, window_seconds=WINDOW, now=NOW)

    with pytest.raises(RateLimited) as caught:
        ratelimit_hit(key="code:1.2.3.4", limit=3, window_seconds=WINDOW, now=NOW)

    assert caught.value.retry_after == 50  # the window ends 50 seconds after NOW
    assert caught.value.code == "rate_limited"
    assert "50" in caught.value.message


def test_retry_after_shrinks_as_the_window_runs_out():
    ratelimit_hit(key="k", limit=1, window_seconds=WINDOW, now=NOW)

    with pytest.raises(RateLimited) as caught:
        ratelimit_hit(key="k", limit=1, window_seconds=WINDOW, now=WINDOW_START + timedelta(seconds=59))

    assert caught.value.retry_after == 1


def test_every_attempt_over_the_limit_stays_refused_within_the_window():
    for _ in range(2):
        ratelimit_hit(key="k", limit=2, window_seconds=WINDOW, now=NOW)

    for seconds in (11, 30, 59):
        with pytest.raises(RateLimited):
            ratelimit_hit(
                key="k", limit=2, window_seconds=WINDOW, now=WINDOW_START + timedelta(seconds=seconds)
            )


def test_a_new_window_resets_the_count():
    for _ in range(2):
        ratelimit_hit(key="k", limit=2, window_seconds=WINDOW, now=NOW)
    with pytest.raises(RateLimited):
        ratelimit_hit(key="k", limit=2, window_seconds=WINDOW, now=NOW)

    next_window = WINDOW_START + timedelta(seconds=WINDOW)
    assert ratelimit_hit(key="k", limit=2, window_seconds=WINDOW, now=next_window) == 1
    assert ratelimit_hit(key="k", limit=2, window_seconds=WINDOW, now=next_window) == 2


def test_keys_are_counted_separately():
    ratelimit_hit(key="a", limit=1, window_seconds=WINDOW, now=NOW)

    assert ratelimit_hit(key="b", limit=1, window_seconds=WINDOW, now=NOW) == 1
    with pytest.raises(RateLimited):
        ratelimit_hit(key="a", limit=1, window_seconds=WINDOW, now=NOW)


def test_prune_deletes_only_old_windows():
    ratelimit_hit(key="old", limit=5, window_seconds=WINDOW, now=NOW - timedelta(days=2))
    ratelimit_hit(key="new", limit=5, window_seconds=WINDOW, now=NOW)

    deleted = ratelimit_prune(older_than_seconds=86400, now=NOW)

    assert deleted == 1
    assert list(RateLimitBucket.objects.values_list("key", flat=True)) == ["new"]
