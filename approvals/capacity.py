"""Capacity-aware forecasts (issue 7): all open review tasks of all projects, scheduled on the
departments' reviewers (多项目资源受限调度, multi-project RCPSP).

Each department has a number of reviewers per working day (审查人员), fewer on days with
absences; each open task needs one reviewer for its remaining working days.  A task already
under review keeps its reviewer: it is not rescheduled, it takes a reviewer from today until its
expected end (its department has one reviewer fewer on those days) and its dependents are
released when it ends.  A task waiting for its prerequisites starts after all of them end; a
merged review's member tasks are separate tasks of their departments and the steps after it
wait for every member.  Early starts (提前介入) are kept as finish-to-start here: conservative.

Two ways to compute:

- :func:`plan_with_capacity` — the full optimisation (the RCPSP engine of
  :mod:`approvals.rcpsp`, objective *finish projects soonest*: the sum of project completion
  times), for the nightly run or on demand;
- :func:`update_with_capacity` — the incremental update after an event: the previous plan's
  order is kept as the priority (new tasks by their latest finish), and one serial schedule
  generation places everything again — milliseconds, the same precedence and capacity rules.

Days are working-day indices from today (day 0).  Pure: no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from approvals.rcpsp import (
    ReviewTask,
    build_multi_project,
    department_orders,
    solve,
    validate_schedule,
)
from approvals.rcpsp.bounds import latest_finishes
from approvals.rcpsp.model import Instance, project_completions
from approvals.rcpsp.sgs import priority_list, serial_sgs


@dataclass(frozen=True)
class OpenTask:
    """One open review task as the capacity planner sees it."""

    key: str
    project: str
    department: str
    remaining: int  # working days of review still needed
    predecessors: tuple[str, ...] = ()
    release: int = 0  # earliest day it can start (e.g. not before its documents arrive)
    started: bool = False  # under review: keeps its reviewer, not rescheduled


@dataclass(frozen=True)
class CapacityPlan:
    """Predicted days per task and project, and each department's order of work."""

    start: dict[str, int]
    finish: dict[str, int]
    project_finish: dict[str, int]
    orders: dict[str, list[str]]  # department → task keys, in the order to take them
    objective: float
    lower_bound: float | None
    method: str
    overloaded: dict[str, int] = field(
        default_factory=dict
    )  # department → days started work exceeds its reviewers


def _model(
    tasks: Iterable[OpenTask],
    reviewers: Mapping[str, int],
    absences: Mapping[str, Mapping[int, int]] | None,
) -> tuple[Instance | None, list[OpenTask], dict[str, int], dict[str, int], dict[str, int]]:
    """The RCPSP instance of the tasks that can still be placed, and the fixed facts.

    Returns the instance (None when nothing is left to place), the free tasks, the fixed ends of
    started tasks, the overload per department, and the release of each free task.
    """
    tasks = list(tasks)
    keys = {t.key for t in tasks}
    started = {t.key: t for t in tasks if t.started}
    free = [t for t in tasks if not t.started]
    # started work occupies reviewers from day 0
    busy: dict[str, dict[int, int]] = {}
    for t in started.values():
        for day in range(t.remaining):
            busy.setdefault(t.department, {})
            busy[t.department][day] = busy[t.department].get(day, 0) + 1
    profile: dict[str, dict[int, int]] = {}
    overloaded: dict[str, int] = {}
    for dept, nominal in reviewers.items():
        days = set((absences or {}).get(dept, {})) | set(busy.get(dept, {}))
        for day in days:
            absent = (absences or {}).get(dept, {}).get(day, 0) + busy.get(dept, {}).get(day, 0)
            if absent > nominal:
                overloaded[dept] = overloaded.get(dept, 0) + 1
            profile.setdefault(dept, {})[day] = min(absent, nominal)
    ends = {k: t.remaining for k, t in started.items()}
    release: dict[str, int] = {}
    review: list[ReviewTask] = []
    for t in free:
        r = t.release
        preds = []
        for p in t.predecessors:
            if p in ends:
                r = max(r, ends[p])
            elif p in keys:
                preds.append(p)
        release[t.key] = r
        review.append(ReviewTask(t.key, t.project, t.department, t.remaining, tuple(preds), r))
    if not review:
        return None, free, ends, overloaded, release
    # a department every remaining task still needs must be able to do it: at least one reviewer
    depts = {d: max(n, 1) for d, n in reviewers.items()}
    for t in free:
        depts.setdefault(t.department, 1)
    instance = build_multi_project(
        review, depts, absences=profile or None, name="open review tasks"
    )
    return instance, free, ends, overloaded, release


