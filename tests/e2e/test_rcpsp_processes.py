"""The scheduler run as users run it: several ``onetrip rcpsp`` processes at once, on a cold numba
cache and on a warm one, and with an engine that cannot be built.  None may crash; every one
prints a feasible schedule; a run without the compiled engine says so and still answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from approvals.rcpsp import validate_schedule
from approvals.rcpsp.psplib import load_sm

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "psplib"
INSTANCES = [DATA / "j30" / "j3023_5.sm", DATA / "j60" / "j6023_5.sm", DATA / "j30" / "j301_1.sm"]
ONETRIP = shutil.which("onetrip") or str(Path(sys.executable).with_name("onetrip"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not all(p.exists() for p in INSTANCES), reason="PSPLIB data not present"),
]


def run_many(
    cache: Path, time_limit: float = 0.5, **extra_env: str
) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "ONETRIP_LANG": "en", **extra_env}
    procs = [
        subprocess.Popen(
            [ONETRIP, "rcpsp", str(p), "--time-limit", str(time_limit), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for p in INSTANCES
    ]
    done = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return done


def check_schedules(results: list[subprocess.CompletedProcess[str]]) -> None:
    for path, r in zip(INSTANCES, results, strict=True):
        assert r.returncode == 0, f"{path.name}: exit {r.returncode}\n{r.stderr}"
        out = json.loads(r.stdout)
        instance = load_sm(path)
        starts = [out["start"][str(j + 1)] for j in range(instance.n_jobs)]
        assert validate_schedule(instance, starts) == out["makespan"]


def wait_for_stamp(cache: Path, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if list(cache.rglob("onetrip-kernels-*.ok")):
            return
        time.sleep(0.5)
    raise AssertionError(f"the compile process left no stamp in {cache} within {timeout} s")


def test_cold_then_warm_cache_from_several_processes(tmp_path: Path):
    cache = tmp_path / "numba-cache"
    cold = run_many(cache)
    check_schedules(cold)
    # the cold runs answered with CP-SAT while one child process compiled, and said so
    assert any("not available" in r.stderr for r in cold)
    wait_for_stamp(cache)
    assert len(list(cache.rglob("onetrip-kernels-*.ok"))) == 1  # compiled once, not per process
    warm = run_many(cache)
    check_schedules(warm)
    for r in warm:  # warm: the compiled engine is used, no notice
        assert "not available" not in r.stderr, r.stderr


def test_compiler_that_crashes_costs_only_itself(tmp_path: Path):
    """The compile process dies of SIGSEGV (as numba/LLVM did): every run still answers."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os, signal, sys\n"
        "if 'approvals.rcpsp.engine' in sys.orig_argv:\n"
        "    os.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    path = os.pathsep.join(p for p in (str(hooks), os.environ.get("PYTHONPATH")) if p)
    results = run_many(tmp_path / "cache", time_limit=0.3, PYTHONPATH=path)
    check_schedules(results)
    for r in results:
        assert "not available" in r.stderr and "exited with -11" in r.stderr, r.stderr
    assert not list((tmp_path / "cache").rglob("onetrip-kernels-*.ok"))
