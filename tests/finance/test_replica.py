"""With a read replica configured, the money report pages read finance's facts there."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from finance.services import facts_rebuild
from members.roles import FINANCE
from tests.factories.finance import bought_voucher, taipei
from tests.factories.staff import staff_user

# The replica alias on the test database, a mirror of the primary (as tests/reports/test_replica.py).
connections.settings.setdefault(
    "replica",
    {
        **connections.settings["default"],
        "TEST": {**connections.settings["default"]["TEST"], "MIRROR": "default"},
    },
)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_money_pages_read_their_facts_through_the_replica(client, settings):
    settings.REPORTS_DATABASE = "replica"
    bought_voucher(amount=1000, uses=2, category="wash", at=taipei(2026, 11, 3))
    facts_rebuild()
    client.force_login(staff_user(FINANCE))
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        page = client.get("/admin/reports/money-rollforward/", {"start": "2026-11-01", "end": "2026-11-30"})
        assert page.status_code == 200
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert '"finance_moneyfact"' in replica_sql
    assert '"finance_moneyfact"' not in primary_sql
    assert '"vouchers_ledgerentry"' not in primary_sql + replica_sql