def _plan(
    instance: Instance | None,
    free: list[OpenTask],
    starts: list[int],
    ends: dict[str, int],
    tasks: list[OpenTask],
    method: str,
    objective: float,
    lower_bound: float | None,
    overloaded: dict[str, int],
) -> CapacityPlan:
    start: dict[str, int] = {k: 0 for k in ends}
    finish: dict[str, int] = dict(ends)
    orders: dict[str, list[str]] = {}
    if instance is not None:
        for j, t in enumerate(free):
            start[t.key] = starts[j]
            finish[t.key] = starts[j] + t.remaining
        for dept, labels in department_orders(instance, starts).items():
            orders[dept] = list(labels)
    for t in tasks:
        if t.started:
            orders.setdefault(t.department, []).insert(0, t.key)
    project_finish: dict[str, int] = {}
    for t in tasks:
        project_finish[t.project] = max(project_finish.get(t.project, 0), finish[t.key])
    return CapacityPlan(
        start, finish, project_finish, orders, objective, lower_bound, method, overloaded
    )


def plan_with_capacity(
    tasks: Iterable[OpenTask],
    reviewers: Mapping[str, int],
    absences: Mapping[str, Mapping[int, int]] | None = None,
    *,
    time_limit: float = 3.0,
    seed: int = 0,
    workers: int | None = None,
) -> CapacityPlan:
    """The full optimisation: finish projects soonest (sum of project completion days)."""
    tasks = list(tasks)
    instance, free, ends, overloaded, _ = _model(tasks, reviewers, absences)
    if instance is None:
        return _plan(None, free, [], ends, tasks, "none", 0.0, 0.0, overloaded)
    schedule = solve(
        instance, time_limit, seed=seed, workers=workers, objective="weighted_completion"
    )
    validate_schedule(instance, schedule.starts)
    return _plan(
        instance,
        free,
        list(schedule.starts),
        ends,
        tasks,
        "rcpsp",
        float(schedule.objective),
        float(schedule.lower_bound) if schedule.lower_bound is not None else None,
        overloaded,
    )


def update_with_capacity(
    tasks: Iterable[OpenTask],
    reviewers: Mapping[str, int],
    absences: Mapping[str, Mapping[int, int]] | None = None,
    previous: Mapping[str, int] | None = None,
) -> CapacityPlan:
    """The incremental update: keep the previous plan's order, place every task again.

    ``previous`` maps task keys to their previously planned start day (on the old day 0; only
    the order matters).  Tasks without one come by their latest finish (LFT), after those of the
    previous plan that start no later.
    """
    tasks = list(tasks)
    instance, free, ends, overloaded, _ = _model(tasks, reviewers, absences)
    if instance is None:
        return _plan(None, free, [], ends, tasks, "none", 0.0, 0.0, overloaded)
    lft = latest_finishes(instance, instance.horizon_upper_bound())
    previous = previous or {}
    priority = [
        float(previous[t.key]) if t.key in previous else float(lft[j]) for j, t in enumerate(free)
    ]
    starts = serial_sgs(instance, priority_list(instance, priority))
    validate_schedule(instance, starts)
    completions = project_completions(instance, starts)
    return _plan(
        instance,
        free,
        list(starts),
        ends,
        tasks,
        "incremental",
        float(sum(completions)),
        None,
        overloaded,
    )
