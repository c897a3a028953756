"""Nightly jobs: each is a django-q2 schedule (by dotted path) and a management command.

A job is a list of steps; a step is `(now, cursor, deadline) -> (count, next cursor)` and is
finished when its cursor comes back None. The runner saves a checkpoint (step and cursor) in the
JobRun row after every step call, so:

- under django-q2 a job runs in slices of at most JOBS_SLICE_SECONDS (below the cluster's
  `timeout`, itself below `retry`, so a task is never started twice for running long); an
  unfinished slice enqueues its continuation;
- a worker killed mid-slice leaves its task unacknowledged; the broker hands it out again after
  `retry` seconds and the job resumes from the last checkpoint (a job started again while a run of
  it is unfinished resumes that run);
- every step is idempotent (de-duplication keys, idempotency keys, state checks under row locks),
  so the work between the last checkpoint and the kill is done again without any duplicate.

Every run uses its start time as "now", so the periods in the keys do not move between slices.
"""

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from members.ratelimit import ratelimit_prune
from redemption.services import holds_release_stale
from vouchers.selectors import ledger_drift
from vouchers.services import vouchers_expire_batch

from .models import JobRun
from .services.campaigns import campaigns_run_due
from .services.followups import followups_send
from .services.inspections import inspection_reminders
from .services.outbox import notifications_dispatch
from .services.programmes import anniversaries, birthdays, new_car_care, win_back
from .services.reminders import expiry_reminders, service_reminders, unused_value_reminders

logger = logging.getLogger(__name__)
ABANDONED_AFTER = timedelta(hours=20)
KEEP_RUNS = timedelta(days=14)
# Jobs that run every few minutes: a run that found nothing to do is not kept.
FREQUENT = {"dispatch_notifications", "start_due_campaigns"}
# Jobs whose steps run without PostgreSQL's JIT (`_without_jit`): measured on the reminders only.
WITHOUT_JIT = {"send_reminders"}


def _expire_step(*, now, cursor=None, deadline=None):
    """Keyset-paged: the cursor is the last voucher id done, so a continued slice goes on from it."""
    total, after = 0, cursor or 0
    while after is not None:
        done, after = vouchers_expire_batch(now=now, after=after, batch_size=settings.JOBS_BATCH_SIZE)
        total += done
        if after is not None and deadline is not None and time.monotonic() > deadline:
            return total, after
    return total, None


def _holds_step(*, now, cursor=None, deadline=None):
    # Holds are judged against the clock, not the run's start: a resumed run must not keep a stale cutoff.
    return holds_release_stale(now=max(now, timezone.now())), None


def _dispatch_step(*, now, cursor=None, deadline=None):
    total = 0
    limit = settings.NOTIFY_DISPATCH_BATCH
    while True:
        handed = notifications_dispatch(now=timezone.now(), limit=limit)
        total += handed
        if handed < limit:
            return total, None
        if deadline is not None and time.monotonic() > deadline:
            return total, "more"


def _reconcile_step(*, now, cursor=None, deadline=None):
    drifting = ledger_drift().count()
    if drifting:
        logger.error("ledger reconcile: %s vouchers disagree with their ledger", drifting)
    return drifting, None


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable


JOB_STEPS: dict[str, list[Step]] = {
    "expire_vouchers": [Step("expired", _expire_step), Step("holds_released", _holds_step)],
    "send_reminders": [
        Step("expiry", expiry_reminders),
        Step("unused_value", unused_value_reminders),
        Step("service", service_reminders),
        Step("inspection", inspection_reminders),
        Step("dispatched", _dispatch_step),
    ],
    "run_campaigns": [
        Step("new_car_care", new_car_care),
        Step("birthday", birthdays),
        Step("purchase_anniversary", anniversaries),
        Step("win_back", win_back),
        Step("campaigns", campaigns_run_due),
        Step("dispatched", _dispatch_step),
    ],
    # Follow-ups from past services (coating → maintenance offer, tyres → rotation after N km).
    "send_followups": [Step("follow_ups", followups_send), Step("dispatched", _dispatch_step)],
    # Campaigns scheduled for a time of day start within five minutes of it, not at night.
    "start_due_campaigns": [Step("campaigns", campaigns_run_due), Step("dispatched", _dispatch_step)],
    "dispatch_notifications": [Step("dispatched", _dispatch_step)],
    "reconcile_ledger": [Step("drifting", _reconcile_step)],
}


def job_steps_register(job: str, steps: list[Step]) -> None:
    """A job of a higher app (the portal's personal-data pruning), added from its AppConfig.ready():
    this app cannot import it, but runs it like its own (slices, checkpoints, continuations)."""
    JOB_STEPS[job] = steps


