"""The nightly pruning of personal data we need not keep (Taiwan PDPA: keep only what the purpose
needs). Runs like every other nightly job (campaigns/jobs.py: sliced, checkpointed, idempotent);
registered from PortalConfig.ready() because campaigns cannot import the portal's sign-in codes.
"""

import time
from datetime import timedelta

from django.conf import settings

from campaigns.jobs import Step, job_run, job_steps_register
from campaigns.services.retention import notification_bodies_prune

from .services import login_codes_prune

JOB = "prune_personal_data"
# A sign-in code is useless once expired; a day's grace keeps it for "I never got my code" support.
LOGIN_CODES_KEPT = timedelta(days=1)


def _login_codes_step(*, now, cursor=None, deadline=None):
    batch = settings.JOBS_BATCH_SIZE
    total = 0
    while True:
        deleted = login_codes_prune(older_than=LOGIN_CODES_KEPT, now=now, batch_size=batch)
        total += deleted
        if deleted < batch:
            return total, None
        if deadline is not None and time.monotonic() > deadline:
            return total, "more"


def _outbox_text_step(*, now, cursor=None, deadline=None):
    cutoff = now - timedelta(days=settings.NOTIFY_TEXT_RETENTION_DAYS)
    after_pk = int(cursor or 0)
    total = 0
    while True:
        cleared, after = notification_bodies_prune(
            sent_before=cutoff, after_pk=after_pk, batch_size=settings.JOBS_BATCH_SIZE
        )
        total += cleared
        if after is None:
            return total, None
        after_pk = after
        if deadline is not None and time.monotonic() > deadline:
            return total, after_pk


def register() -> None:
    job_steps_register(
        JOB,
        [Step("sign_in_codes_deleted", _login_codes_step), Step("outbox_texts_cleared", _outbox_text_step)],
    )


def prune_personal_data() -> dict:
    """Entry point of the schedule (campaigns/schedules.py): sliced, continued by django-q2."""
    return job_run(JOB, slice_seconds=settings.JOBS_SLICE_SECONDS).result
