"""django-q2 tasks of the vehicles app: thin interfaces that take ids and call a service."""

from .imports.services import TASK_SECONDS, import_batch_check, import_batch_enqueue, import_batch_process
from .models import ImportBatch


def import_batch_check_run(batch_id: int) -> dict:
    """The dry run of an uploaded file, in time slices (a successor task goes on where it stopped)."""
    batch = import_batch_check(batch_id=batch_id, time_budget=TASK_SECONDS)
    return {"batch": batch.pk, "status": batch.status}


def import_batch_run(batch_id: int) -> dict:
    """Apply a confirmed import for at most TASK_SECONDS, then hand over to a new task.

    Time slices keep every task below django-q2's timeout; a retried or duplicate task only finds
    fewer pending rows.
    """
    batch = import_batch_process(batch_id=batch_id, time_budget=TASK_SECONDS)
    if batch.status == ImportBatch.Status.RUNNING:
        import_batch_enqueue("vehicles.tasks.import_batch_run", batch.pk)
    return {"batch": batch.pk, "status": batch.status, "rows_done": batch.rows_done}
