"""A confirmed bulk batch issued by a real django-q2 cluster (`manage.py qcluster`, 2 workers) against
the PostgreSQL test database: the batch is queued to both workers, the cluster is killed with
`kill -9` mid-way and started again, and every row ends issued exactly once (workers side by side
in one process: tests/vouchers/test_bulk_race.py)."""

import pytest
from django.db.models import Count

from tests.campaigns.test_cluster import Cluster, _env, wait_for
from tests.factories import DefinitionFactory, OwnedVehicleFactory, plate_batch
from vouchers.models import IssueBatch, LedgerEntry, Voucher
from vouchers.services.bulk import issue_batch_confirm

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 240


def test_two_workers_issue_a_batch_side_by_side_and_a_kill_loses_and_repeats_nothing(tmp_path):
    definition = DefinitionFactory(stock_total=ROWS + 10)
    cars = [OwnedVehicleFactory() for _ in range(ROWS)]
    batch = plate_batch(definition, cars)
    env = _env(
        "http://127.0.0.1:9",  # no message is sent here
        VOUCHERS_BULK_CHUNK_ROWS="10",
        VOUCHERS_BULK_TASK_SECONDS="1",
        VOUCHERS_BULK_WORKERS="2",
    )
    cluster = Cluster(env, tmp_path / "qcluster.log")
    issued = Voucher.objects.filter(definition=definition)
    try:
        cluster.start()
        issue_batch_confirm(batch=batch)  # committed: its two tasks go to the cluster
        assert wait_for(lambda: issued.count() >= 40, timeout=60), (tmp_path / "qcluster.log").read_text()
        cluster.kill9()
        cluster.start()
        batch_done = IssueBatch.objects.filter(pk=batch.pk, status=IssueBatch.Status.DONE)
        assert wait_for(batch_done.exists, timeout=90), (tmp_path / "qcluster.log").read_text()
    finally:
        cluster.stop()
    batch.refresh_from_db()
    counters = (batch.rows_done, batch.rows_issued, batch.rows_rejected, batch.vouchers_issued)
    assert counters == (ROWS, ROWS, 0, ROWS)
    assert issued.count() == ROWS
    assert not issued.values("vehicle_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert LedgerEntry.objects.filter(kind="issued", voucher__definition=definition).count() == ROWS
    definition.refresh_from_db()
    assert definition.stock_issued == ROWS
