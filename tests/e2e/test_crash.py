"""kill -9 the server in the middle of writes (a short run; bench/crash.py does 50 kills):
nothing acknowledged is lost, nothing is left half done."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_kill_9_under_writes_loses_nothing_acknowledged(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "crash.py"),
            "--db",
            url,
            "--kills",
            "2",
            "--writers",
            "3",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "invariants: all held" in result.stdout
