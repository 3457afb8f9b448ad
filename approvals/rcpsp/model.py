"""Domain model of the resource-constrained project scheduling problem (RCPSP).

An :class:`Instance` is a set of non-preemptive jobs (0-based indices), each
with an integer duration, a set of successors (finish-to-start precedences
with zero lag) and a demand on every renewable resource.  Each resource has a
nominal capacity; an optional *capacity profile* lowers it on given periods
(absences of 审查人员 reviewers in a 审批部门 department), and optional
*release times* forbid a job to start before a given period.

Time is discrete: a job started at ``s`` with duration ``d`` occupies the
periods ``s, s+1, ..., s+d-1`` (the half-open interval ``[s, s+d)``) and
finishes at ``s+d``.  Zero-duration jobs (PSPLIB's dummy source and sink)
occupy nothing.

Multi-project use (issue 7): :func:`build_multi_project` turns review tasks of
many projects into one instance where every department is a renewable
resource with 1-3 reviewers and each task needs one reviewer; ``projects`` and
``project_weights`` then allow the "finish projects soonest" objective
(weighted sum of project completion times, see :func:`objective_value`).
:func:`resource_orders` / :func:`department_orders` give, from a schedule, the
order in which each department should take its tasks.

The model is pure data: no database, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .errors import InfeasibleScheduleError, InstanceError

Objective = Literal["makespan", "weighted_completion"]
OBJECTIVES: tuple[str, ...] = ("makespan", "weighted_completion")


def _as_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InstanceError(f"{what} must be an integer, got {value!r}")
    return int(value)


def _ints(values: Sequence[object], what: str) -> tuple[int, ...]:
    """``values`` as plain ints; ``what`` names one entry, formatted with its index ``i``.

    The check per entry (and its message) runs only when some entry is not a plain ``int``:
    instances of a city's open tasks have millions of entries and are nearly always clean.
    """
    out = tuple(values)
    if all(type(v) is int for v in out):
        return out  # type: ignore[return-value]
    return tuple(_as_int(v, what.format(i=i)) for i, v in enumerate(out))


def _checked_successors(rows: Sequence[Sequence[object]], n: int) -> tuple[tuple[int, ...], ...]:
    successors = []
    for j, succ in enumerate(rows):
        row = _ints(succ, f"successor of job {j}")
        for s in row:
            if not 0 <= s < n:
                raise InstanceError(f"job {j}: unknown successor id {s} (valid ids are 0..{n - 1})")
            if s == j:
                raise InstanceError(f"job {j}: a job cannot be its own successor")
        if len(set(row)) != len(row):
            raise InstanceError(f"job {j}: duplicate successor ids {row}")
        successors.append(row)
    return tuple(successors)


def _checked_demands(
    rows: Sequence[Sequence[object]], capacities: tuple[int, ...]
) -> tuple[tuple[int, ...], ...]:
    n_res = len(capacities)
    demands = []
    for j, dem in enumerate(rows):
        row = _ints(dem, f"demand of job {j}")
        if len(row) != n_res:
            raise InstanceError(
                f"job {j}: {len(row)} demands given, expected {n_res} (one per resource)"
            )
        for r, q in enumerate(row):
            if q < 0:
                raise InstanceError(f"job {j}: negative demand {q} on resource {r}")
            if q > capacities[r]:
                raise InstanceError(
                    f"job {j}: demand {q} on resource {r} exceeds its capacity {capacities[r]}"
                )
        demands.append(row)
    return tuple(demands)


def _checked_release_times(values: Sequence[object], n: int) -> tuple[int, ...]:
    rel = _ints(values, "release time of job {i}")
    if len(rel) != n:
        raise InstanceError(f"release_times has {len(rel)} entries, expected {n}")
    for j, x in enumerate(rel):
        if x < 0:
            raise InstanceError(f"job {j}: negative release time {x}")
    return rel


def _checked_profile(
    profile: Sequence[Sequence[object]], capacities: tuple[int, ...]
) -> tuple[tuple[int, ...], ...]:
    n_res = len(capacities)
    if len(profile) != n_res:
        raise InstanceError(
            f"capacity_profile has {len(profile)} rows, expected {n_res} (one per resource)"
        )
    prof = []
    for r, row in enumerate(profile):
        vals = _ints(row, f"capacity of resource {r} in period {{i}}")
        for t, v in enumerate(vals):
            if not 0 <= v <= capacities[r]:
                raise InstanceError(
                    f"resource {r}, period {t}: capacity {v} outside 0..{capacities[r]}"
                )
        prof.append(vals)
    return tuple(prof)


def _checked_projects(
    values: Sequence[object], project_weights: Sequence[float] | None, n: int
) -> tuple[tuple[int, ...], tuple[float, ...] | None]:
    """The project of each job and, when given, the projects' weights."""
    projects = _ints(values, "project of job {i}")
    if len(projects) != n:
        raise InstanceError(f"projects has {len(projects)} entries, expected {n}")
    if any(p < -1 for p in projects):
        raise InstanceError("project indices must be >= 0 (or -1 for no project)")
    n_proj = max(projects, default=-1) + 1
    if project_weights is None:
        return projects, None
    weights = tuple(float(w) for w in project_weights)
    if len(weights) < n_proj:
        raise InstanceError(f"project_weights has {len(weights)} entries, expected {n_proj}")
    if any(not w > 0 for w in weights):
        raise InstanceError("project weights must be positive")
    return projects, weights


