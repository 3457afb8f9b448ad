"""Solver behaviour: feasibility, optimality on small cases, time limit, multi-project objectives."""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import pytest

from approvals.rcpsp import solve, warm_up
from approvals.rcpsp.arrays import build_arrays
from approvals.rcpsp.bounds import makespan_lower_bound
from approvals.rcpsp.errors import InstanceError
from approvals.rcpsp.model import Instance, ReviewTask, build_multi_project, department_orders
from approvals.rcpsp.psplib import load_sm
from approvals.rcpsp.sgs import lft_list, serial_sgs

from .conftest import independent_check, j30_optima, psplib_dir, random_instance


@pytest.fixture(scope="module")
def kernels():
    """The numba kernels, loaded (or compiled: ~20 s without a cache) once."""
    assert warm_up(block=True, timeout=300), "numba kernels failed to load"
    from approvals.rcpsp import _kernels

    return _kernels


@pytest.mark.parametrize("seed", range(4))
def test_numba_sgs_matches_the_python_sgs(kernels, seed):
    rng = random.Random(seed)
    inst = random_instance(rng, n=30, profile=seed % 2 == 0, release=seed >= 2)
    A = build_arrays(inst)
    pop = np.empty((5, inst.n_jobs), dtype=np.int64)
    kernels.seed_rng(seed)
    kernels.sample_lists(
        pop, A.lft.astype(np.float64), 1.0, A.pred_ptr, A.pred_idx, A.succ_ptr, A.succ_idx
    )
    work = np.empty_like(A.avail)
    start = np.zeros(inst.n_jobs, dtype=np.int64)
    for order in pop:
        ms = kernels.sgs(
            order,
            A.dur,
            A.res_ptr,
            A.res_id,
            A.res_q,
            A.pred_ptr,
            A.pred_idx,
            A.release,
            A.avail,
            work,
            start,
        )
        expected = serial_sgs(inst, list(order))
        assert list(start) == expected
        assert ms == independent_check(inst, expected)


@pytest.mark.parametrize("name", ["j301_1", "j3017_4", "j3022_6", "j3013_4"])
def test_reaches_the_j30_optimum(kernels, name):
    inst = load_sm(psplib_dir() / "j30" / f"{name}.sm")
    sched = solve(inst, time_limit=2.0, seed=1, workers=2)
    assert independent_check(inst, sched.starts) == sched.makespan
    assert sched.makespan == j30_optima()[name]


def test_time_limit_is_respected_on_j120(kernels):
    inst = load_sm(psplib_dir() / "j120" / "j12046_3.sm")
    t0 = time.perf_counter()
    sched = solve(inst, time_limit=0.6, workers=2)
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.6 + 0.2
    assert independent_check(inst, sched.starts) == sched.makespan
    assert sched.makespan >= makespan_lower_bound(inst)
    # the search must beat a single pass of the LFT rule on this hard instance
    assert sched.makespan < max(
        s + d for s, d in zip(serial_sgs(inst, lft_list(inst)), inst.durations, strict=True)
    )


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_with_profiles_and_releases_are_feasible(kernels, seed):
    rng = random.Random(100 + seed)
    inst = random_instance(rng, n=20 + 5 * seed, profile=seed % 2 == 1, release=seed % 3 == 0)
    sched = solve(inst, time_limit=0.3, seed=seed, workers=2, heuristic_share=0.6)
    assert independent_check(inst, sched.starts) == sched.makespan
    assert sched.lower_bound <= sched.objective


@pytest.mark.parametrize(("share", "use_cpsat"), [(0.0, True), (1.0, False)])
def test_each_phase_alone_gives_a_feasible_schedule(kernels, share, use_cpsat):
    inst = random_instance(random.Random(7), n=40, profile=True, release=True)
    sched = solve(inst, time_limit=0.3, heuristic_share=share, use_cpsat=use_cpsat)
    assert independent_check(inst, sched.starts) == sched.makespan


