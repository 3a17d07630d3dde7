"""``--before REV`` for the benchmarks: a temporary git worktree of REV to measure in."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """A worktree of ``rev`` with this tree's ``bench/`` copied in (so the same scripts measure
    it, run there with this interpreter), removed afterwards."""
    with tempfile.TemporaryDirectory() as parent:
        tree = Path(parent) / "before"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(tree), rev], cwd=ROOT, check=True)  # noqa: S603,S607
        try:
            shutil.copytree(ROOT / "bench", tree / "bench", dirs_exist_ok=True)
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=True)  # noqa: S603,S607
