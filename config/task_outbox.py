"""Tasks queued in the transaction of the change that calls for them (a transactional outbox).

On django-q2's ORM broker a queued task is a row of `django_q_ormq`. `task_queue` writes that row in
the caller's transaction, so the task commits with the change or not at all: a follow-up is never
lost to a crash between the commit and the enqueue, and a rolled-back change leaves no task behind.
Given the transaction's `Writes`, the row is one more part of its statement on PostgreSQL, and the
request spends no statement, transaction or connection health check of its own on the enqueue
(`django_q.tasks.async_task` on the ORM broker, after the commit, costs all three).

On any other broker (Redis, where several machines share the queue) and when tasks run in-process
(`Q_SYNC`), the task is enqueued with `async_task` after the commit, as before.

The row holds the package `async_task` would have signed: the same keys, signed the same way, so
the cluster's workers cannot tell the two apart.
"""

from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.humanhash import uuid
from django_q.models import OrmQ
from django_q.signals import pre_enqueue
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from .one_statement import Writes


def _queued_in_database() -> bool:
    return bool(Conf.ORM) and not Conf.SYNC and not Conf.BROKER_CLASS


def _package(func: str, args: tuple, kwargs: dict) -> str:
    name, task_id = uuid()
    task = {"id": task_id, "name": name, "func": func, "args": args}
    if Conf.CACHED:
        task["cached"] = Conf.CACHED
    if Conf.ACK_FAILURES:
        task["ack_failure"] = Conf.ACK_FAILURES
    task["kwargs"] = kwargs
    task["started"] = timezone.now()
    pre_enqueue.send(sender="django_q", task=task)
    return SignedPackage.dumps(task)


def task_queue(func: str, *args, writes: Writes | None = None, **kwargs) -> None:
    """Queue `func(*args, **kwargs)` to run once the current transaction commits (call it inside
    `transaction.atomic`). With `writes`, the row is written by `writes.run()`: queue it before."""
    if not _queued_in_database():
        transaction.on_commit(lambda: async_task(func, *args, **kwargs), using=Conf.ORM or "default")
        return
    connection = transaction.get_connection(Conf.ORM)
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("task_queue runs inside the change's transaction.")
    row = OrmQ(key=Conf.CLUSTER_NAME, payload=_package(func, args, kwargs), lock=timezone.now())
    if writes is not None and writes.using == Conf.ORM:
        writes.insert(row)
    else:
        row.save(using=Conf.ORM, force_insert=True)