def _open_run(job: str) -> JobRun:
    now = timezone.now()
    unfinished = JobRun.objects.filter(job=job, status=JobRun.Status.RUNNING).order_by("-started_at").first()
    if unfinished is not None and now - unfinished.started_at < ABANDONED_AFTER:
        return unfinished
    if unfinished is not None:
        JobRun.objects.filter(
            job=job, status=JobRun.Status.RUNNING, started_at__lt=now - ABANDONED_AFTER
        ).update(status=JobRun.Status.FAILED, error="abandoned: never finished", finished_at=now)
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, started_at=now)
    except IntegrityError:  # another process opened the run a moment ago: join it
        return JobRun.objects.get(job=job, status=JobRun.Status.RUNNING)


@contextmanager
def _without_jit():
    """PostgreSQL compiles (JIT) the plan of a query whose estimated cost is high, as a scan of a
    large table's index easily is: for the steps' batch queries, which read many rows but compute
    little, compiling took longer than running (0.46 s of the unused-value step's 0.5 s on a million
    vouchers), so it is off while a step of a WITHOUT_JIT job runs and back to the server's default after."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")
        except DatabaseError:  # a transaction the step aborted: its rollback undoes the SET anyway
            pass


def _progress_saved(run: JobRun) -> bool:
    """The step's result and checkpoint, written only while the run is still running: two processes
    may have joined one run (`_open_run`), and the first to finish may already have closed it, or
    deleted it when a frequent job found nothing to do. False: the run is no longer ours to write."""
    return bool(
        JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
            result=run.result, cursor=run.cursor, step_index=run.step_index, slices=run.slices
        )
    )


def job_run(job: str, *, run_id: int | None = None, slice_seconds: float | None = None) -> JobRun:
    """Run (or resume) `job` until it is done or the slice's time is up; see the module docstring."""
    steps = JOB_STEPS[job]
    run = JobRun.objects.get(pk=run_id) if run_id is not None else _open_run(job)
    if run.status != JobRun.Status.RUNNING:
        return run  # a replayed continuation of a finished run
    deadline = time.monotonic() + slice_seconds if slice_seconds else None
    now = run.started_at
    run.slices += 1
    try:
        while run.step_index < len(steps):
            step = steps[run.step_index]
            with _without_jit() if job in WITHOUT_JIT else nullcontext():
                count, cursor = step.run(now=now, cursor=run.cursor, deadline=deadline)
            run.result[step.name] = run.result.get(step.name, 0) + count
            run.cursor = cursor
            if cursor is None:
                run.step_index += 1
            if not _progress_saved(run):
                return (
                    run  # a process that joined this run finished it (a frequent job's empty run is deleted)
                )
            if deadline is not None and time.monotonic() > deadline and run.step_index < len(steps):
                async_task("campaigns.tasks.job_continue", job, run.pk)
                return run
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        JobRun.objects.filter(pk=run.pk).update(error=run.error)
        raise  # the task fails; django-q2 retries it (bounded by max_attempts) and it resumes here
    run.status = JobRun.Status.DONE
    run.finished_at = timezone.now()
    run.error = ""
    if job in FREQUENT and not any(run.result.values()):
        JobRun.objects.filter(pk=run.pk).delete()
    else:
        JobRun.objects.filter(pk=run.pk).update(status=run.status, finished_at=run.finished_at, error="")
    JobRun.objects.filter(
        job=job, status=JobRun.Status.DONE, started_at__lt=run.finished_at - KEEP_RUNS
    ).delete()
    return run


def _scheduled(job: str) -> dict:
    return job_run(job, slice_seconds=settings.JOBS_SLICE_SECONDS).result


# Entry points of the schedules (campaigns/schedules.py): sliced, continued by django-q2.
def expire_vouchers() -> dict:
    return _scheduled("expire_vouchers")


def send_reminders() -> dict:
    return _scheduled("send_reminders")


def run_campaigns() -> dict:
    return _scheduled("run_campaigns")


def send_followups() -> dict:
    return _scheduled("send_followups")


def start_due_campaigns() -> dict:
    return _scheduled("start_due_campaigns")


def dispatch_notifications() -> dict:
    return _scheduled("dispatch_notifications")


def reconcile_ledger() -> dict:
    return _scheduled("reconcile_ledger")


def prune_rate_limits() -> dict:
    """Rate-limit windows that ended more than a day ago are dead weight."""
    return {"deleted": ratelimit_prune()}