def approval_portfolio(rng: random.Random, n_projects: int = 12):
    departments = {f"D{k}": rng.randint(1, 3) for k in range(5)}
    tasks = []
    for p in range(n_projects):
        prev: list[str] = []
        rel = rng.randint(0, 5)
        for k in range(rng.randint(3, 7)):
            key = f"P{p}T{k}"
            preds = tuple(x for x in prev if rng.random() < 0.7) or tuple(prev[-1:])
            tasks.append(
                ReviewTask(
                    key,
                    f"P{p}",
                    rng.choice(list(departments)),
                    rng.randint(1, 5),
                    predecessors=preds,
                    release=rel,
                )
            )
            prev.append(key)
    absences = {"D0": {d: 1 for d in range(3, 8)}, "D2": {0: 1, 1: 1}}
    return build_multi_project(tasks, departments, absences=absences)


@pytest.mark.parametrize("objective", ["makespan", "weighted_completion"])
def test_multi_project_schedule_respects_releases_absences_and_department_order(kernels, objective):
    inst = approval_portfolio(random.Random(3))
    sched = solve(inst, time_limit=0.5, workers=2, objective=objective)
    independent_check(inst, sched.starts)
    orders = department_orders(inst, sched)
    for r, dept in enumerate(inst.resource_names):
        labels = orders[dept]
        jobs = [inst.job_labels.index(x) for x in labels]
        assert sorted(jobs) == [
            j for j in range(inst.n_jobs) if inst.demands[j][r] > 0 and inst.durations[j] > 0
        ]
        assert [sched.starts[j] for j in jobs] == sorted(sched.starts[j] for j in jobs)
        if inst.capacities[r] == 1:  # one reviewer: tasks strictly one after another
            for a, b in itertools.pairwise(jobs):
                assert sched.starts[b] >= sched.starts[a] + inst.durations[a]


def test_weighted_completion_puts_the_short_or_heavy_project_first(kernels):
    tasks = [ReviewTask("long", "A", "D", 5), ReviewTask("short", "B", "D", 1)]
    inst = build_multi_project(tasks, {"D": 1})
    sched = solve(inst, time_limit=0.3, objective="weighted_completion")
    assert sched.starts == (1, 0) and sched.objective == 7.0
    heavy = build_multi_project(tasks, {"D": 1}, project_weights={"A": 10})
    sched = solve(heavy, time_limit=0.3, objective="weighted_completion")
    assert sched.starts == (0, 5) and sched.objective == 56.0
    assert sched.is_optimal


def test_absence_delays_the_only_reviewer():
    tasks = [ReviewTask("a", "P", "D", 2), ReviewTask("b", "P", "D", 2, predecessors=("a",))]
    inst = build_multi_project(tasks, {"D": 1}, absences={"D": {0: 1, 1: 1, 2: 1, 5: 1}})
    sched = solve(inst, time_limit=0.3)
    # free periods are 3, 4, 6, 7 ...: a in [3, 5), b cannot use period 5, so [6, 8)
    assert sched.starts == (3, 6) and sched.makespan == 8


def test_bad_arguments_are_refused():
    inst = Instance(durations=(1,), successors=((),), demands=((0,),), capacities=(1,))
    with pytest.raises(ValueError, match="time_limit"):
        solve(inst, 0)
    with pytest.raises(InstanceError, match="unknown objective"):
        solve(inst, 1, objective="lateness")
    with pytest.raises(InstanceError, match=r"needs instance\.projects"):
        solve(inst, 1, objective="weighted_completion")


def test_time_limit_is_respected_on_a_large_portfolio(kernels):
    from approvals.rcpsp.generate import approval_portfolio

    inst = approval_portfolio(seed=5, n_tasks=600, n_departments=8)
    t0 = time.perf_counter()
    sched = solve(inst, time_limit=0.5, workers=2)
    assert time.perf_counter() - t0 < 0.5 + 0.25
    assert independent_check(inst, sched.starts) == sched.makespan


def test_generator_is_reproducible_and_approval_shaped():
    from approvals.rcpsp.generate import approval_portfolio

    a = approval_portfolio(seed=11, n_tasks=80, n_departments=5)
    b = approval_portfolio(seed=11, n_tasks=80, n_departments=5)
    assert a == b
    assert 80 <= a.n_jobs <= 90
    assert a.n_resources == 5 and all(1 <= c <= 3 for c in a.capacities)
    assert all(
        sum(row) == 1 and max(row) == 1 for row in a.demands
    )  # one reviewer of one department
    assert a.n_projects >= 10 and a.capacity_profile is not None and a.release_times is not None
