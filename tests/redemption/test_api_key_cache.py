"""A partner key (with its scopes and dealers) is read from the database once and then from the
cache for API_KEY_CACHE_SECONDS (issue 15); any change of the key is seen by the next request."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from redemption.api_keys import _cache_key, api_key_authenticate, api_key_revoke
from redemption.partner_models import ApiKey
from tests.factories import DealerFactory

from .api_support import client_for, make_key, post, problem, scene

pytestmark = pytest.mark.django_db
KEY_READ = 'FROM "redemption_apikey"'


def _reads_the_key(client, url) -> bool:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return any(KEY_READ in q["sql"] for q in queries.captured_queries)


def test_the_key_is_read_once_then_from_the_cache():
    s = scene()
    _key, plaintext = make_key()
    client = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}"
    assert _reads_the_key(client, url)
    assert not _reads_the_key(client, url)


def test_without_a_cache_time_every_request_reads_the_key(settings):
    settings.API_KEY_CACHE_SECONDS = 0
    s = scene()
    _key, plaintext = make_key()
    client = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}"
    assert _reads_the_key(client, url)
    assert _reads_the_key(client, url)


def test_a_scope_taken_away_is_refused_at_once():
    s = scene()
    api_key, plaintext = make_key()
    client = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}"
    assert client.get(url).status_code == 200
    api_key.scopes = ["redeem"]
    api_key.save(update_fields=["scopes"])
    response = client.get(url)
    assert response.status_code == 403 and problem(response)["code"] == "permission_denied"


def test_a_dealer_taken_away_is_refused_at_once():
    s = scene(uses_per_voucher=3)
    api_key, plaintext = make_key(dealers=[s.dealer])
    client = client_for(plaintext)
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    assert post(client, url, body).status_code == 200
    api_key.dealers.set([DealerFactory()])
    response = post(client, url, body)
    assert response.status_code == 403 and problem(response)["code"] == "permission_denied"
    api_key.dealers.clear()  # no list: every dealer
    assert post(client, url, body).status_code == 200


def test_a_copy_read_before_a_revocation_commits_is_dropped(django_capture_on_commit_callbacks):
    api_key, plaintext = make_key()
    stale = api_key_authenticate(plaintext)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        api_key_revoke(api_key=api_key, reason="leaked")
        # Another process, reading the row before this commit, caches the key as still active.
        cache.set(_cache_key(api_key.prefix), stale, 60)
    assert api_key_authenticate(plaintext) is None
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
