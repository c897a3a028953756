"""DATABASE_REPLICA_URL adds a read replica; the router sends the reports' reads there, and nothing else."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from config.db_router import ReportReplicaRouter
from members.models import Dealer
from members.roles import OPERATIONS
from reports.models import DemandFact, FactRefresh
from tests.factories.staff import staff_user

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import router
from reports.models import DemandFact
from vouchers.models import LedgerEntry
print(json.dumps({
    "aliases": sorted(settings.DATABASES),
    "replica": settings.DATABASES.get("replica", {}).get("NAME"),
    "mirror": settings.DATABASES.get("replica", {}).get("TEST", {}).get("MIRROR"),
    "fact_read": router.db_for_read(DemandFact),
    "fact_write": router.db_for_write(DemandFact),
    "ledger_read": router.db_for_read(LedgerEntry),
    "migrate_replica": router.allow_migrate("replica", "reports"),
}))
"""


def _probe(**env) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_with_a_replica_url_report_reads_go_to_the_replica_and_writes_to_the_primary():
    seen = _probe(DATABASE_REPLICA_URL="sqlite:////tmp/h_reports_replica.sqlite3")
    assert seen == {
        "aliases": ["default", "replica"],
        "replica": "/tmp/h_reports_replica.sqlite3",
        "mirror": "default",
        "fact_read": "replica",
        "fact_write": "default",
        "ledger_read": "default",  # everything else: the primary
        "migrate_replica": False,
    }


def test_without_a_replica_everything_stays_on_the_primary():
    seen = _probe()
    assert seen["aliases"] == ["default"]
    assert seen["fact_read"] == "default"


def test_the_router_sends_only_report_models_to_the_replica(settings):
    settings.REPORTS_DATABASE = "replica"
    router = ReportReplicaRouter()
    assert router.db_for_read(DemandFact) == "replica"
    assert router.db_for_read(FactRefresh) == "replica"
    assert router.db_for_read(Dealer) is None
    assert router.db_for_write(DemandFact) == "default"
    assert router.allow_migrate("replica", "reports") is False
    assert router.allow_migrate("default", "reports") is True


# A second alias on the test database, as DATABASE_REPLICA_URL gives (TEST MIRROR: the test run sets
# it up as a mirror of the primary's test database). Added when this module is collected, before the
# test databases are set up; the router uses it only where settings.REPORTS_DATABASE names it.
connections.settings.setdefault(
    "replica",
    {
        **connections.settings["default"],
        "TEST": {**connections.settings["default"]["TEST"], "MIRROR": "default"},
    },
)


@pytest.fixture
def replica_alias(settings):
    settings.REPORTS_DATABASE = "replica"
    return "replica"


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_report_page_reads_its_figures_through_the_replica_connection(client, replica_alias):
    from django.core.management import call_command

    call_command("rebuild_report_facts", verbosity=0)
    client.force_login(staff_user(OPERATIONS))
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        assert client.get("/admin/reports/demand/").status_code == 200
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert '"reports_demandfact"' in replica_sql
    assert '"reports_demandfact"' not in primary_sql
