"""OR-Tools CP-SAT model of an instance, used as the exact / repair phase.

The model is the classical one: one fixed-size interval per job, a
``cumulative`` per resource (absences enter as fixed intervals that consume
the missing capacity), precedence inequalities, release times as variable
domains, and start windows tightened by the critical path (earliest start)
and the tail (longest path to the end) against the best known makespan.
A heuristic schedule is passed as a complete solution hint so that CP-SAT
starts from it (its LNS workers improve it; its search proves optimality on
small instances).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .bounds import earliest_starts
from .model import Instance


def _tails(instance: Instance) -> list[int]:
    """Longest path from the start of each job to the end of the project (duration included)."""
    tail = list(instance.durations)
    for j in reversed(instance.topological_order):
        best = 0
        for s in instance.successors[j]:
            best = max(best, tail[s])
        tail[j] = instance.durations[j] + best
    return tail


@dataclass
class CpResult:
    """Outcome of a CP-SAT run: ``starts`` is None when no solution was found."""

    starts: list[int] | None
    objective: float | None
    bound: float
    optimal: bool
    wall: float


def _weights_int(instance: Instance) -> list[int]:
    weights = instance.project_weights or (1.0,) * instance.n_projects
    if all(float(w).is_integer() for w in weights):
        return [int(w) for w in weights]
    return [max(1, round(1000 * w)) for w in weights]


def _start_vars(
    m: cp_model.CpModel, instance: Instance, H: int, ub: int, objective: str
) -> tuple[list[cp_model.IntVar], list[cp_model.IntervalVar | None]]:
    """A start variable per job, its window tightened by the critical path and (for the makespan)
    the tail; an interval per job of positive duration."""
    es = earliest_starts(instance)
    tail = _tails(instance)
    starts = []
    intervals = []
    for j in range(instance.n_jobs):
        lo = es[j]
        hi = max(lo, H - tail[j]) if objective == "makespan" else ub
        s = m.new_int_var(lo, hi, f"s{j}")
        starts.append(s)
        d = instance.durations[j]
        intervals.append(m.new_fixed_size_interval_var(s, d, f"i{j}") if d > 0 else None)
    return starts, intervals


def _add_cumulatives(
    m: cp_model.CpModel, instance: Instance, intervals: list[cp_model.IntervalVar | None]
) -> None:
    """A cumulative per resource; absences are fixed intervals using the missing capacity."""
    n = instance.n_jobs
    for r in range(instance.n_resources):
        ivs = []
        dem = []
        for j in range(n):
            q = instance.demands[j][r]
            if q > 0 and intervals[j] is not None:
                ivs.append(intervals[j])
                dem.append(q)
        if not ivs:
            continue
        cap = instance.capacities[r]
        if instance.capacity_profile is not None:
            row = instance.capacity_profile[r]
            t = 0
            while t < len(row):
                miss = cap - row[t]
                if miss == 0:
                    t += 1
                    continue
                u = t
                while u < len(row) and cap - row[u] == miss:
                    u += 1
                ivs.append(m.new_fixed_size_interval_var(t, u - t, f"abs{r}_{t}"))
                dem.append(miss)
                t = u
        m.add_cumulative(ivs, dem, cap)


def _add_objective(
    m: cp_model.CpModel,
    instance: Instance,
    starts: list[cp_model.IntVar],
    objective: str,
    lower_bound: int,
    H: int,
    ub: int,
) -> cp_model.IntVar | None:
    """Minimise the makespan (its variable is returned) or the weighted project completions."""
    n = instance.n_jobs
    ends = [starts[j] + instance.durations[j] for j in range(n)]
    if objective == "makespan":
        mk = m.new_int_var(lower_bound, H, "makespan")
        for j in range(n):
            if not instance.successors[j]:
                m.add(mk >= ends[j])
        m.minimize(mk)
        return mk
    weights = _weights_int(instance)
    comp = [m.new_int_var(0, ub, f"c{p}") for p in range(instance.n_projects)]
    for j, p in enumerate(instance.projects or ()):
        if p >= 0:
            m.add(comp[p] >= ends[j])
    m.minimize(sum(w * c for w, c in zip(weights, comp, strict=False)))
    return None


def solve_cpsat(
    instance: Instance,
    time_limit: float,
    *,
    workers: int = 1,
    seed: int = 0,
    objective: str = "makespan",
    horizon: int | None = None,
    hint: Sequence[int] | None = None,
    lower_bound: int = 0,
    stop_at_bound: float | None = None,
    params: dict[str, object] | None = None,
) -> CpResult:
    """Solve ``instance`` with CP-SAT within ``time_limit`` seconds.

    Parameters
    ----------
    horizon
        Upper bound on the makespan (the hint's makespan is enough); when
        None the serial horizon ``instance.horizon_upper_bound()`` is used.
    hint
        A feasible schedule with makespan <= ``horizon`` to start from.
    lower_bound
        A valid makespan lower bound (only used for ``"makespan"``).
    stop_at_bound
        Ignored placeholder for symmetry with the heuristic (CP-SAT stops by
        itself when its bound meets the solution).
    """
    t0 = time.perf_counter()
    n = instance.n_jobs
    ub = instance.horizon_upper_bound()  # once: it sums every duration
    H = horizon if horizon is not None else ub
    m = cp_model.CpModel()
    starts, intervals = _start_vars(m, instance, H, ub, objective)
    for j in range(n):
        for k in instance.successors[j]:
            m.add(starts[k] >= starts[j] + instance.durations[j])
    _add_cumulatives(m, instance, intervals)
    mk = _add_objective(m, instance, starts, objective, max(lower_bound, 0), H, ub)
    if hint is not None:
        for j in range(n):
            m.add_hint(starts[j], int(hint[j]))
        if mk is not None:
            m.add_hint(mk, max(int(hint[j]) + instance.durations[j] for j in range(n)))
    solver = cp_model.CpSolver()
    remaining = time_limit - (time.perf_counter() - t0)
    solver.parameters.max_time_in_seconds = max(0.001, remaining)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    for key, value in (params or {}).items():
        setattr(solver.parameters, key, value)
    status = solver.solve(m)
    wall = time.perf_counter() - t0
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sol = [int(solver.value(s)) for s in starts]
        obj = solver.objective_value
        bound = solver.best_objective_bound
        if objective != "makespan":
            obj = None  # the caller recomputes the float objective
        return CpResult(sol, obj, bound, status == cp_model.OPTIMAL, wall)
    bound = solver.best_objective_bound if status == cp_model.INFEASIBLE else 0.0
    return CpResult(None, None, bound, False, wall)
