"""Idempotent POSTs: exact replays that change nothing, 422 on reuse with another body, 409 while the
first request runs, what is (not) stored, pruning; and concurrency on PostgreSQL."""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from redemption.api import idempotency
from redemption.api.idempotency import idempotency_begin, prune
from redemption.models import Redemption
from redemption.partner_models import IdempotencyRecord
from tests.factories import DefinitionFactory, VehicleFactory
from vouchers.models import LedgerEntry, Voucher

from .api_support import client_for, make_key, post, problem, scene

pytestmark = pytest.mark.django_db
ISSUE = "/api/v1/vouchers/issue"


@pytest.fixture
def keyed():
    api_key, plaintext = make_key()
    return api_key, client_for(plaintext)


def _issue_body():
    DefinitionFactory(code="wash-idem")
    return {"definition": "wash-idem", "vehicle": {"vin": VehicleFactory().vin}, "quantity": 2}


def test_issue_replay_is_exact_and_issues_nothing_more(keyed):
    _key, client = keyed
    body = _issue_body()
    first = post(client, ISSUE, body, key="order-1001")
    assert first.status_code == 201
    second = post(client, ISSUE, body, key="order-1001")
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert Voucher.objects.count() == 2


def test_replay_ignores_key_order_and_spacing_of_the_body(keyed):
    _key, client = keyed
    body = _issue_body()
    first = post(client, ISSUE, body, key="k-order")
    reordered = dict(reversed(list(body.items())))
    assert post(client, ISSUE, reordered, key="k-order").content == first.content
    assert Voucher.objects.count() == 2


def test_same_key_with_another_body_is_422_and_changes_nothing(keyed):
    _key, client = keyed
    body = _issue_body()
    assert post(client, ISSUE, body, key="k-1").status_code == 201
    response = post(client, ISSUE, {**body, "quantity": 3}, key="k-1")
    assert response.status_code == 422
    assert problem(response)["code"] == "idempotency_key_reused"
    assert Voucher.objects.count() == 2


def test_same_key_on_another_path_is_422(keyed):
    _key, client = keyed
    s = scene()
    assert (
        post(
            client,
            f"/api/v1/vouchers/{s.voucher.code}/redeem",
            {"dealer": s.dealer.code, "vin": s.vehicle.vin},
            key="k-2",
        ).status_code
        == 200
    )
    response = post(client, ISSUE, _issue_body(), key="k-2")
    assert response.status_code == 422


def test_keys_are_scoped_per_api_key(keyed):
    _key, client = keyed
    body = _issue_body()
    assert post(client, ISSUE, body, key="shared").status_code == 201
    _other, other_plaintext = make_key()
    assert post(client_for(other_plaintext), ISSUE, body, key="shared").status_code == 201
    assert Voucher.objects.count() == 4


def test_redeem_replay_returns_the_first_redemption(keyed):
    _key, client = keyed
    s = scene(uses_per_voucher=3)
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    first = post(client, url, body, key="wo-1")
    replay = post(client, url, body, key="wo-1")
    assert replay.status_code == 200 and replay.content == first.content
    assert Redemption.objects.count() == 1
    assert Voucher.objects.get(pk=s.voucher.pk).uses_left == 2


def test_a_refusal_is_replayed_too(keyed):
    _key, client = keyed
    s = scene()
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    assert post(client, url, body).status_code == 200
    refused = post(client, url, body, key="late")
    assert problem(refused)["code"] == "voucher_exhausted"
    again = post(client, url, body, key="late")
    assert again.status_code == 409 and again.content == refused.content


def test_validation_errors_are_not_stored_so_a_corrected_request_may_reuse_the_key(keyed):
    _key, client = keyed
    body = _issue_body()
    assert post(client, ISSUE, {**body, "quantity": 0}, key="fix-me").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert post(client, ISSUE, body, key="fix-me").status_code == 201


def test_a_failed_request_releases_its_key(keyed, monkeypatch):
    _key, client = keyed
    body = _issue_body()
    monkeypatch.setattr("redemption.api.views.vouchers.voucher_issue", lambda **kw: 1 / 0)
    client.raise_request_exception = False
    assert post(client, ISSUE, body, key="crash").status_code == 500
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert post(client, ISSUE, body, key="crash").status_code == 201


