"""The nightly prune_personal_data job: expired sign-in codes go, old outbox text is cleared;
sliced and resumable like every nightly job, idempotent, scheduled and runnable as a command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django_q.models import OrmQ, Schedule

from campaigns.jobs import job_run
from campaigns.models import Notification
from campaigns.schedules import JOBS
from campaigns.tasks import job_continue
from portal import jobs
from portal.models import LoginCode
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
Status = Notification.Status


def code(phone: str, *, days_ago: float) -> LoginCode:
    created = timezone.now() - timedelta(days=days_ago)
    return LoginCode.objects.create(
        phone=phone,
        salt="s",
        code_hash="h",
        max_attempts=5,
        created_at=created,
        expires_at=created + timedelta(minutes=5),
        closed_at=created + timedelta(minutes=1),
        closed_reason=LoginCode.Closed.USED,
    )


def message(n: int, *, days_ago: float, status: str = Status.SENT) -> Notification:
    created = timezone.now() - timedelta(days=days_ago)
    return Notification.objects.create(
        member=MemberFactory(),
        channel="sms",
        recipient=f"+8869{20000000 + n:08d}",
        purpose=Notification.Purpose.EXPIRY_REMINDER,
        subject="s",
        body=f"message {n}",
        dedup_key=f"m-{n}",
        status=status,
        sent_at=created if status == Status.SENT else None,
        created_at=created,
    )


def test_the_job_deletes_expired_codes_and_clears_old_finished_messages_only(settings):
    settings.NOTIFY_TEXT_RETENTION_DAYS = 30
    old_code, fresh_code = code("+886911000001", days_ago=3), code("+886911000002", days_ago=0)
    old_sent = message(1, days_ago=40)
    old_failed = message(2, days_ago=40, status=Status.FAILED)
    old_pending = message(3, days_ago=40, status=Status.PENDING)  # deferred: still to be sent
    recent = message(4, days_ago=5)

    run = job_run(jobs.JOB)

    assert run.status == "done"
    assert run.result == {"sign_in_codes_deleted": 1, "outbox_texts_cleared": 2}
    assert list(LoginCode.objects.values_list("pk", flat=True)) == [fresh_code.pk]
    assert not LoginCode.objects.filter(pk=old_code.pk).exists()
    bodies = dict(Notification.objects.values_list("pk", "body"))
    assert bodies == {old_sent.pk: "", old_failed.pk: "", old_pending.pk: "message 3", recent.pk: "message 4"}
    kept = Notification.objects.get(pk=old_sent.pk)
    assert (kept.status, kept.recipient, kept.subject) == ("sent", old_sent.recipient, "")


def test_a_second_run_changes_nothing():
    message(1, days_ago=400)
    code("+886911000001", days_ago=3)
    first = job_run(jobs.JOB)
    second = job_run(jobs.JOB)
    assert first.result == {"sign_in_codes_deleted": 1, "outbox_texts_cleared": 1}
    assert second.result == {"sign_in_codes_deleted": 0, "outbox_texts_cleared": 0}


def test_a_slice_out_of_time_checkpoints_and_its_continuation_finishes_the_work(settings):
    settings.JOBS_BATCH_SIZE = 2
    for n in range(5):
        message(n, days_ago=400)
    for n in range(3):
        code(f"+88691100000{n}", days_ago=3)

    run = job_run(jobs.JOB, slice_seconds=1e-9)  # out of time after the first batch
    assert run.status == "running" and run.result == {"sign_in_codes_deleted": 2}
    assert OrmQ.objects.get().task["args"] == (jobs.JOB, run.pk)
    for _ in range(20):  # each continuation does at least one batch
        job_continue(jobs.JOB, run.pk)
        run.refresh_from_db()
        if run.status != "running":
            break
    assert run.status == "done"
    assert run.result == {"sign_in_codes_deleted": 3, "outbox_texts_cleared": 5}
    assert not Notification.objects.exclude(body="").exists() and not LoginCode.objects.exists()


def test_the_outbox_step_resumes_from_its_cursor(settings):
    settings.JOBS_BATCH_SIZE = 2
    rows = [message(n, days_ago=400) for n in range(5)]
    count, cursor = jobs._outbox_text_step(now=timezone.now(), cursor=rows[1].pk, deadline=None)
    assert (count, cursor) == (3, None)
    assert list(Notification.objects.exclude(body="").order_by("pk").values_list("pk", flat=True)) == [
        rows[0].pk,
        rows[1].pk,
    ]


def test_the_retention_defaults_to_90_days():
    from django.conf import settings

    assert settings.NOTIFY_TEXT_RETENTION_DAYS == 90


def test_it_runs_as_a_management_command():
    code("+886911000001", days_ago=3)
    out = StringIO()
    with translation.override("en"):
        call_command("prune_personal_data", stdout=out)
    assert "prune_personal_data finished (Done)" in out.getvalue()
    assert "sign_in_codes_deleted: 1" in out.getvalue()


def test_it_is_scheduled_nightly_and_setup_schedules_retires_the_old_sign_in_code_schedule():
    job = next(j for j in JOBS if j.name == "prune_personal_data")
    assert (job.func, job.cron, job.command) == (
        "portal.jobs.prune_personal_data",
        "20 4 * * *",
        "prune_personal_data",
    )
    Schedule.objects.create(
        name="prune_login_codes",
        func="portal.tasks.prune_login_codes",
        schedule_type=Schedule.CRON,
        cron="20 4 * * *",
    )
    call_command("setup_schedules", stdout=StringIO())
    assert not Schedule.objects.filter(name="prune_login_codes").exists()
    assert Schedule.objects.get(name="prune_personal_data").func == "portal.jobs.prune_personal_data"


def test_the_scheduled_entry_point_runs_the_job():
    code("+886911000001", days_ago=3)
    assert jobs.prune_personal_data() == {"sign_in_codes_deleted": 1, "outbox_texts_cleared": 0}
