"""The serial SGS's skip structures change its speed, never its answer.

A plain reference scan (the textbook serial SGS over a dense capacity table) and
:func:`approvals.rcpsp.sgs.serial_sgs` must give the same start times for every activity list,
on approval-shaped portfolios with absences (one department per task, long queues) and on
PSPLIB-like multi-resource instances.
"""

from __future__ import annotations

import random

import pytest

from approvals.rcpsp.generate import approval_portfolio
from approvals.rcpsp.model import Instance
from approvals.rcpsp.sgs import priority_list, serial_sgs


def reference_sgs(instance: Instance, order: list[int]) -> list[int]:
    horizon = instance.horizon_upper_bound() + 1
    avail = [
        [instance.capacity_at(r, t) for t in range(horizon)] for r in range(instance.n_resources)
    ]
    start = [0] * instance.n_jobs
    for j in order:
        t = instance.release(j)
        for p in instance.predecessors[j]:
            t = max(t, start[p] + instance.durations[p])
        d = instance.durations[j]
        used = [(r, q) for r, q in enumerate(instance.demands[j]) if q > 0]
        while d > 0 and used:
            bad = [u for u in range(t, t + d) if any(avail[r][u] < q for r, q in used)]
            if not bad:
                break
            t = bad[-1] + 1
        for u in range(t, t + d):
            for r, q in used:
                avail[r][u] -= q
        start[j] = t
    return start


def random_instance(rng: random.Random) -> Instance:
    n = rng.randint(2, 25)
    n_res = rng.randint(1, 3)
    caps = [rng.randint(1, 4) for _ in range(n_res)]
    durations = [0] + [rng.randint(0, 6) for _ in range(n)] + [0]
    demands = (
        [[0] * n_res]
        + [[rng.randint(0, c) if rng.random() < 0.7 else 0 for c in caps] for _ in range(n)]
        + [[0] * n_res]
    )
    successors: list[list[int]] = [[] for _ in range(n + 2)]
    for j in range(1, n + 1):
        for k in range(j + 1, n + 1):
            if rng.random() < 0.15:
                successors[j].append(k)
    for j in range(1, n + 1):
        if not successors[j]:
            successors[j].append(n + 1)
        if not any(j in s for s in successors):
            successors[0].append(j)
    return Instance(durations=durations, demands=demands, capacities=caps, successors=successors)


@pytest.mark.parametrize("seed", range(12))
def test_same_starts_as_the_plain_scan_on_approval_portfolios(seed):
    inst = approval_portfolio(seed=seed, n_tasks=120 + 40 * seed, n_departments=1 + seed % 4)
    rng = random.Random(seed)
    for _ in range(3):
        order = priority_list(inst, [rng.random() for _ in range(inst.n_jobs)])
        assert serial_sgs(inst, order) == reference_sgs(inst, order)


@pytest.mark.parametrize("seed", range(40))
def test_same_starts_as_the_plain_scan_on_multi_resource_instances(seed):
    rng = random.Random(1000 + seed)
    inst = random_instance(rng)
    for _ in range(3):
        order = priority_list(inst, [rng.random() for _ in range(inst.n_jobs)])
        assert serial_sgs(inst, order) == reference_sgs(inst, order)
