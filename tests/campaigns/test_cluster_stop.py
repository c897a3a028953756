"""`manage.py qcluster` stops on SIGTERM, also after its workers were killed with SIGKILL.

A real cluster on the ORM broker against a file SQLite database. A worker killed while it waits for
work dies holding the task queue's read lock; django-q2 1.11.1 then waited for its workers forever
and ignored SIGTERM (campaigns/cluster_stop.py).
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2
STOP_WITHIN_SECONDS = 20


def _wait_for(condition, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def cluster_env(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cluster.sqlite3'}",
        "Q_BROKER": "orm",
        "Q_WORKERS": str(WORKERS),
        "Q_POLL": "0.2",
        "LOG_LEVEL": "INFO",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "django_q", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return env


@pytest.fixture
def start_cluster(cluster_env, tmp_path):
    log = tmp_path / "qcluster.log"
    started = []

    def start():
        process = subprocess.Popen(  # its own process group, so the clean-up reaches every child
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=cluster_env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process, log

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _worker_pids(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"ready for work at (\d+)", log.read_text(errors="replace"))]


def _running(log: Path) -> bool:
    return "running." in log.read_text(errors="replace") and len(_worker_pids(log)) >= WORKERS


@pytest.mark.parametrize("kill_workers", [True, False], ids=["after-workers-killed", "healthy"])
def test_sigterm_stops_the_cluster_within_a_bounded_time(start_cluster, kill_workers):
    process, log = start_cluster()
    assert _wait_for(lambda: _running(log), timeout=60), log.read_text(errors="replace")
    if kill_workers:
        first = _worker_pids(log)[:WORKERS]
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        replaced = "reincarnated worker"
        assert _wait_for(lambda: log.read_text(errors="replace").count(replaced) >= WORKERS, timeout=30)

    process.send_signal(signal.SIGTERM)
    stopped = _wait_for(lambda: process.poll() is not None, timeout=STOP_WITHIN_SECONDS)

    assert stopped, "qcluster ignored SIGTERM:\n" + log.read_text(errors="replace")
    assert "has stopped" in log.read_text(errors="replace")