def test_while_the_first_request_runs_a_retry_is_409(keyed):
    api_key, client = keyed
    body = _issue_body()
    path = ISSUE
    fingerprint = idempotency.fingerprint(method="POST", path=path, body=body)
    idempotency_begin(api_key=api_key, key="busy", fingerprint=fingerprint, method="POST", path=path)
    response = post(client, ISSUE, body, key="busy")
    assert response.status_code == 409
    assert problem(response)["code"] == "idempotency_request_in_progress"
    assert response["Retry-After"] == "1"
    assert not Voucher.objects.exists()


def test_a_request_that_died_stops_blocking_after_the_lock_time(keyed, settings):
    api_key, client = keyed
    body = _issue_body()
    fingerprint = idempotency.fingerprint(method="POST", path=ISSUE, body=body)
    record = idempotency_begin(
        api_key=api_key, key="died", fingerprint=fingerprint, method="POST", path=ISSUE
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        locked_at=timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS + 1)
    )
    response = post(client, ISSUE, body, key="died")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().status == IdempotencyRecord.Status.COMPLETED


def test_a_retry_after_a_lost_response_reuses_the_services_result(keyed, settings):
    """The service committed but the response was never stored: the retry gets the same vouchers."""
    api_key, client = keyed
    body = _issue_body()
    first = post(client, ISSUE, body, key="lost")
    IdempotencyRecord.objects.filter(api_key=api_key, key="lost").update(
        status=IdempotencyRecord.Status.PROCESSING,
        locked_at=timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_LOCK_SECONDS + 1),
    )
    retry = post(client, ISSUE, body, key="lost")
    assert [v["code"] for v in retry.json()["vouchers"]] == [v["code"] for v in first.json()["vouchers"]]
    assert Voucher.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 101, "tab\there", "日本"])
def test_malformed_keys_are_refused(keyed, key):
    _key, client = keyed
    response = post(client, ISSUE, _issue_body(), key=key)
    assert response.status_code == 400
    assert problem(response)["errors"][0]["header"] == "Idempotency-Key"


def test_prune_keeps_a_day_at_least(keyed, settings):
    settings.API_IDEMPOTENCY_RETENTION_HOURS = 48
    _key, client = keyed
    post(client, ISSUE, _issue_body(), key="old")
    now = timezone.now()
    IdempotencyRecord.objects.update(created_at=now - timedelta(hours=47))
    assert prune(now=now) == 0
    IdempotencyRecord.objects.update(created_at=now - timedelta(hours=49))
    assert prune(now=now) == 1
    assert not IdempotencyRecord.objects.exists()


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------


def _run_in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index: int):
        try:
            barrier.wait()
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redeems_of_a_single_use_voucher_give_one_success():
    s = scene()
    _key, plaintext = make_key(rate_limit=1000)
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}

    def redeem(_index):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        response = client.post(url, body, content_type="application/json")
        return response.status_code, response.json()["code"] if response.status_code != 200 else "ok"

    results = _run_in_threads(50, redeem)
    assert sorted(results).count((200, "ok")) == 1
    assert results.count((409, "voucher_exhausted")) == 49
    voucher = Voucher.objects.get(pk=s.voucher.pk)
    assert (voucher.uses_left, voucher.status) == (0, Voucher.Status.USED)
    assert LedgerEntry.objects.filter(voucher=voucher, kind=LedgerEntry.Kind.REDEEMED).count() == 1
    assert Redemption.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_redeem_once_and_replay_exactly():
    s = scene(uses_per_voucher=5)
    _key, plaintext = make_key(rate_limit=1000)
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}

    def redeem(_index):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}", HTTP_IDEMPOTENCY_KEY="same-operation")
        response = client.post(url, body, content_type="application/json")
        return response.status_code, response.content

    results = _run_in_threads(20, redeem)
    successes = {content for status, content in results if status == 200}
    assert len(successes) == 1  # every 200 is byte-for-byte the first response
    others = [status for status, _content in results if status != 200]
    assert set(others) <= {409}  # retries that arrived while the first was running
    assert Voucher.objects.get(pk=s.voucher.pk).uses_left == 4
    assert Redemption.objects.count() == 1
    client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}", HTTP_IDEMPOTENCY_KEY="same-operation")
    assert client.post(url, body, content_type="application/json").content in successes
