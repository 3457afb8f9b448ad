"""Lower bounds and time windows.

* :func:`earliest_starts` / critical-path bound: forward CPM with release
  times, ignoring resources (PSPLIB's ``MPM-Time``).
* :func:`resource_bound`: for every resource the first period ``T`` by which
  the cumulated capacity (profile, then nominal) covers the total work
  ``sum(duration x demand)``; the bound is the largest such ``T``.
* :func:`makespan_lower_bound`: the larger of the two.
* :func:`latest_finishes`: backward CPM against a horizon (the LFT priority).
* :func:`weighted_completion_lower_bound`: per-project critical path bound
  weighted and summed.
"""

from __future__ import annotations

from .model import Instance


def earliest_starts(instance: Instance) -> list[int]:
    """Earliest start of every job from precedences and release times only."""
    es = [instance.release(j) for j in range(instance.n_jobs)]
    for j in instance.topological_order:
        f = es[j] + instance.durations[j]
        for s in instance.successors[j]:
            if f > es[s]:
                es[s] = f
    return es


def critical_path_bound(instance: Instance) -> int:
    """Length of the longest path (with release times): a makespan lower bound."""
    es = earliest_starts(instance)
    return max((es[j] + instance.durations[j] for j in range(instance.n_jobs)), default=0)


def latest_finishes(instance: Instance, horizon: int) -> list[int]:
    """Latest finish of every job so that all finish by ``horizon`` (precedences only)."""
    lf = [horizon] * instance.n_jobs
    for j in reversed(instance.topological_order):
        for s in instance.successors[j]:
            v = lf[s] - instance.durations[s]
            if v < lf[j]:
                lf[j] = v
    return lf


def resource_bound(instance: Instance) -> int:
    """Energy bound: no resource can process its total work earlier.

    Precondition: the instance is valid (every demand fits the nominal capacity).
    """
    best = 0
    for r in range(instance.n_resources):
        work = sum(d * dem[r] for d, dem in zip(instance.durations, instance.demands, strict=False))
        if work == 0:
            continue
        cap = instance.capacities[r]
        t = 0
        acc = 0
        if instance.capacity_profile is not None:
            for v in instance.capacity_profile[r]:
                if acc >= work:
                    break
                acc += v
                t += 1
        if acc < work:
            t += -(-(work - acc) // cap)  # cap > 0 because some demand is positive
        best = max(best, t)
    return best


def makespan_lower_bound(instance: Instance) -> int:
    """``max(critical_path_bound, resource_bound)``."""
    return max(critical_path_bound(instance), resource_bound(instance))


def weighted_completion_lower_bound(instance: Instance) -> float:
    """Sum over projects of weight x (critical-path finish of the project's jobs)."""
    if instance.projects is None:
        return 0.0
    es = earliest_starts(instance)
    comp = [0] * instance.n_projects
    for j, p in enumerate(instance.projects):
        if p >= 0:
            comp[p] = max(comp[p], es[j] + instance.durations[j])
    weights = instance.project_weights or (1.0,) * instance.n_projects
    return float(sum(w * c for w, c in zip(weights, comp, strict=False)))
