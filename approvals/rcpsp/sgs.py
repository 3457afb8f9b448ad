"""Pure-Python schedule generation and priority rules.

These are the always-available fallbacks (no numba needed): a serial SGS on
an activity list, the LFT priority rule, and a precedence-feasibility check of
lists.  The fast versions used by the search live in
:mod:`approvals.rcpsp._kernels`; both follow the same rules, so the results
are identical for the same list.
"""

from __future__ import annotations

from collections.abc import Sequence

from .bounds import latest_finishes
from .errors import RcpspError
from .model import Instance


def is_precedence_feasible(instance: Instance, order: Sequence[int]) -> bool:
    """True when ``order`` is a permutation of the jobs listing predecessors first."""
    n = instance.n_jobs
    if sorted(order) != list(range(n)):
        return False
    pos = {j: k for k, j in enumerate(order)}
    return all(pos[j] < pos[s] for j in range(n) for s in instance.successors[j])


def priority_list(instance: Instance, priority: Sequence[float]) -> list[int]:
    """Precedence-feasible list taking the eligible job of smallest priority (ties: lower index)."""
    n = instance.n_jobs
    indeg = [len(instance.predecessors[j]) for j in range(n)]
    eligible = [j for j in range(n) if indeg[j] == 0]
    out: list[int] = []
    while eligible:
        j = min(eligible, key=lambda x: (priority[x], x))
        eligible.remove(j)
        out.append(j)
        for s in instance.successors[j]:
            indeg[s] -= 1
            if indeg[s] == 0:
                eligible.append(s)
    return out


def lft_list(instance: Instance) -> list[int]:
    """The latest-finish-time priority rule list."""
    return priority_list(instance, latest_finishes(instance, instance.horizon_upper_bound()))


def serial_sgs(instance: Instance, order: Sequence[int]) -> list[int]:
    """Serial schedule generation scheme.

    Parameters
    ----------
    instance
        A valid instance.
    order
        A precedence-feasible activity list (every job once, predecessors first).

    Returns
    -------
    list[int]
        Start times: each job in turn at the earliest period >= its release
        time and its predecessors' finishes where every resource it uses has
        room (capacity profile included) during its whole duration.

    Raises
    ------
    RcpspError
        If ``order`` is not a precedence-feasible permutation.
    """
    if not is_precedence_feasible(instance, order):
        raise RcpspError("activity list is not a precedence-feasible permutation of the jobs")
    n_res = instance.n_resources
    horizon = instance.horizon_upper_bound() + 1
    avail = [[instance.capacity_at(r, t) for t in range(horizon)] for r in range(n_res)]
    start = [0] * instance.n_jobs
    for j in order:
        t = instance.release(j)
        for p in instance.predecessors[j]:
            t = max(t, start[p] + instance.durations[p])
        d = instance.durations[j]
        used = [(r, q) for r, q in enumerate(instance.demands[j]) if q > 0]
        if d > 0 and used:
            while True:
                conflict = -1
                for u in range(t + d - 1, t - 1, -1):
                    if any(avail[r][u] < q for r, q in used):
                        conflict = u
                        break
                if conflict < 0:
                    break
                t = conflict + 1
            for u in range(t, t + d):
                for r, q in used:
                    avail[r][u] -= q
        start[j] = t
    return start