def _precedence_order(
    successors: tuple[tuple[int, ...], ...],
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Predecessors and a topological order (Kahn); a leftover means a cycle."""
    n = len(successors)
    preds: list[list[int]] = [[] for _ in range(n)]
    for j, succ in enumerate(successors):
        for s in succ:
            preds[s].append(j)
    indeg = [len(p) for p in preds]
    stack = [j for j in range(n - 1, -1, -1) if indeg[j] == 0]
    topo: list[int] = []
    while stack:
        j = stack.pop()
        topo.append(j)
        for s in reversed(successors[j]):
            indeg[s] -= 1
            if indeg[s] == 0:
                stack.append(s)
    if len(topo) != n:
        cyc = _find_cycle(successors, {j for j in range(n) if indeg[j] > 0})
        raise InstanceError(f"precedence cycle (0-based job ids): {' -> '.join(map(str, cyc))}")
    return tuple(tuple(p) for p in preds), tuple(topo)


@dataclass(frozen=True)
class Instance:
    """A (possibly multi-project) single-mode RCPSP instance.

    Parameters
    ----------
    durations
        ``durations[j]`` >= 0, the processing time of job ``j``.
    successors
        ``successors[j]`` lists the jobs that may start only once ``j`` has
        finished.  Ids are 0-based, in range, distinct, not ``j`` itself; the
        precedence graph must be acyclic.
    demands
        ``demands[j][r]`` >= 0 units of resource ``r`` used by ``j`` while it
        runs; never above ``capacities[r]``.
    capacities
        Nominal capacity of every renewable resource (>= 0).
    release_times
        Optional ``release_times[j]`` >= 0: job ``j`` cannot start before it.
    capacity_profile
        Optional per-period capacity: ``capacity_profile[r][t]`` units of
        ``r`` are available in period ``t`` (``0 <= value <= capacities[r]``);
        beyond the end of the row the nominal capacity applies.  Rows may have
        different lengths.
    projects
        Optional project index (>= 0) of every job, or -1 for a job that
        belongs to no project (e.g. a dummy).  Needed for the
        ``"weighted_completion"`` objective.
    project_weights
        Optional positive weight of each project (default 1.0 each).
    job_labels, resource_names, project_names
        Optional display names (e.g. task keys, department names).
    name
        Free-form instance name.

    Raises
    ------
    InstanceError
        If any of the above preconditions is violated.  The message names the
        job / resource concerned.
    """

    durations: tuple[int, ...]
    successors: tuple[tuple[int, ...], ...]
    demands: tuple[tuple[int, ...], ...]
    capacities: tuple[int, ...]
    release_times: tuple[int, ...] | None = None
    capacity_profile: tuple[tuple[int, ...], ...] | None = None
    projects: tuple[int, ...] | None = None
    project_weights: tuple[float, ...] | None = None
    job_labels: tuple[str, ...] | None = None
    resource_names: tuple[str, ...] | None = None
    project_names: tuple[str, ...] | None = None
    name: str = ""
    _predecessors: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    _topo: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        setter = object.__setattr__
        n = len(self.durations)
        durations = _ints(self.durations, "duration of job {i}")
        for j, d in enumerate(durations):
            if d < 0:
                raise InstanceError(f"job {j}: negative duration {d}")
        if len(self.successors) != n:
            raise InstanceError(
                f"successors has {len(self.successors)} rows, expected {n} (one per job)"
            )
        if len(self.demands) != n:
            raise InstanceError(f"demands has {len(self.demands)} rows, expected {n} (one per job)")
        capacities = tuple(
            _as_int(c, f"capacity of resource {r}") for r, c in enumerate(self.capacities)
        )
        n_res = len(capacities)
        for r, c in enumerate(capacities):
            if c < 0:
                raise InstanceError(f"resource {r}: negative capacity {c}")
        successors = _checked_successors(self.successors, n)
        demands = _checked_demands(self.demands, capacities)
        setter(self, "durations", durations)
        setter(self, "capacities", capacities)
        setter(self, "successors", successors)
        setter(self, "demands", demands)

        if self.release_times is not None:
            setter(self, "release_times", _checked_release_times(self.release_times, n))
        if self.capacity_profile is not None:
            setter(self, "capacity_profile", _checked_profile(self.capacity_profile, capacities))
        if self.projects is not None:
            projects, weights = _checked_projects(self.projects, self.project_weights, n)
            setter(self, "projects", projects)
            if weights is not None:
                setter(self, "project_weights", weights)
        elif self.project_weights is not None:
            raise InstanceError("project_weights given without projects")
        for attr, size in (("job_labels", n), ("resource_names", n_res)):
            labels = getattr(self, attr)
            if labels is not None:
                labels = tuple(str(x) for x in labels)
                if len(labels) != size:
                    raise InstanceError(f"{attr} has {len(labels)} entries, expected {size}")
                setter(self, attr, labels)

        preds, topo = _precedence_order(self.successors)
        setter(self, "_predecessors", preds)
        setter(self, "_topo", topo)

    # ------------------------------------------------------------------ views
    @property
    def n_jobs(self) -> int:
        """Number of jobs (dummies included)."""
        return len(self.durations)

    @property
    def n_resources(self) -> int:
        """Number of renewable resources."""
        return len(self.capacities)

    @property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        """``predecessors[j]``: jobs that must finish before ``j`` starts."""
        return self._predecessors

    @property
    def topological_order(self) -> tuple[int, ...]:
        """A fixed topological order of the jobs (predecessors first)."""
        return self._topo

    @property
    def n_projects(self) -> int:
        """Number of projects (0 if ``projects`` is not set)."""
        return 0 if self.projects is None else max(self.projects, default=-1) + 1

    def release(self, j: int) -> int:
        """Release time of job ``j`` (0 if none)."""
        return 0 if self.release_times is None else self.release_times[j]

    def capacity_at(self, r: int, t: int) -> int:
        """Capacity of resource ``r`` in period ``t`` (profile, else nominal)."""
        if self.capacity_profile is not None and 0 <= t < len(self.capacity_profile[r]):
            return self.capacity_profile[r][t]
        return self.capacities[r]

    def label(self, j: int) -> str:
        """Display name of job ``j`` (its label, else ``str(j + 1)``, PSPLIB's 1-based number)."""
        return self.job_labels[j] if self.job_labels is not None else str(j + 1)

    def resource_name(self, r: int) -> str:
        """Display name of resource ``r`` (its name, else ``"R<r+1>"``)."""
        return self.resource_names[r] if self.resource_names is not None else f"R{r + 1}"

    def profile_length(self) -> int:
        """Number of leading periods covered by the capacity profile (0 if none)."""
        if self.capacity_profile is None:
            return 0
        return max((len(row) for row in self.capacity_profile), default=0)

    def horizon_upper_bound(self) -> int:
        """A horizon within which a serial schedule always fits.

        Sum of durations plus the largest release time plus the profile
        length: jobs run one after another once every release has passed and
        every absence is over.
        """
        rel = max(self.release_times, default=0) if self.release_times is not None else 0
        return sum(self.durations) + rel + self.profile_length()


def _find_cycle(successors: Sequence[Sequence[int]], nodes: set[int]) -> list[int]:
    """Return one cycle (first node repeated at the end) inside ``nodes``."""
    start = min(nodes)
    seen: dict[int, int] = {}
    path: list[int] = []
    j = start
    while j not in seen:
        seen[j] = len(path)
        path.append(j)
        j = next(s for s in successors[j] if s in nodes)
    return [*path[seen[j] :], j]


@dataclass(frozen=True)
class Schedule:
    """A feasible schedule.

    Attributes
    ----------
    starts
        ``starts[j]``: start period of job ``j`` (0-based job index).
    makespan
        Latest finish time over all jobs.
    objective
        Value of the objective that was optimised (equals ``makespan`` for
        the ``"makespan"`` objective).
    lower_bound
        A proven lower bound on that objective (``objective == lower_bound``
        means the schedule is optimal).
    method
        Which part of the solver found the schedule (informative only).
    """

    starts: tuple[int, ...]
    makespan: int
    objective: float = 0.0
    lower_bound: float = 0.0
    method: str = ""

    @property
    def is_optimal(self) -> bool:
        """True when the objective equals the proven lower bound."""
        return self.objective <= self.lower_bound

    def finish(self, instance: Instance, j: int) -> int:
        """Finish time of job ``j``."""
        return self.starts[j] + instance.durations[j]

    def to_psplib_dict(self, instance: Instance) -> dict[str, object]:
        """``{"makespan": N, "start": {"<label>": start, ...}}`` for every job.

        For a PSPLIB instance the labels are the 1-based job numbers of the file.
        """
        return {
            "makespan": self.makespan,
            "start": {instance.label(j): s for j, s in enumerate(self.starts)},
        }


def validate_schedule(instance: Instance, starts: Sequence[int]) -> int:
    """Check a schedule against every constraint and return its makespan.

    Parameters
    ----------
    instance
        The instance.
    starts
        One integer start time per job.

    Returns
    -------
    int
        The makespan (latest finish; 0 for an empty instance).

    Raises
    ------
    InfeasibleScheduleError
        On the first violated constraint, naming the jobs, resource and
        period concerned (``kind`` tells which constraint).
    """
    n = instance.n_jobs
    if len(starts) != n:
        raise InfeasibleScheduleError(
            f"{len(starts)} start times given, expected {n}", kind="length"
        )
    st = []
    for j, s in enumerate(starts):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise InfeasibleScheduleError(
                f"job {j}: start time {s!r} is not a non-negative integer", kind="start"
            )
        st.append(int(s))
    dur = instance.durations
    for j in range(n):
        if st[j] < instance.release(j):
            raise InfeasibleScheduleError(
                f"job {j} starts at {st[j]}, before its release time {instance.release(j)}",
                kind="release",
            )
        for s in instance.successors[j]:
            if st[s] < st[j] + dur[j]:
                raise InfeasibleScheduleError(
                    f"precedence {j} -> {s} violated: job {j} finishes at {st[j] + dur[j]}, "
                    f"job {s} starts at {st[s]}",
                    kind="precedence",
                )
    makespan = max((st[j] + dur[j] for j in range(n)), default=0)
    if makespan == 0:
        return 0
    for r in range(instance.n_resources):
        usage = np.zeros(makespan + 1, dtype=np.int64)
        for j in range(n):
            q = instance.demands[j][r]
            if q and dur[j]:
                usage[st[j]] += q
                usage[st[j] + dur[j]] -= q
        usage = np.cumsum(usage)[:makespan]
        cap = np.full(makespan, instance.capacities[r], dtype=np.int64)
        if instance.capacity_profile is not None:
            row = instance.capacity_profile[r][:makespan]
            cap[: len(row)] = row
        bad = np.nonzero(usage > cap)[0]
        if bad.size:
            t = int(bad[0])
            jobs = [j for j in range(n) if instance.demands[j][r] and st[j] <= t < st[j] + dur[j]]
            raise InfeasibleScheduleError(
                f"resource {instance.resource_name(r)} over capacity in period {t}: "
                f"usage {int(usage[t])} > capacity {int(cap[t])} (jobs {jobs})",
                kind="capacity",
            )
    return makespan


def project_completions(instance: Instance, starts: Sequence[int]) -> list[int]:
    """Completion time of every project (latest finish of its jobs; 0 if empty)."""
    out = [0] * instance.n_projects
    if instance.projects is None:
        return out
    for j, p in enumerate(instance.projects):
        if p >= 0:
            out[p] = max(out[p], starts[j] + instance.durations[j])
    return out


def objective_value(
    instance: Instance, starts: Sequence[int], objective: Objective = "makespan"
) -> float:
    """Value of ``objective`` for a schedule.

    ``"makespan"``: latest finish.  ``"weighted_completion"``: sum over
    projects of weight x completion time (requires ``instance.projects``).

    Raises
    ------
    InstanceError
        If the objective is unknown or needs projects the instance lacks.
    """
    if objective == "makespan":
        return float(
            max((s + d for s, d in zip(starts, instance.durations, strict=False)), default=0)
        )
    if objective == "weighted_completion":
        if instance.projects is None:
            raise InstanceError("objective 'weighted_completion' needs instance.projects")
        weights = instance.project_weights or (1.0,) * instance.n_projects
        return float(
            sum(w * c for w, c in zip(weights, project_completions(instance, starts), strict=False))
        )
    raise InstanceError(f"unknown objective {objective!r}; expected one of {OBJECTIVES}")


def resource_orders(instance: Instance, starts: Sequence[int]) -> list[list[int]]:
    """For every resource, its jobs (positive demand and duration) in processing order.

    Jobs are sorted by start time, then finish time, then index, i.e. the
    order in which the department's reviewers should take the tasks.
    """
    out: list[list[int]] = []
    for r in range(instance.n_resources):
        jobs = [
            j
            for j in range(instance.n_jobs)
            if instance.demands[j][r] > 0 and instance.durations[j] > 0
        ]
        jobs.sort(key=lambda j: (starts[j], starts[j] + instance.durations[j], j))
        out.append(jobs)
    return out


def department_orders(
    instance: Instance, schedule: Schedule | Sequence[int]
) -> dict[str, list[str]]:
    """Per-department task order by names: ``{department: [task label, ...]}``."""
    starts = schedule.starts if isinstance(schedule, Schedule) else schedule
    return {
        instance.resource_name(r): [instance.label(j) for j in jobs]
        for r, jobs in enumerate(resource_orders(instance, starts))
    }


# ---------------------------------------------------------------- multi-project
@dataclass(frozen=True)
class ReviewTask:
    """One review task of a project, done by one reviewer of one department.

    Parameters
    ----------
    key
        Unique task key across all projects.
    project
        Project key.
    department
        Department key (must be one of the builder's departments).
    duration
        Working periods (days) the review takes, >= 0.
    predecessors
        Keys of tasks (any project) that must finish before this one starts.
    release
        Earliest start period (e.g. the day the documents arrive), >= 0.
    reviewers
        Reviewers needed at once (default 1).
    """

    key: str
    project: str
    department: str
    duration: int
    predecessors: tuple[str, ...] = ()
    release: int = 0
    reviewers: int = 1


def build_multi_project(
    tasks: Iterable[ReviewTask],
    departments: Mapping[str, int],
    *,
    absences: Mapping[str, Mapping[int, int]] | None = None,
    project_weights: Mapping[str, float] | None = None,
    name: str = "multi-project",
) -> Instance:
    """Build one instance from the review tasks of many projects.

    Parameters
    ----------
    tasks
        The tasks of all open projects (keys unique).
    departments
        ``{department: number of reviewers}`` (nominal capacity).
    absences
        ``{department: {period: reviewers absent}}``; the capacity in that
        period becomes ``max(0, reviewers - absent)``.
    project_weights
        Optional weight per project key (default 1.0) for the
        ``"weighted_completion"`` objective.
    name
        Instance name.

    Returns
    -------
    Instance
        Jobs in the order of ``tasks``; resources in the order of
        ``departments``; ``projects`` numbered in order of first appearance;
        ``release_times`` and ``capacity_profile`` set when needed.

    Raises
    ------
    InstanceError
        On duplicate task keys, unknown departments or predecessors, a cycle,
        negative values, or more reviewers asked than a department has.
    """
    tasks = list(tasks)
    dept_names = list(departments)
    dept_index = {d: i for i, d in enumerate(dept_names)}
    succ, demands = _task_graph(tasks, dept_index)
    proj_index: dict[str, int] = {}
    for t in tasks:
        proj_index.setdefault(t.project, len(proj_index))
    caps = [departments[d] for d in dept_names]
    profile = _absence_profile(absences, dept_index, caps) if absences else None
    release = tuple(t.release for t in tasks)
    weights = None
    if project_weights is not None:
        unknown = set(project_weights) - set(proj_index)
        if unknown:
            raise InstanceError(f"project_weights: unknown projects {sorted(unknown)}")
        weights = tuple(float(project_weights.get(p, 1.0)) for p in proj_index)
    return Instance(
        durations=tuple(t.duration for t in tasks),
        successors=tuple(tuple(s) for s in succ),
        demands=tuple(tuple(r) for r in demands),
        capacities=tuple(caps),
        release_times=release if any(release) else None,
        capacity_profile=profile,
        projects=tuple(proj_index[t.project] for t in tasks),
        project_weights=weights,
        job_labels=tuple(t.key for t in tasks),
        resource_names=tuple(dept_names),
        project_names=tuple(proj_index),
        name=name,
    )


def _task_graph(
    tasks: list[ReviewTask], dept_index: Mapping[str, int]
) -> tuple[list[list[int]], list[list[int]]]:
    """The successors (by job index) and the demand rows of the tasks."""
    key_index: dict[str, int] = {}
    for i, t in enumerate(tasks):
        if t.key in key_index:
            raise InstanceError(f"duplicate task key {t.key!r}")
        key_index[t.key] = i
    succ: list[list[int]] = [[] for _ in tasks]
    demands = []
    for i, t in enumerate(tasks):
        if t.department not in dept_index:
            raise InstanceError(f"task {t.key!r}: unknown department {t.department!r}")
        for p in t.predecessors:
            if p not in key_index:
                raise InstanceError(f"task {t.key!r}: unknown predecessor {p!r}")
            if i not in succ[key_index[p]]:
                succ[key_index[p]].append(i)
        row = [0] * len(dept_index)
        row[dept_index[t.department]] = t.reviewers
        demands.append(row)
    return succ, demands


def _absence_profile(
    absences: Mapping[str, Mapping[int, int]], dept_index: Mapping[str, int], caps: list[int]
) -> tuple[tuple[int, ...], ...]:
    """The capacity per department and period, reviewers absent taken off."""
    length = 0
    for d, days in absences.items():
        if d not in dept_index:
            raise InstanceError(f"absences: unknown department {d!r}")
        for day, k in days.items():
            if day < 0 or k < 0:
                raise InstanceError(f"absences of {d!r}: negative period or count ({day}: {k})")
            length = max(length, day + 1)
    rows = [[c] * length for c in caps]
    for d, days in absences.items():
        r = dept_index[d]
        for day, k in days.items():
            rows[r][day] = max(0, caps[r] - k)
    return tuple(tuple(row) for row in rows)
