"""The hot-path rate limit (members.ratelimit.ratelimit_take): exact in the database (the budget
split over shard rows) and in Redis, also under concurrency; the partner API answers its refusal
as the 429 problem with Retry-After."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from members import ratelimit
from members.exceptions import RateLimited
from members.models import RateLimitBucket
from members.ratelimit import ratelimit_take

pytestmark = pytest.mark.django_db
REDIS_URL = "redis://127.0.0.1:6379/2"  # this project's tests own db 2
NOW = datetime(2026, 12, 6, 10, 0, 30, tzinfo=UTC)


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture
def in_redis(settings):
    client = _redis_or_skip()
    prefix = f"test-perfapi:{uuid.uuid4().hex}:"
    settings.RATELIMIT_REDIS_URL = REDIS_URL
    settings.RATELIMIT_REDIS_PREFIX = prefix
    yield client
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _take_all(key: str, limit: int, attempts: int, now=NOW) -> tuple[list[int], int]:
    passed, refused = [], 0
    for _n in range(attempts):
        try:
            passed.append(ratelimit_take(key=key, limit=limit, window_seconds=60, now=now))
        except RateLimited:
            refused += 1
    return passed, refused


@pytest.mark.parametrize("limit", [1, 3, 8, 13, 50])
def test_database_passes_exactly_the_limit_and_counts_each(limit):
    passed, refused = _take_all("api-key:exact", limit, limit + 5)
    assert passed == list(range(1, limit + 1))
    assert refused == 5


def test_database_spreads_a_key_over_shard_rows_with_their_share():
    _take_all("api-key:spread", 20, 20)
    rows = RateLimitBucket.objects.filter(key__startswith="api-key:spread#")
    assert rows.count() == ratelimit.SHARDS
    assert sum(r.count for r in rows) == 20
    assert all(r.count <= 20 // ratelimit.SHARDS + 1 for r in rows)


def test_database_refusal_says_when_the_window_ends():
    _take_all("api-key:wait", 1, 1)
    with pytest.raises(RateLimited) as refused:
        ratelimit_take(key="api-key:wait", limit=1, window_seconds=60, now=NOW)
    assert refused.value.retry_after == 30


def test_a_new_window_starts_a_new_budget_and_keys_are_separate():
    _take_all("api-key:a", 2, 2)
    assert _take_all("api-key:a", 2, 1)[1] == 1
    assert _take_all("api-key:b", 2, 1)[0] == [1]
    assert _take_all("api-key:a", 2, 2, now=NOW + timedelta(seconds=60))[0] == [1, 2]


def test_a_lower_limit_within_the_window_still_holds():
    _take_all("api-key:lowered", 10, 6)
    passed, refused = _take_all("api-key:lowered", 3, 4)
    assert passed == [] and refused == 4


@pytest.mark.parametrize("limit", [1, 4, 30])
def test_redis_passes_exactly_the_limit(in_redis, limit):
    passed, refused = _take_all("api-key:redis", limit, limit + 4)
    assert passed == list(range(1, limit + 1))
    assert refused == 4
    assert not RateLimitBucket.objects.exists()  # counted in Redis only
    (stored,) = list(in_redis.scan_iter(f"{ratelimit.settings.RATELIMIT_REDIS_PREFIX}*"))
    assert 60 < in_redis.ttl(stored) <= 120


def test_redis_refusal_says_when_the_window_ends(in_redis):
    _take_all("api-key:redis-wait", 1, 1)
    with pytest.raises(RateLimited) as refused:
        ratelimit_take(key="api-key:redis-wait", limit=1, window_seconds=60, now=NOW)
    assert refused.value.retry_after == 30


def test_unreachable_redis_counts_in_the_database(settings):
    settings.RATELIMIT_REDIS_URL = "redis://127.0.0.1:1/2"  # nothing listens there
    passed, refused = _take_all("api-key:fallback", 2, 3)
    assert (passed, refused) == ([1, 2], 1)
    assert RateLimitBucket.objects.filter(key__startswith="api-key:fallback#").exists()


# --- concurrency: many workers, one key -------------------------------------------------------------


def _concurrently(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait()
            results[index] = work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _attempt(key: str, limit: int):
    def work():
        outcomes = []
        for _n in range(5):
            try:
                ratelimit_take(key=key, limit=limit, window_seconds=60, now=NOW)
                outcomes.append("passed")
            except RateLimited:
                outcomes.append("refused")
        return outcomes

    return work


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("limit", [7, 45])
def test_database_is_exact_under_concurrency(limit):
    outcomes = [o for result in _concurrently(16, _attempt("api-key:race", limit)) for o in result]
    assert outcomes.count("passed") == limit
    assert outcomes.count("refused") == 16 * 5 - limit
    assert (
        sum(RateLimitBucket.objects.filter(key__startswith="api-key:race#").values_list("count", flat=True))
        == limit
    )


@pytest.mark.django_db(transaction=True)
def test_redis_is_exact_under_concurrency(in_redis):
    outcomes = [o for result in _concurrently(16, _attempt("api-key:redis-race", 45)) for o in result]
    assert outcomes.count("passed") == 45
    assert outcomes.count("refused") == 16 * 5 - 45


# --- the partner API answers it ---------------------------------------------------------------------


@pytest.mark.usefixtures("one_rate_limit_window")
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_api_limit_is_the_429_problem_with_retry_after(backend, request):
    if backend == "redis":
        request.getfixturevalue("in_redis")
    from tests.redemption.api_support import client_for, make_key, problem, scene

    s = scene()
    _key, plaintext = make_key(rate_limit=2)
    client = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}"
    assert [client.get(url)["RateLimit-Remaining"] for _ in range(2)] == ["1", "0"]
    response = client.get(url)
    assert response.status_code == 429
    assert problem(response)["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
