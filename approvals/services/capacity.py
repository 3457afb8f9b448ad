"""Capacity-aware forecasts over the database (issue 7): collect every open task of every open
project, compute with :mod:`approvals.capacity`, store the forecasts and the departments' queues.

- :func:`recompute` with ``full=True`` runs the optimisation (nightly, or on demand); without it,
  the incremental update keeps the last plan's order (after every workflow event).
- Each task's predicted start and finish, its rank in its department's queue, and each
  project's predicted finish are stored; a run row records what was done and how long it took.

Days: day 0 is the first working day on or after ``today``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.orm import Session

from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.capacity import CapacityPlan, OpenTask, plan_with_capacity, update_with_capacity
from approvals.errors import CalendarRangeError, ProjectError
from approvals.orm import (
    CapacityRunRow,
    DepartmentAbsenceRow,
    DepartmentCapacityRow,
    DepartmentRow,
    ProjectForecastRow,
    ProjectRow,
    StepRow,
    TaskForecastRow,
    TaskRow,
)

log = logging.getLogger("onetrip.capacity")

DEFAULT_REVIEWERS = 2
ABSENCE_HORIZON_DAYS = 400  # calendar days of absences considered
#: Above this many open tasks an event does not recompute at once: the forecast is marked stale
#: and the next scheduled run (``onetrip capacity recompute``, the daily scan) brings it up to date.
INCREMENTAL_MAX_TASKS = 3000


#: ``method`` of a marker row: an event happened, the forecast is to be recomputed.
PENDING = "pending"


#: The :attr:`Session.info <sqlalchemy.orm.Session.info>` key under which the composition root
#: (the server's session factories) says that events defer the recompute.
DEFERRAL_KEY = "capacity.deferral"


@dataclass(frozen=True)
class DeferredRecompute:
    """Where events recompute the forecast: set on a session, events defer it.

    Inline (sessions without it: the CLI, the demo, the service tests) the event's own unit of
    work recomputes it.  In the server, every decision would then rewrite the whole forecast
    table in its request transaction, and concurrent decisions would queue behind each other
    (or deadlock) on it; so the server defers: its session factories carry this setting
    (``sessionmaker.configure(info={DEFERRAL_KEY: DeferredRecompute(listener)})``), an event
    only adds a ``pending`` marker, and a background refresher (:func:`refresh_pending`)
    recomputes once for all the events it finds.

    ``listener`` is called once after the transaction that added a marker commits: it wakes
    the in-process runner or defers a job on the queue.  Called after the commit, so the job
    always finds the marker.
    """

    listener: Callable[[], None] | None = None

    def notify(self, session: Session) -> None:
        listener = self.listener
        if listener is None or session.info.get("capacity_notify"):
            return
        session.info["capacity_notify"] = True

        def after_commit(s: Session) -> None:
            s.info.pop("capacity_notify", None)
            listener()

        # a rolled-back transaction leaves it attached: it then fires at the session's next
        # commit, a spurious wake-up that finds nothing pending
        event.listen(session, "after_commit", after_commit, once=True)


def after_event(
    session: Session, today: date, calendar: WorkCalendar, reason: str
) -> CapacityRunRow | None:
    """Keep the capacity forecast in step after a workflow event (in the event's unit of work),
    or — when the session's factory defers (:class:`DeferredRecompute`) — mark it pending."""
    deferral = session.info.get(DEFERRAL_KEY)
    if deferral is not None:
        session.add(
            CapacityRunRow(
                on=today,
                method=PENDING,
                tasks=0,
                projects=0,
                objective=0.0,
                seconds=0.0,
                reason=reason[:500],
            )
        )
        session.flush()
        deferral.notify(session)
        return None
    return _recompute_or_mark_stale(session, today, calendar, reason)


def refresh_pending(session: Session, today: date, calendar: WorkCalendar) -> CapacityRunRow | None:
    """Recompute once for every pending event seen (the caller holds the write lock, commits).

    Markers added meanwhile by other transactions are not seen, so not removed: they bring
    the next refresh.
    """
    pending = session.execute(
        select(CapacityRunRow.id, CapacityRunRow.reason)
        .where(CapacityRunRow.method == PENDING)
        .order_by(CapacityRunRow.id)
    ).all()
    if not pending:
        return None
    reasons = "; ".join(r for _, r in pending[-3:])
    more = f"{len(pending)} events, the last: " if len(pending) > 1 else ""
    run = _recompute_or_mark_stale(session, today, calendar, more + reasons)
    if run is None:  # marked stale for the daily run; a recompute consumes its markers itself
        ids = [i for i, _ in pending]
        session.execute(delete(CapacityRunRow).where(CapacityRunRow.id.in_(ids)))
        session.flush()
    return run


def last_run(session: Session) -> CapacityRunRow | None:
    """The latest computation (pending markers are not runs)."""
    return session.scalar(
        select(CapacityRunRow)
        .where(CapacityRunRow.method != PENDING)
        .order_by(CapacityRunRow.id.desc())
        .limit(1)
    )


def is_pending(session: Session) -> bool:
    return (
        session.scalar(select(CapacityRunRow.id).where(CapacityRunRow.method == PENDING).limit(1))
        is not None
    )


def _recompute_or_mark_stale(
    session: Session, today: date, calendar: WorkCalendar, reason: str
) -> CapacityRunRow | None:
    open_count = (
        session.scalar(
            select(func.count())
            .select_from(TaskRow)
            .join(ProjectRow, TaskRow.project_id == ProjectRow.id)
            .where(ProjectRow.status == "in_review", TaskRow.status.notin_(wf.CLOSED_STATUSES))
        )
        or 0
    )
    if open_count > INCREMENTAL_MAX_TASKS:
        session.add(
            CapacityRunRow(
                on=today,
                method="stale",
                tasks=open_count,
                projects=0,
                objective=0.0,
                seconds=0.0,
                reason=reason,
            )
        )
        session.flush()
        return None
    return recompute(session, today, calendar, reason=reason)


def reviewers_by_department(session: Session) -> dict[str, int]:
    configured = dict(
        session.execute(
            select(DepartmentCapacityRow.department, DepartmentCapacityRow.reviewers)
        ).all()
    )
    return {
        code: configured.get(code, DEFAULT_REVIEWERS)
        for code in session.scalars(select(DepartmentRow.code))
    }


def set_reviewers(session: Session, department: str, reviewers: int) -> DepartmentCapacityRow:
    if session.get(DepartmentRow, department) is None:
        raise ProjectError(f"未知部门 '{department}'", f"unknown department '{department}'")
    if not 1 <= reviewers <= 500:
        raise ProjectError("审查人员数应为 1–500", "reviewers must be 1 to 500")
    row = session.get(DepartmentCapacityRow, department)
    if row is None:
        row = DepartmentCapacityRow(department=department, reviewers=reviewers)
        session.add(row)
    else:
        row.reviewers = reviewers
    session.flush()
    return row


def set_absence(
    session: Session, department: str, on: date, absent: int, reason: str = ""
) -> DepartmentAbsenceRow | None:
    """Reviewers absent on a day (0 removes the entry)."""
    if session.get(DepartmentRow, department) is None:
        raise ProjectError(f"未知部门 '{department}'", f"unknown department '{department}'")
    if absent < 0:
        raise ProjectError("请假人数不能为负", "absent reviewers cannot be negative")
    row = session.scalar(
        select(DepartmentAbsenceRow).where(
            DepartmentAbsenceRow.department == department, DepartmentAbsenceRow.on == on
        )
    )
    if absent == 0:
        if row is not None:
            session.delete(row)
        session.flush()
        return None
    if row is None:
        row = DepartmentAbsenceRow(department=department, on=on, absent=absent, reason=reason)
        session.add(row)
    else:
        row.absent, row.reason = absent, reason
    session.flush()
    return row


def _absences(session: Session, today: date, calendar: WorkCalendar) -> dict[str, dict[int, int]]:
    seq = calendar.sequence(today)
    out: dict[str, dict[int, int]] = {}
    rows = session.execute(
        select(
            DepartmentAbsenceRow.department, DepartmentAbsenceRow.on, DepartmentAbsenceRow.absent
        ).where(
            DepartmentAbsenceRow.on >= today,
            DepartmentAbsenceRow.on <= today + timedelta(days=ABSENCE_HORIZON_DAYS),
        )
    )
    for dept, on, absent in rows:
        if calendar.is_workday(on):
            out.setdefault(dept, {})[seq.index_of(on)] = absent
    return out


def open_tasks(
    session: Session, today: date, calendar: WorkCalendar
) -> tuple[list[OpenTask], dict[str, int]]:
    """Every not-yet-decided task of every project under review, as the planner needs it, and
    the task id behind each key."""
    seq = calendar.sequence(today)
    day0 = seq.date_of(0)
    # plain columns, not entities: a city's day has hundreds of thousands of open tasks, and
    # building an ORM object for each took most of the recompute
    rows = session.execute(
        select(
            TaskRow.id,
            TaskRow.project_id,
            TaskRow.status,
            TaskRow.department,
            TaskRow.days,
            TaskRow.due_on,
            TaskRow.stopped_since,
            StepRow.code,
            StepRow.requires,
        )
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .join(ProjectRow, TaskRow.project_id == ProjectRow.id)
        .where(ProjectRow.status == "in_review", TaskRow.status != "approved")
    ).all()
    # approved tasks hold nothing up: only the others can be a task's unfinished prerequisite
    by_step: dict[tuple[int, str], list[int]] = {}
    for r in rows:
        by_step.setdefault((r.project_id, r.code), []).append(r.id)
    stopped = set(wf.CLOCK_STOPPED)
    tasks: list[OpenTask] = []
    ids: dict[str, int] = {}
    for r in rows:
        if r.status in wf.CLOSED_STATUSES:
            continue
        key = f"t{r.id}"
        ids[key] = r.id
        if r.status == "in_review" or r.status in stopped:
            if r.status == "in_review" and r.due_on:
                # until the due day inclusive; an overdue task is expected to end today
                remaining = seq.index_of(r.due_on) + 1 if r.due_on >= day0 else 1
            elif r.due_on and r.stopped_since:  # clock stopped: the days left when it stopped
                remaining = max(calendar.workdays_between(r.stopped_since, r.due_on) + 1, 1)
            else:
                remaining = max(r.days, 1)
            tasks.append(OpenTask(key, f"p{r.project_id}", r.department, remaining, started=True))
            continue
        preds = [
            f"t{pred}" for code in r.requires for pred in by_step.get((r.project_id, code), [])
        ]
        tasks.append(OpenTask(key, f"p{r.project_id}", r.department, r.days, tuple(preds)))
    return tasks, ids


def recompute(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    *,
    full: bool = False,
    time_limit: float = 3.0,
    reason: str = "",
) -> CapacityRunRow:
    """Compute and store the capacity-aware forecast (the caller commits).  The pending events
    seen before reading the tasks are in it, so their markers go."""
    t0 = time.perf_counter()
    seen = list(session.scalars(select(CapacityRunRow.id).where(CapacityRunRow.method == PENDING)))
    tasks, ids = open_tasks(session, today, calendar)
    reviewers = reviewers_by_department(session)
    absences = _absences(session, today, calendar)
    if full:
        plan = plan_with_capacity(tasks, reviewers, absences, time_limit=time_limit)
    else:
        previous = {
            f"t{tid}": day
            for tid, day in session.execute(
                select(TaskForecastRow.task_id, TaskForecastRow.start_day)
            )
        }
        plan = update_with_capacity(tasks, reviewers, absences, previous)
    run = _store(session, plan, ids, tasks, today, calendar, time.perf_counter() - t0, reason)
    if seen:
        session.execute(delete(CapacityRunRow).where(CapacityRunRow.id.in_(seen)))
    return run


def _store(
    session: Session,
    plan: CapacityPlan,
    ids: dict[str, int],
    tasks: list[OpenTask],
    today: date,
    calendar: WorkCalendar,
    seconds: float,
    reason: str,
) -> CapacityRunRow:
    seq = calendar.sequence(today)
    last = max(plan.finish.values(), default=1)
    try:
        seq.date_of(last)
    except CalendarRangeError:
        # a backlog past the calendar's last year: the forecast still stores, those dates show as
        # the last known working day (the overload is visible in the queue, not a failed job)
        log.warning("capacity forecast runs past the calendar (%d working days)", last)
    known = seq.dates
    dates = _Capped(known)
    run = CapacityRunRow(
        on=today,
        method=plan.method,
        tasks=len(tasks),
        projects=len(plan.project_finish),
        objective=plan.objective,
        lower_bound=plan.lower_bound,
        seconds=seconds,
        reason=reason,
    )
    session.add(run)
    session.flush()
    session.execute(delete(TaskForecastRow))
    session.execute(delete(ProjectForecastRow))
    rank: dict[str, int] = {}
    for order in plan.orders.values():
        for i, key in enumerate(order):
            rank[key] = i + 1
    if plan.start:
        session.execute(
            TaskForecastRow.__table__.insert(),
            [
                {
                    "task_id": ids[key],
                    "run_id": run.id,
                    "start_on": dates[start],
                    "finish_on": dates[max(plan.finish[key] - 1, start)],
                    "start_day": start,
                    "queue_rank": rank.get(key, 0),
                }
                for key, start in plan.start.items()
            ],
        )
    if plan.project_finish:
        session.execute(
            ProjectForecastRow.__table__.insert(),
            [
                {"project_id": int(p[1:]), "run_id": run.id, "finish_on": dates[max(day - 1, 0)]}
                for p, day in plan.project_finish.items()
            ],
        )
    session.flush()
    return run


def department_queue(session: Session, department: str) -> list[dict[str, Any]]:
    """The order in which a department should take its work (from the last run)."""
    rows = session.execute(
        select(TaskForecastRow, TaskRow, StepRow, ProjectRow)
        .join(TaskRow, TaskForecastRow.task_id == TaskRow.id)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .join(ProjectRow, TaskRow.project_id == ProjectRow.id)
        .where(TaskRow.department == department)
        .order_by(TaskForecastRow.queue_rank)
    ).all()
    return [
        {
            "rank": f.queue_rank,
            "task_id": t.id,
            "status": t.status,
            "project_id": p.id,
            "project_code": p.code,
            "project_name": p.name,
            "step_code": s.code,
            "step_name": s.name,
            "start_on": f.start_on.isoformat(),
            "finish_on": f.finish_on.isoformat(),
        }
        for f, t, s, p in rows
    ]


def project_forecast(session: Session, project_id: int) -> dict[str, Any] | None:
    row = session.get(ProjectForecastRow, project_id)
    if row is None:
        return None
    run = session.get(CapacityRunRow, row.run_id)
    tasks = session.execute(
        select(TaskForecastRow, TaskRow, StepRow)
        .join(TaskRow, TaskForecastRow.task_id == TaskRow.id)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .where(TaskRow.project_id == project_id)
        .order_by(TaskForecastRow.start_day)
    ).all()
    return {
        "finish_on": row.finish_on.isoformat(),
        "run": {"at": run.at.isoformat(), "on": run.on.isoformat(), "method": run.method}
        if run
        else None,
        "tasks": [
            {
                "task_id": t.id,
                "step_code": s.code,
                "department": t.department,
                "start_on": f.start_on.isoformat(),
                "finish_on": f.finish_on.isoformat(),
                "queue_rank": f.queue_rank,
            }
            for f, t, s in tasks
        ],
    }


class _Capped:
    """Working-day dates by index; an index past the calendar gives its last known day."""

    def __init__(self, dates: list[date]) -> None:
        self.dates = dates

    def __getitem__(self, i: int) -> date:
        return self.dates[min(i, len(self.dates) - 1)]
