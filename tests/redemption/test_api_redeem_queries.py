"""The partner API's redeem stays lean (issue 15): a constant number of SQL statements per request,
whatever the definition's model and dealer lists, counted with the transaction's own BEGIN and
COMMIT (SAVEPOINT and RELEASE here, inside the test's transaction).

With the limit counted in the database (the default) and the key read from the cache (its scopes
and dealers with it): the limit, the voucher, the dealer and the vehicle (one statement on
PostgreSQL, `config.prepared.read_together`; three on SQLite); then one transaction: the
vehicle locked, the voucher locked with its replays and rules read, one statement writing the
voucher, its ledger entry, the redemption, the reading and the car's mileage and visit
(`config.one_statement`) with the follow-up task's row (`config.task_outbox`), the stored answer.
Issue 15 asks for at most 10 on PostgreSQL (35 before the issue, 15 before the writes went as one
statement, 10 before the three reads went as one); SQLite writes them one by one, the task's row
among them (it was enqueued after the commit before, where this count did not see it). A change
that adds a statement must say why here."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redemption.partner_models import WebhookEndpoint
from tests.factories import DealerFactory, VehicleModelFactory

from .api_support import client_for, make_key, scene

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
WITH_MILEAGE = 8 if POSTGRES else 15
# No reading: one write fewer (on PostgreSQL one part fewer of the same statement).
WITHOUT_MILEAGE = 8 if POSTGRES else 14


def _setting():
    s = scene(uses_per_voucher=5)
    s.definition.allowed_models.add(s.vehicle.model, VehicleModelFactory())
    s.definition.allowed_dealers.add(s.dealer, DealerFactory())
    _key, plaintext = make_key(dealers=[s.dealer, DealerFactory()])
    client = client_for(plaintext)
    assert _redeem(client, s, mileage_km=1000).status_code == 200  # the minute's first creates its rows
    return s, client


def _redeem(client, s, **body):
    return client.post(
        f"/api/v1/vouchers/{s.voucher.code}/redeem",
        {"dealer": s.dealer.code, "vin": s.vehicle.vin, **body},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def _statements(client, s, **body) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = _redeem(client, s, **body)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.usefixtures("one_rate_limit_window")
def test_one_redeem_with_mileage():
    s, client = _setting()
    statements = _statements(client, s, mileage_km=1200, work_order="WO-1")
    assert len(statements) == WITH_MILEAGE, "\n".join(statements)
    assert sum(sql.startswith(("SAVEPOINT", "BEGIN")) for sql in statements) == 1  # one transaction
    assert not any('FROM "redemption_apikey"' in sql for sql in statements)  # the key: cached


@pytest.mark.usefixtures("one_rate_limit_window")
def test_one_redeem_without_mileage():
    s, client = _setting()
    statements = _statements(client, s)
    assert len(statements) == WITHOUT_MILEAGE, "\n".join(statements)


@pytest.mark.usefixtures("one_rate_limit_window")
def test_webhook_endpoints_are_looked_up_only_when_one_exists():
    s, client = _setting()
    endpoints_read = 'SELECT "redemption_webhookendpoint"'
    assert not any(sql.startswith(endpoints_read) for sql in _statements(client, s))
    api_key, _plaintext = make_key()
    WebhookEndpoint.objects.create(api_key=api_key, url="https://partner.example/hook", secret="s" * 32)
    assert any(sql.startswith(endpoints_read) for sql in _statements(client, s))


@pytest.mark.usefixtures("one_rate_limit_window")
def test_a_replay_is_answered_from_the_stored_response():
    s, client = _setting()
    body = {"dealer": s.dealer.code, "vin": s.vehicle.vin}
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="again")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="again")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
