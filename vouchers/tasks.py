"""django-q2 tasks of the vouchers app: thin interfaces that take ids and call a service."""

from django.conf import settings

from .models import IssueBatch
from .services.bulk import issue_batch_check, issue_batch_enqueue, issue_batch_process


def issue_batch_run(batch_id: int) -> dict:
    """Issue a bulk batch for at most VOUCHERS_BULK_TASK_SECONDS, then hand over to a new task.

    Working in time slices keeps every task well below django-q2's timeout, so a large batch is
    never killed and retried as a whole; a retried or duplicate task only finds fewer pending rows.
    """
    batch = issue_batch_process(batch_id=batch_id, time_budget=settings.VOUCHERS_BULK_TASK_SECONDS)
    # Still running once the time ran out: a successor goes on. Still running before it did: the
    # last rows are in another worker's chunk, and that worker finishes the batch.
    if batch.status == IssueBatch.Status.RUNNING and batch.out_of_time:
        issue_batch_enqueue(batch.pk)
    return {
        "batch": batch.pk,
        "status": batch.status,
        "rows_done": batch.rows_done,
        "rows_total": batch.rows_total,
        "vouchers_issued": batch.vouchers_issued,
    }


def issue_batch_check_run(batch_id: int) -> dict:
    """The dry run of an uploaded whitelist or a segment (a second run finds it done)."""
    batch = issue_batch_check(batch_id=batch_id)
    return {
        "batch": batch.pk,
        "status": batch.status,
        "rows_valid": batch.rows_valid,
        "rows_total": batch.rows_total,
    }
