"""``python -m project.supervisor Procfile.apps``: every process of a Procfile in one container.

For Databricks Apps (app.yaml), which runs one command and kills it 15 s after its SIGTERM.
Each line runs in a shell of its own (``$VARIABLES`` expand) that execs the command, in a process
group of its own, writing to this process's stdout and stderr as it is (JSON log lines stay
JSON). On SIGTERM or SIGINT, or as soon as one process ends, every process still running gets
SIGTERM (gunicorn finishes its requests, Celery its running tasks: a warm shutdown), and those
still running ``--grace`` seconds later get SIGKILL (a job killed so keeps its lease, which runs
out: the sweep hands the job to a worker again). honcho, which ``make run`` uses, gives 5 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from honcho.environ import parse_procfile

logger = logging.getLogger("project.supervisor")

# Below the platform's 15 s, so that what SIGKILL cuts short is cut by us, and logged.
GRACE_SECONDS = 12.0
POLL_SECONDS = 0.1


def start(commands: dict[str, str]) -> dict[str, subprocess.Popen[bytes]]:
    processes = {}
    for name, command in commands.items():
        processes[name] = subprocess.Popen(  # noqa: S603 (the Procfile's own commands)
            ["/bin/sh", "-c", f"exec {command}"], start_new_session=True
        )
        logger.info("%s started (pid %s): %s", name, processes[name].pid, command)
    return processes


def signal_all(processes: dict[str, subprocess.Popen[bytes]], signum: int) -> None:
    for name, process in processes.items():
        if process.poll() is None:
            logger.info("sending %s to %s (pid %s)", signal.Signals(signum).name, name, process.pid)
            try:
                os.killpg(process.pid, signum)
            except ProcessLookupError:
                logger.debug("%s ended meanwhile", name)


def stop(processes: dict[str, subprocess.Popen[bytes]], grace: float) -> None:
    """SIGTERM to every process still running; SIGKILL to those still running after ``grace``."""
    signal_all(processes, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(p.poll() is None for p in processes.values()) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    signal_all(processes, signal.SIGKILL)
    for name, process in processes.items():
        logger.info("%s stopped (exit code %s)", name, process.wait())


def run(procfile: Path, grace: float) -> int:
    """Run ``procfile`` until a signal or the end of one process; the exit code: 0 after a
    signal, else the ended process's (1 if that was 0: it should not have ended)."""
    stopping: list[int] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    # Before the processes start: a SIGTERM meanwhile still stops them.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    processes = start(dict(parse_procfile(procfile.read_text()).processes))
    ended: tuple[str, int] | None = None
    while not stopping and ended is None:
        time.sleep(POLL_SECONDS)
        ended = next(((n, p.returncode) for n, p in processes.items() if p.poll() is not None), None)
    if ended is not None:
        logger.error("%s ended (exit code %s): stopping the others", *ended)
    else:
        logger.info("%s received: stopping", signal.Signals(stopping[0]).name)
    stop(processes, grace)
    return 0 if ended is None else ended[1] or 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.supervisor", description=__doc__)
    parser.add_argument("procfile", type=Path)
    parser.add_argument(
        "--grace", type=float, default=GRACE_SECONDS, help=f"seconds before SIGKILL (default {GRACE_SECONDS})"
    )
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return run(options.procfile, options.grace)


if __name__ == "__main__":
    sys.exit(main())
