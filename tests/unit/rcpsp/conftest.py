"""Shared helpers of the RCPSP tests: data location, an independent checker, random instances."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from approvals.rcpsp.model import Instance

REPO = Path(__file__).resolve().parents[3]
PSPLIB = REPO.parent / "shared" / "data" / "psplib"


def psplib_dir() -> Path:
    """The PSPLIB data folder, or skip the test when the shared data is absent."""
    if not (PSPLIB / "j30").is_dir():
        pytest.skip(f"PSPLIB data not found at {PSPLIB}")
    return PSPLIB


def j30_optima() -> dict[str, int]:
    """``{"j301_1": 43, ...}`` from ``j30opt.sm``."""
    out = {}
    for line in (psplib_dir() / "j30opt.sm").read_text(encoding="latin-1").splitlines():
        t = line.split()
        if len(t) >= 3 and t[0].isdigit() and t[1].isdigit():
            out[f"j30{t[0]}_{t[1]}"] = int(t[2])
    return out


def independent_check(inst: Instance, starts) -> int:
    """Re-check a schedule with plain loops (no shared code with the solver); return the makespan."""
    n = inst.n_jobs
    assert len(starts) == n
    for j in range(n):
        assert starts[j] >= 0
        if inst.release_times is not None:
            assert starts[j] >= inst.release_times[j], f"job {j} before its release"
        for s in inst.successors[j]:
            assert starts[s] >= starts[j] + inst.durations[j], f"precedence {j}->{s}"
    ms = max(starts[j] + inst.durations[j] for j in range(n))
    for r in range(inst.n_resources):
        for t in range(ms):
            used = sum(
                inst.demands[j][r]
                for j in range(n)
                if starts[j] <= t < starts[j] + inst.durations[j]
            )
            cap = inst.capacities[r]
            if inst.capacity_profile is not None and t < len(inst.capacity_profile[r]):
                cap = inst.capacity_profile[r][t]
            assert used <= cap, f"resource {r} period {t}: {used} > {cap}"
    return ms


def random_instance(
    rng: random.Random, n: int = 25, n_res: int = 3, *, profile: bool = False, release: bool = False
) -> Instance:
    """A random acyclic instance (arcs only from lower to higher ids)."""
    caps = [rng.randint(1, 6) for _ in range(n_res)]
    succ = [sorted({k for k in range(j + 1, n) if rng.random() < 3.0 / n}) for j in range(n)]
    dem = [[rng.randint(0, c) if rng.random() < 0.6 else 0 for c in caps] for _ in range(n)]
    dur = [rng.randint(0, 8) for _ in range(n)]
    prof = None
    if profile:
        prof = [[max(0, c - (1 if rng.random() < 0.3 else 0)) for _ in range(30)] for c in caps]
    rel = [rng.randint(0, 10) if rng.random() < 0.3 else 0 for _ in range(n)] if release else None
    return Instance(
        durations=dur,
        successors=succ,
        demands=dem,
        capacities=caps,
        capacity_profile=prof,
        release_times=rel,
    )
