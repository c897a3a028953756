"""The job runner (slices, checkpoints, resume), schedules and commands."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django_q.models import OrmQ, Schedule

from campaigns import jobs
from campaigns.jobs import job_run
from campaigns.models import JobRun
from campaigns.schedules import JOBS
from campaigns.tasks import job_continue
from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vouchers.models import LedgerEntry, Voucher

pytestmark = pytest.mark.django_db


def expired_vouchers(n):
    definition = DefinitionFactory(validity_days=1)
    car = OwnedVehicleFactory()
    past = timezone.now() - timedelta(days=10)
    return [issue_voucher(definition, vehicle=car, now=past) for _ in range(n)]


def test_expire_job_expires_with_ledger_rows_and_a_rerun_changes_nothing():
    expired_vouchers(5)
    out = StringIO()
    call_command("expire_vouchers", stdout=out)
    assert "expired: 5" in out.getvalue()
    assert Voucher.objects.filter(status="expired").count() == 5
    assert LedgerEntry.objects.filter(kind="expired").count() == 5
    call_command("expire_vouchers", stdout=StringIO())
    assert LedgerEntry.objects.filter(kind="expired").count() == 5
    assert JobRun.objects.filter(job="expire_vouchers", status="done").count() == 2


def test_a_slice_out_of_time_checkpoints_and_enqueues_its_continuation(settings):
    settings.JOBS_BATCH_SIZE = 2
    expired_vouchers(5)
    run = job_run("expire_vouchers", slice_seconds=1e-9)  # out of time after the first batch
    assert run.status == "running" and run.step_index == 0 and run.result["expired"] == 2
    task = OrmQ.objects.get()
    assert task.task["func"] == "campaigns.tasks.job_continue"
    assert task.task["args"] == ("expire_vouchers", run.pk)
    job_continue("expire_vouchers", run.pk)  # the continuation, run by hand here
    run.refresh_from_db()
    assert run.status == "done" and run.result["expired"] == 5 and run.slices >= 2
    assert Voucher.objects.filter(status="expired").count() == 5
    job_continue("expire_vouchers", run.pk)  # replayed continuation of a finished run: nothing
    assert LedgerEntry.objects.filter(kind="expired").count() == 5


def test_a_crashed_run_is_resumed_from_its_checkpoint(monkeypatch, settings):
    expired_vouchers(3)
    calls = []

    def crashing_reminders(*, now, cursor=None, deadline=None):
        calls.append(cursor)
        raise RuntimeError("worker lost its database")

    steps = dict(jobs.JOB_STEPS)
    steps["send_reminders"] = [jobs.Step("expired", jobs._expire_step), jobs.Step("boom", crashing_reminders)]
    monkeypatch.setattr(jobs, "JOB_STEPS", steps)
    with pytest.raises(RuntimeError):
        job_run("send_reminders")
    run = JobRun.objects.get(job="send_reminders")
    assert (run.status, run.step_index, run.result) == ("running", 1, {"expired": 3})
    assert "worker lost" in run.error
    # started again (as django-q2 retries the task): the same run resumes at the failed step
    steps["send_reminders"][1] = jobs.Step("boom", lambda **kw: (7, None))
    resumed = job_run("send_reminders")
    assert resumed.pk == run.pk and resumed.status == "done"
    assert resumed.result == {"expired": 3, "boom": 7}


def test_an_abandoned_run_is_closed_and_a_new_one_started():
    old = JobRun.objects.create(job="expire_vouchers", started_at=timezone.now() - timedelta(days=2))
    run = job_run("expire_vouchers")
    old.refresh_from_db()
    assert old.status == "failed" and run.pk != old.pk and run.status == "done"


def test_every_scheduled_function_exists_and_every_named_command_exists():
    from django.core.management import get_commands
    from django.utils.module_loading import import_string

    commands = get_commands()
    for job in JOBS:
        assert callable(import_string(job.func)), job.func
        if job.command:
            assert job.command.split()[0] in commands, job.command


def test_setup_schedules_is_idempotent_and_updates_a_changed_cron():
    call_command("setup_schedules", stdout=StringIO())
    call_command("setup_schedules", stdout=StringIO())
    assert Schedule.objects.count() == len(JOBS)
    schedule = Schedule.objects.get(name="send_reminders")
    assert (schedule.func, schedule.cron, schedule.repeats) == (
        "campaigns.jobs.send_reminders",
        "30 1 * * *",
        -1,
    )
    Schedule.objects.filter(name="send_reminders").update(cron="0 5 * * *")
    Schedule.objects.create(
        name="gone", func="campaigns.jobs.retired", schedule_type=Schedule.CRON, cron="0 1 * * *"
    )
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    assert Schedule.objects.get(name="send_reminders").cron == "30 1 * * *"
    assert "removed schedule gone" in out.getvalue()
    assert Schedule.objects.count() == len(JOBS)


@pytest.mark.parametrize("command", ["send_reminders", "run_campaigns", "dispatch_notifications"])
def test_commands_run_their_job(command):
    out = StringIO()
    with translation.override("en"):
        call_command(command, stdout=out)
    assert f"{command} finished (Done)" in out.getvalue()


def test_scheduled_entry_points_run_sliced():
    expired_vouchers(2)
    assert jobs.expire_vouchers() == {"expired": 2, "holds_released": 0}


def test_frequent_jobs_keep_only_runs_that_did_something_and_old_runs_are_pruned():
    job_run("dispatch_notifications")
    assert not JobRun.objects.filter(job="dispatch_notifications").exists()
    old = JobRun.objects.create(
        job="expire_vouchers", status="done", started_at=timezone.now() - timedelta(days=30)
    )
    job_run("expire_vouchers")
    assert not JobRun.objects.filter(pk=old.pk).exists()
    assert JobRun.objects.filter(job="expire_vouchers").count() == 1


@pytest.mark.parametrize("other_process", ["deleted its empty run", "finished it"])
def test_a_run_another_process_closed_while_this_one_worked_is_left_as_that_process_left_it(
    monkeypatch, other_process
):
    """Two processes can join one running run; the first to finish closes it (a frequent job with
    nothing done deletes it). The other must not write over it, nor fail on the missing row."""

    def step_meanwhile_closed(*, now, cursor=None, deadline=None):
        if other_process == "deleted its empty run":
            JobRun.objects.filter(job="dispatch_notifications").delete()
        else:
            JobRun.objects.filter(job="dispatch_notifications").update(status=JobRun.Status.DONE)
        return 3, None

    steps = dict(jobs.JOB_STEPS)
    steps["dispatch_notifications"] = [jobs.Step("dispatched", step_meanwhile_closed)]
    monkeypatch.setattr(jobs, "JOB_STEPS", steps)

    run = job_run("dispatch_notifications")

    assert run.status == JobRun.Status.RUNNING  # this process stopped without closing it again
    left = list(JobRun.objects.filter(job="dispatch_notifications").values_list("status", "result"))
    assert left == ([] if other_process == "deleted its empty run" else [(JobRun.Status.DONE, {})])


def test_a_second_running_run_of_the_same_job_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    JobRun.objects.create(job="send_reminders", started_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job="send_reminders", started_at=timezone.now())
    JobRun.objects.create(job="send_reminders", started_at=timezone.now(), status=JobRun.Status.DONE)


@pytest.mark.postgres
def test_steps_run_without_jit_and_the_connection_gets_the_servers_setting_back(monkeypatch):
    from django.db import connection

    def jit():
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    before, seen = jit(), []

    def step(*, now, cursor=None, deadline=None):
        seen.append(jit())
        return 0, None

    def failing(*, now, cursor=None, deadline=None):
        seen.append(jit())
        raise RuntimeError("step failed")

    steps = dict(jobs.JOB_STEPS)
    steps["send_reminders"] = [jobs.Step("a", step), jobs.Step("b", failing)]
    steps["reconcile_ledger"] = [jobs.Step("c", step)]
    monkeypatch.setattr(jobs, "JOB_STEPS", steps)
    with pytest.raises(RuntimeError):
        job_run("send_reminders")
    assert seen == ["off", "off"] and jit() == before
    job_run("reconcile_ledger")  # not one of WITHOUT_JIT: the server's setting
    assert seen == ["off", "off", before]
