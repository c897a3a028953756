"""Real django-q2 clusters (`manage.py qcluster` subprocesses) against the PostgreSQL test database.

1. Kill -9 the cluster in the middle of the nightly expiry and again in the middle of sending the
   reminders, start it again each time: every job completes, with no duplicate and nothing lost.
2. The Redis broker path: a task enqueued on Redis is run by a real worker.

The SMS provider is a fake HTTP server on loopback that, like real gateways, accepts each client
reference once; the tests count what it accepted.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.tasks import async_task

from campaigns.models import JobRun, Notification
from tests.campaigns.conftest import start_provider
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
from vehicles.models import Vehicle
from vouchers.models import LedgerEntry, Voucher
from vouchers.selectors import ledger_drift
from vouchers.services import voucher_build

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(provider_url: str, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "1",
        "CONN_MAX_AGE": "0",
        "Q_CLUSTER_NAME": settings.Q_CLUSTER["name"],
        "Q_WORKERS": "2",
        "Q_TIMEOUT": "4",
        "Q_RETRY": "5",  # a killed worker's task is handed out again 5 s after it was taken
        "Q_POLL": "0.2",
        "JOBS_SLICE_SECONDS": "2",
        "JOBS_BATCH_SIZE": "25",
        "NOTIFY_SEND_LEASE_SECONDS": "4",
        "NOTIFY_QUIET_HOURS": "",
        "NOTIFY_SMS_BACKEND": "http",
        "NOTIFY_SMS_URL": provider_url + "/sms",
        "NOTIFY_HTTP_TIMEOUT_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("Q_BROKER", None)
    env.update(extra)
    return env


class Cluster:
    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.process = env, log, None

    def start(self):
        handle = self.log.open("ab")
        self.process = subprocess.Popen(  # its own process group, so kill -9 reaches every worker
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=handle,
            start_new_session=True,
        )

    def kill9(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.kill9()
        else:
            with contextlib.suppress(ProcessLookupError, AttributeError):  # workers may outlive a parent
                os.killpg(self.process.pid, signal.SIGKILL)


NIGHTLY = ["expire_vouchers", "send_reminders"]


def _state() -> str:
    from django.db.models import Count
    from django_q.models import OrmQ

    return (
        f"vouchers: {dict(Voucher.objects.values_list('status').annotate(n=Count('pk')))}\n"
        f"notifications: {dict(Notification.objects.values_list('status').annotate(n=Count('pk')))}\n"
        f"runs: {list(JobRun.objects.values_list('job', 'status', 'step_index', 'cursor', 'error'))}\n"
        f"queued tasks: {OrmQ.objects.count()}\n"
    )


def wait_for(condition, *, timeout: float, every: float = 0.05, tick=None):
    deadline = time.monotonic() + timeout
    last_tick = 0.0
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick and time.monotonic() - last_tick > 2:
            tick()
            last_tick = time.monotonic()
        time.sleep(every)
    return False


def _data(expired_count: int, reminded_members: int):
    """Vouchers past validity, and members each holding a voucher that expires in 7 days."""
    now = timezone.now()
    short = DefinitionFactory(validity_days=1, reminder_days="")
    car = OwnedVehicleFactory()
    past = now - timedelta(days=5)
    vouchers = [
        voucher_build(short, member=None, vehicle=car, order=None, series_index=0, source="manual", now=past)
        for _ in range(expired_count)
    ]
    vouchers = Voucher.objects.bulk_create(vouchers, batch_size=1000)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                voucher=v,
                kind="issued",
                delta=v.uses_total,
                status_after=v.status,
                uses_left_after=v.uses_left,
                created_at=past,
            )
            for v in vouchers
        ],
        batch_size=1000,
    )
    weekly = DefinitionFactory(validity_days=7, reminder_days="7")
    issued = now - timedelta(days=1)
    members = [MemberFactory(consent_service=True) for _ in range(reminded_members)]
    reminded = []
    for member in members:
        vehicle = OwnedVehicleFactory(owner=member, delivery_date=None)
        reminded.append(
            voucher_build(
                weekly,
                member=None,
                vehicle=vehicle,
                order=None,
                series_index=0,
                source="manual",
                now=issued - timedelta(days=1),
            )
        )
    reminded = Voucher.objects.bulk_create(reminded)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                voucher=v,
                kind="issued",
                delta=v.uses_total,
                status_after=v.status,
                uses_left_after=v.uses_left,
                created_at=issued,
            )
            for v in reminded
        ]
    )
    Vehicle.objects.update(delivery_date=None)  # no service reminders in this test
    return [v.pk for v in vouchers], members


def test_killing_the_cluster_mid_job_completes_every_job_exactly_once(tmp_path):
    expired_ids, members = _data(expired_count=1500, reminded_members=100)
    provider = start_provider()
    provider.delay = 0.04  # a gateway that takes its time: the kill lands mid-sending
    cluster = Cluster(_env(provider.url, JOBS_BATCH_SIZE="5"), tmp_path / "qcluster.log")
    expired = Voucher.objects.filter(pk__in=expired_ids, status="expired")
    sent = Notification.objects.filter(status="sent")
    try:
        cluster.start()
        async_task("campaigns.jobs.expire_vouchers")
        async_task("campaigns.jobs.send_reminders")
        # 1. kill -9 while the expiry is half done (small batches, polled often: a fast machine
        # expires 1,500 vouchers in 25s between two looks)
        assert wait_for(lambda: 0 < expired.count() < len(expired_ids), timeout=60, every=0.005), (
            f"expired: {expired.count()} of {len(expired_ids)}\n" + cluster.log.read_text()
        )
        cluster.kill9()
        done_at_first_kill = expired.count()
        assert done_at_first_kill < len(expired_ids)
        cluster.start()
        # 2. kill -9 again while the reminders are being sent
        assert wait_for(lambda: len(provider.delivered) >= 10 and sent.count() < len(members), timeout=90), (
            cluster.log.read_text()
        )
        cluster.kill9()
        sent_at_second_kill = sent.count()
        cluster.start()
        # the every-minute dispatch schedule, emulated faster: hands out rows whose claim ran out

        def complete():
            return (
                expired.count() == len(expired_ids)
                and sent.count() == len(members)
                and set(JobRun.objects.filter(job__in=NIGHTLY, status="done").values_list("job", flat=True))
                == set(NIGHTLY)
                and not JobRun.objects.filter(job__in=NIGHTLY).exclude(status="done").exists()
            )

        finished = wait_for(
            complete, timeout=120, every=0.2, tick=lambda: async_task("campaigns.jobs.dispatch_notifications")
        )
        assert finished, _state() + cluster.log.read_text()
    finally:
        cluster.stop()
        provider.server.shutdown()
    assert sent_at_second_kill < len(members)
    # exactly once: one expiry ledger entry per voucher, the ledger reconciles
    entries = LedgerEntry.objects.filter(kind="expired", voucher_id__in=expired_ids)
    assert entries.count() == len(expired_ids)
    assert entries.values("voucher_id").distinct().count() == len(expired_ids)
    assert ledger_drift().count() == 0
    # one reminder per member, each accepted by the gateway exactly once; nothing lost
    notifications = Notification.objects.filter(purpose="expiry_reminder")
    assert notifications.count() == len(members)
    assert set(notifications.values_list("member_id", flat=True)) == {m.pk for m in members}
    refs = [d["body"]["client_ref"] for d in provider.delivered]
    assert len(refs) == len(set(refs)) == len(members)
    assert set(refs) == {str(k) for k in notifications.values_list("retry_key", flat=True)}
    # A task killed after its run finished but before django-q2 acknowledged it is handed out again
    # and starts a second run, which finds nothing left to do; every run finished.
    assert set(JobRun.objects.filter(job__in=NIGHTLY).values_list("status", flat=True)) == {"done"}


def _redis_up() -> bool:
    import redis

    try:
        return redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def test_redis_broker_runs_a_task_with_a_real_worker(tmp_path):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    provider = start_provider()
    member = MemberFactory()
    notification = Notification.objects.create(
        member=member,
        channel="sms",
        recipient=member.phone,
        purpose="login_code",
        body="驗證碼 246810",
        dedup_key="redis-test",
    )
    name = f"issue6-redis-{uuid.uuid4().hex[:8]}"  # its own queue on a Redis others may share
    env = _env(provider.url, Q_BROKER="redis", REDIS_URL="redis://127.0.0.1:6379/0", Q_CLUSTER_NAME=name)
    cluster = Cluster(env, tmp_path / "qcluster.log")
    try:
        cluster.start()
        enqueue = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django_q.tasks import async_task; from django_q.brokers import get_broker; "
                "assert type(get_broker()).__name__ == 'Redis'; "
                f"print(async_task('campaigns.tasks.notification_send', {notification.pk}))",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert enqueue.returncode == 0, enqueue.stderr
        done = wait_for(
            lambda: Notification.objects.get(pk=notification.pk).status == "sent", timeout=60, every=0.2
        )
        assert done, cluster.log.read_text()
    finally:
        cluster.stop()
        provider.server.shutdown()
    assert [d["body"]["text"] for d in provider.delivered] == ["驗證碼 246810"]
