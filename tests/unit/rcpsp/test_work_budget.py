"""The GA's phase ends on its work budget (counted by the kernels), not on the clock: with the
same seed and the same reading of the machine's load, a run that ends on its budget repeats
itself whatever CPU it got."""

from __future__ import annotations

import pytest

from approvals.rcpsp import solve, warm_up
from approvals.rcpsp import solver as solver_module
from approvals.rcpsp.psplib import load_sm

from .conftest import independent_check, psplib_dir


@pytest.fixture(scope="module", autouse=True)
def kernels():
    assert warm_up(block=True, timeout=300), "numba kernels failed to load"


@pytest.fixture
def small_budget(monkeypatch):
    # a budget far below what the (generous) time limit allows, and a fixed load reading
    monkeypatch.setattr(solver_module, "OPS_PER_SECOND", 2e5)
    monkeypatch.setattr(solver_module, "busy_tasks", lambda samples=5: (2, 0))


@pytest.mark.parametrize("workers", [1, 2])
def test_same_seed_same_schedule_when_the_budget_ends_the_search(small_budget, workers):
    inst = load_sm(psplib_dir() / "j60" / "j6013_1.sm")
    runs = [solve(inst, 30.0, seed=3, workers=workers, use_cpsat=False) for _ in range(2)]
    assert runs[0].starts == runs[1].starts
    assert independent_check(inst, runs[0].starts) == runs[0].makespan


def test_free_cores_stays_within_workers():
    assert solver_module.free_cores(2, (2, 0)) == 2
    assert solver_module.free_cores(2, (2, 1)) == 1
    assert solver_module.free_cores(2, (2, 7)) == 1
    assert solver_module.free_cores(1, (8, 0)) == 1
    cores, others = solver_module.busy_tasks()
    assert cores >= 1 and others >= 0
