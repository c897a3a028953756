"""Tasks queued on django-q2's ORM broker (rows of django_q_ormq), read and run as a worker would."""

from django.utils.module_loading import import_string
from django_q.models import OrmQ


def queued(func: str) -> list[tuple[tuple, dict]]:
    """(args, kwargs) of each task of `func` waiting in the queue, oldest first."""
    tasks = [row.task for row in OrmQ.objects.order_by("pk")]
    return [(tuple(task["args"]), task["kwargs"]) for task in tasks if task["func"] == func]


def run_queued(func: str) -> int:
    """Run the waiting tasks of `func` in this process, as a worker would, and take them off the
    queue; returns how many ran."""
    ran = 0
    for row in OrmQ.objects.order_by("pk"):
        task = row.task
        if task["func"] != func:
            continue
        import_string(func)(*task["args"], **task["kwargs"])
        row.delete()
        ran += 1
    return ran
