"""Let `manage.py qcluster` (django-q2 1.11.1) stop on SIGTERM after a worker was killed.

A worker waits for work inside `task_queue.get()`, which holds the queue's read lock while it
waits. A worker killed with SIGKILL dies holding that lock, so neither the workers that replace it
nor the "STOP" pills the sentinel sends when the cluster stops can ever be read: the sentinel
waits for its workers forever, and the main process, joining the sentinel inside its SIGTERM
handler, never exits (a deploy or `systemctl stop` hangs until SIGKILL).

While the sentinel stops, a watchdog thread ends (SIGTERM) every worker that is idle and still
alive `STOP_GRACE_SECONDS` after the pills went out. A worker that is running a task is left to
finish it, as django-q intends; once idle it gets the same grace. An idle worker holds no task, so
nothing is lost; a task taken from the ORM broker and not acknowledged is handed out again after
`retry` anyway.
"""

import logging
import threading
import time

from django_q.cluster import Sentinel

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.2
_IDLE = -1  # the worker's timer while it waits for a task (django_q.worker)
_RECYCLED = -2


def _is_idle(process) -> bool:
    return process.timer.value in (_IDLE, _RECYCLED)


def end_stuck_workers(sentinel, *, grace: float = STOP_GRACE_SECONDS) -> None:
    """Run in the stopping sentinel: end workers that stay idle `grace` seconds after the pills."""
    while sentinel.pusher is not None and sentinel.pusher.is_alive():
        time.sleep(_POLL_SECONDS)  # the pills go out once the pusher has stopped
    idle_since: dict[int, float] = {}
    while True:
        workers = [p for p in list(sentinel.pool) if p.is_alive()]
        if not workers:
            return
        now = time.monotonic()
        for process in workers:
            if not _is_idle(process):
                idle_since.pop(process.pid, None)
                continue
            if now - idle_since.setdefault(process.pid, now) >= grace:
                logger.warning("Ending worker %s: it did not take its stop signal", process.pid)
                process.terminate()
        time.sleep(_POLL_SECONDS)


def install() -> None:
    """Wrap Sentinel.stop once per process (called from CampaignsConfig.ready)."""
    if getattr(Sentinel.stop, "ends_stuck_workers", False):
        return
    original_stop = Sentinel.stop

    def stop(self):
        threading.Thread(
            target=end_stuck_workers, args=(self,), name="end-stuck-workers", daemon=True
        ).start()
        return original_stop(self)

    stop.ends_stuck_workers = True
    Sentinel.stop = stop
