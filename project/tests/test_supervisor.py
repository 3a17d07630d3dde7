"""project.supervisor: a Procfile's processes in one container, stopped within the platform's grace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# A process that writes its name and pid, then sleeps; on SIGTERM it writes "graceful" and ends.
# Each line is ONE write (print writes its parts and the newline separately): the processes
# share the supervisor's output, and lines written in parts interleave.
GRACEFUL = (
    "import os, signal, sys, time; "
    "signal.signal(signal.SIGTERM, lambda *a: (os.write(1, b'{0} graceful\\n'), sys.exit(0))); "
    "os.write(1, ('{0} up ' + str(os.getpid()) + '\\n').encode()); time.sleep(60)"
)
STUBBORN = (
    "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "os.write(1, b'{0} up\\n'); time.sleep(60)"
)


def supervise(tmp_path: Path, lines: dict[str, str], *args: str) -> subprocess.Popen[str]:
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "".join(f'{name}: {PYTHON} -c "{code.format(name)}"\n' for name, code in lines.items())
    )
    return subprocess.Popen(  # noqa: S603 (our interpreter and module)
        [PYTHON, "-m", "project.supervisor", str(procfile), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_up(process: subprocess.Popen[str], names: set[str]) -> None:
    """Read the supervisor's output until each of ``names`` said it is up."""
    lines: list[str] = []
    while names - {line.split()[0] for line in lines if line.split()[1:2] == ["up"]}:
        line = process.stdout.readline() if process.stdout else ""
        assert line, "".join(lines)
        lines.append(line)


def test_sigterm_stops_every_process_gracefully_and_kills_the_stubborn_after_the_grace(
    tmp_path: Path,
) -> None:
    """On SIGTERM each process gets SIGTERM; one that ignores it is SIGKILLed once the grace is
    over, and the supervisor then exits 0."""
    supervisor = supervise(tmp_path, {"web": GRACEFUL, "worker": STUBBORN}, "--grace", "1.5")
    wait_until_up(supervisor, {"web", "worker"})
    started = time.monotonic()
    supervisor.send_signal(signal.SIGTERM)
    output, _ = supervisor.communicate(timeout=20)
    took = time.monotonic() - started
    assert supervisor.returncode == 0, output
    assert 1.5 <= took < 5, output
    assert "web graceful" in output and "sending SIGKILL to worker" in output
    assert "sending SIGKILL to web" not in output
    assert "web stopped (exit code 0)" in output and f"worker stopped (exit code {-signal.SIGKILL})" in output


def test_a_process_that_ends_stops_the_others_and_gives_its_exit_code(tmp_path: Path) -> None:
    """One process ending (here with 3) ends the container: the others are stopped gracefully and
    the supervisor exits with that code, so the platform sees the app fail."""
    failing = "import sys; print('{0} up', flush=True); sys.exit(3)"
    supervisor = supervise(tmp_path, {"web": GRACEFUL, "beat": failing})
    output, _ = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 3, output
    assert "beat ended (exit code 3): stopping the others" in output
    assert "web graceful" in output and "SIGKILL" not in output
