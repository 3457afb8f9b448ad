"""Department capacity (审查人员、请假), the department's queue and capacity-aware forecasts."""

from __future__ import annotations

from api.schemas.common import Number, Out


class Absence(Out):
    on: str
    absent: int
    reason: str


class CapacityOut(Out):
    department: str
    name: str
    reviewers: int
    absences: list[Absence]


class CapacitySet(Out):
    department: str
    reviewers: int


class AbsenceSet(Out):
    department: str
    on: str
    absent: int


class CapacityRun(Out):
    """A run of the capacity-aware scheduler (``stale``: its forecast is out of date)."""

    id: int
    at: str
    on: str
    method: str
    tasks: int
    projects: int
    objective: Number
    lower_bound: Number | None
    seconds: Number
    stale: bool


class QueuedTask(Out):
    rank: int
    task_id: int
    status: str
    project_id: int
    project_code: str
    project_name: str
    step_code: str
    step_name: str
    start_on: str
    finish_on: str


class QueueOut(Out):
    department: str
    run: CapacityRun | None
    pending: bool
    items: list[QueuedTask]


class RunRef(Out):
    at: str
    on: str
    method: str


class ForecastTask(Out):
    task_id: int
    step_code: str
    department: str
    start_on: str
    finish_on: str
    queue_rank: int


class CapacityForecast(Out):
    finish_on: str
    run: RunRef | None
    tasks: list[ForecastTask]


class ProjectForecastOut(Out):
    project_id: int
    baseline_finish: str
    predicted_finish_without_capacity: str | None
    capacity: CapacityForecast | None
