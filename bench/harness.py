"""What the HTTP benchmarks share: PostgreSQL housekeeping, manage.py, one gunicorn with the production
config, client threads started together, percentiles. The benchmarks' own clients and phases stay
in their files."""

import argparse
import os
import signal
import statistics
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql)


def manage(env: dict, *command: str) -> None:
    subprocess.run([str(VENV_BIN / "python"), "manage.py", *command], cwd=ROOT, env=env, check=True)


def start_gunicorn(env: dict, port: int, log_path: Path, probe_class) -> subprocess.Popen:
    """gunicorn with the production config, answering /counter/health/ through `probe_class(host, port)`."""
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "--access-logfile", "-", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    probe = probe_class("127.0.0.1", port)
    for _attempt in range(150):
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log_path}")
        try:
            if probe.request("GET", "/counter/health/")[0] == 200:
                probe.close()
                return process
        except OSError:
            probe.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


ROUNDS_HELP = (
    "measure in this many rounds of the baseline phase then the path's, the requests split evenly "
    "(default 3): the machine's drift moves both sides of a round alike, and the median round's ratio "
    "is the figure"
)


def rounds_count(text: str) -> int:
    """`--rounds` as argparse takes it: a whole number of at least 1."""
    rounds = int(text)
    if rounds < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return rounds


def ratio_of_rounds(ratios: list[float]) -> str:
    """`0.312  (median of 3 rounds: 0.298, 0.312, 0.330)`: the figure and what it came from."""
    listed = ", ".join(f"{ratio:.3f}" for ratio in ratios)
    return f"{statistics.median(ratios):6.3f}  (median of {len(ratios)} rounds: {listed})"


def run_clients(count: int, work) -> float:
    barrier = threading.Barrier(count + 1)
    threads = [threading.Thread(target=work, args=(i, barrier)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started
