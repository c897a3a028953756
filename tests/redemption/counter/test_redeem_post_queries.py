"""The counter's redeem POST: its service part is the API's lean transaction (issue 15), and the
whole POST issues a constant number of statements (the view adds the session, the advisor with
their dealer role, and the car with the voucher's scope check; this test holds the total)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redemption.models import Redemption

from .conftest import page_token, use_url

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"
# BEGIN, vehicle lock, voucher lock (rules, replays), then on PostgreSQL one statement writing the
# voucher, its ledger entry, the redemption, the reading, the car's mileage and visit and the
# follow-up task's row (config.one_statement, config.task_outbox; SQLite writes them one by one:
# 6 statements), COMMIT. 9 before.
TRANSACTION = 5 if POSTGRES else 10
# + the session, the advisor with their dealer role, the car with the voucher's scope
WHOLE_POST = TRANSACTION + 3


def _transaction(statements: list[str]) -> list[str]:
    """The statements from the service's BEGIN (a SAVEPOINT inside the test) to its COMMIT."""
    start = next(i for i, sql in enumerate(statements) if sql.startswith(("SAVEPOINT", "BEGIN")))
    end = next(i for i, sql in enumerate(statements) if sql.startswith(("RELEASE", "COMMIT")))
    return statements[start : end + 1]


def test_redeem_post_statements(counter, vehicle, voucher):
    token = page_token(counter, vehicle, voucher)
    data = {"token": token, "mileage": "15000", "work_order": "WO-7", "action": "redeem"}
    with CaptureQueriesContext(connection) as queries:
        response = counter.post(use_url(vehicle, voucher), data)
    assert response.status_code == 302
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    statements = [q["sql"] for q in queries.captured_queries]
    listing = "\n".join(statements)
    assert len(_transaction(statements)) == TRANSACTION, listing
    assert len(statements) == WHOLE_POST, listing
