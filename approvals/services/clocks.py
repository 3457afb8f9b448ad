"""Department worklists and the daily clock scan (督办): who should take which task first, and an
escalation for every task past its due day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, selectinload

from access.actor import SYSTEM, Actor
from access.policy import Action, Scope
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.errors import AccessDenied
from approvals.orm import (
    CorrectionRow,
    DeferralRow,
    EscalationRow,
    ProjectRow,
    StepRow,
    TaskRow,
)
from approvals.service import work_calendar
from approvals.services.common import iso, scope_of, task_clock
from approvals.services.progress import advance, replan, task_summary
from approvals.services.queries import Plain
from i18n import Malformed
from storage import versions
from storage.audit import record
from storage.idlists import ids_value, in_ids
from storage.paging import PageOf, Paging, fetch_page, search_clause


def _worklist_department(actor: Actor, department: str | None) -> str | None:
    """The department whose queue the actor may read (:attr:`Action.TASK_QUEUE_READ`): a
    department-scoped reader only its own, the others any (``None``: every department)."""
    scope = scope_of(actor, Action.TASK_QUEUE_READ)
    if scope is None:
        raise AccessDenied(
            "只有审批、监管人员和管理员可以查看部门任务",
            "only reviewers, regulators and administrators see worklists",
        )
    if scope is Scope.OWN:
        if department not in {None, actor.department}:
            raise AccessDenied(
                "审批人员只能查看本部门的任务", "reviewers see their own department's tasks only"
            )
        return actor.department
    return department


def _worklist_sort_key(r: dict[str, Any]) -> tuple[Any, ...]:
    return (
        0 if r["clock"] == "overdue" else 1,
        -r["overdue_workdays"],
        r["slack"] if r["slack"] is not None else 10**6,
        0 if r["critical"] else 1,
        r["due_on"] or "9999-12-31",
        r["id"],
    )


def _intake_supplied(session: Session, task_ids: list[int]) -> dict[int, date]:
    """When the materials asked for at intake were supplied, per task (one query)."""
    if not task_ids:
        return {}
    rows = session.execute(
        select(CorrectionRow.task_id, func.max(CorrectionRow.resolved_on))
        .where(CorrectionRow.task_id.in_(task_ids), CorrectionRow.stage == "intake")
        .group_by(CorrectionRow.task_id)
    )
    return {task_id: on for task_id, on in rows if on is not None}


def intake_due(session: Session, task: TaskRow, calendar: WorkCalendar) -> date | None:
    """The task's 受理时限: :data:`~approvals.workflow.INTAKE_DAYS` working days from it becoming
    ready or from the last supply of materials asked for at intake (``None`` once decided)."""
    if task.status != "ready":
        return None
    supplied = _intake_supplied(session, [task.id]).get(task.id)
    return wf.intake_due(task_clock(task), calendar, supplied)


def _intake_out(due: date | None, today: date) -> dict[str, Any]:
    return {"intake_due_on": iso(due), "intake_overdue": bool(due and today > due)}


def intake_info(
    session: Session, task: TaskRow, today: date, calendar: WorkCalendar
) -> dict[str, Any]:
    """The 受理时限 of a task at intake, and whether it has passed."""
    return _intake_out(intake_due(session, task, calendar), today)


def intake_info_of(
    task: TaskRow, corrections: list[CorrectionRow], today: date, calendar: WorkCalendar
) -> dict[str, Any]:
    """:func:`intake_info` from the task's corrections already read (no query of its own)."""
    if task.status != "ready":
        return _intake_out(None, today)
    supplied = max(
        (c.resolved_on for c in corrections if c.stage == "intake" and c.resolved_on),
        default=None,
    )
    return _intake_out(wf.intake_due(task_clock(task), calendar, supplied), today)


_tasks_t, _steps_t, _projects_t = TaskRow.__table__, StepRow.__table__, ProjectRow.__table__
_corrections_t, _deferrals_t = CorrectionRow.__table__, DeferralRow.__table__


def _worklist_query(department: str | None, statuses: frozenset[str]) -> Any:
    # plain rows (read only, no ORM objects): the task's columns, the four of its step the list
    # shows and the project's three — not its row: its plan and attributes are large documents.
    # Core tables, not ORM attributes: the statement then skips the ORM's execution layer (the
    # caller flushes what the ORM's autoflush would have)
    q = (
        select(
            _tasks_t,
            _steps_t.c.code.label("step_code_"),
            _steps_t.c.name.label("step_name_"),
            _steps_t.c.critical.label("step_critical_"),
            _steps_t.c.slack.label("step_slack_"),
            _projects_t.c.code.label("project_code_"),
            _projects_t.c.name.label("project_name_"),
            # when the materials asked for at intake were last supplied (in the same statement)
            select(func.max(_corrections_t.c.resolved_on))
            .where(_corrections_t.c.task_id == _tasks_t.c.id, _corrections_t.c.stage == "intake")
            .scalar_subquery()
            .label("intake_supplied_"),
        )
        .join(_steps_t, _tasks_t.c.step_id == _steps_t.c.id)
        .join(_projects_t, _tasks_t.c.project_id == _projects_t.c.id)
        # the statuses as plain parameters, not an expanding IN rendered again on every run
        .where(_tasks_t.c.status.in_([literal(s) for s in sorted(statuses)]))
    )
    if department:
        q = q.where(_tasks_t.c.department == department)
    return q


#: A page's deferrals, per dialect (built once: building a statement costs about what running it
#: does; the ids in one parameter, :mod:`storage.idlists`).
_PAGE_DEFERRALS = {
    dialect: select(_deferrals_t).where(clause).order_by(_deferrals_t.c.id)
    for dialect, clause in in_ids(_deferrals_t.c.task_id).items()
}


def _worklist_rows(
    session: Session, found: list[Any], today: date, calendar: WorkCalendar
) -> list[dict[str, Any]]:
    tasks = Plain.rows(found)
    for task in tasks:
        task.deferrals = []
    by_id = {t.id: t for t in tasks}
    if by_id:  # the page's deferrals, in one statement
        conn = session.connection()
        ids = ids_value(conn.dialect.name, by_id)
        for d in Plain.rows(conn.execute(_PAGE_DEFERRALS[conn.dialect.name], {"ids": ids})):
            by_id[d.task_id].deferrals.append(d)
    supplied = {t.id: t.intake_supplied_ for t in tasks if t.intake_supplied_ is not None}
    rows = []
    for task in tasks:
        step = _StepOfRow(task.step_code_, task.step_name_, task.step_critical_, task.step_slack_)
        summary = task_summary(task, step, today, calendar)  # type: ignore[arg-type]
        left = summary["workdays_left"]
        rows.append(
            {
                **summary,
                "project_id": task.project_id,
                "project_code": task.project_code_,
                "project_name": task.project_name_,
                "step_code": step.code,
                "step_name": step.name,
                "critical": step.critical,
                "slack": step.slack,
                "overdue_workdays": -left if left is not None and left < 0 else 0,
                **_intake_out(
                    wf.intake_due(task_clock(task), calendar, supplied.get(task.id))  # type: ignore[arg-type]
                    if task.status == "ready"
                    else None,
                    today,
                ),
            }
        )
    return rows


@dataclass(frozen=True)
class _StepOfRow:
    """What a worklist row shows of the task's step."""

    code: str
    name: str
    critical: bool
    slack: int | None


def worklist(
    session: Session,
    actor: Actor,
    today: date,
    calendar: WorkCalendar,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """A department's open tasks across all projects: overdue first (most overdue first), then
    least slack on the project's critical path, then the earliest due date."""
    department = _worklist_department(actor, department)
    if session.autoflush:  # what the ORM statement's autoflush did: a Core one does not
        session.flush()
    found = session.execute(_worklist_query(department, wf.OPEN_STATUSES)).all()
    rows = _worklist_rows(session, list(found), today, calendar)
    rows.sort(key=_worklist_sort_key)
    return rows


#: The sort keys of the paged worklists (待办, 已办).  ``urgency`` is the worklist's own order in
#: SQL: past their due day first (the earliest due first), then least slack, then due date.
WORKLIST_SORTS = ("urgency", "due_on", "project", "step", "status", "decided_on", "ready_on")


def _worklist_sort_columns(today: date) -> dict[str, Any]:
    tasks, steps = _tasks_t.c, _steps_t.c
    overdue = case((tasks.due_on < today, 0), else_=1)
    return {
        "urgency": (
            overdue,
            case((tasks.due_on < today, tasks.due_on)),
            steps.slack,
            tasks.due_on,
        ),
        "due_on": tasks.due_on,
        "project": _projects_t.c.code,
        "step": steps.code,
        "status": tasks.status,
        "decided_on": tasks.decided_on,
        "ready_on": tasks.ready_on,
    }


def worklist_page(
    session: Session,
    actor: Actor,
    today: date,
    calendar: WorkCalendar | None,
    paging: Paging,
    *,
    department: str | None = None,
    decided: bool = False,
    status: str | None = None,
) -> PageOf:
    """One page of a department's 待办 (open tasks) or, with ``decided``, its 已办 (tasks it has
    decided: 准予, 不予许可, 不予受理), searched by project code or name and step, filtered by
    status; filtering, sorting and the page are the database's (two statements: the page with
    its count and its tasks' last intake supplies, then the page's deferrals).  ``calendar`` None: the
    working calendar is read here, its cache version with the page (one statement fewer)."""
    department = _worklist_department(actor, department)
    statuses = wf.CLOSED_STATUSES if decided else wf.OPEN_STATUSES
    if status:
        if status not in statuses:
            known = sorted(statuses)
            raise WorklistFilterInvalid(
                "status：须为 " + "、".join(wf.STATUS_NAMES[s][0] for s in known) + " 之一",
                "status: one of " + ", ".join(known),
            )
        statuses = frozenset({status})
    with_version = calendar is None  # read after the page, whose statement brings its version

    def query() -> Any:
        q = _worklist_query(department, statuses)
        if with_version:
            q = q.add_columns(versions.column().label("cache_version_"))
        match = search_clause(
            paging.q, _projects_t.c.code, _projects_t.c.name, _steps_t.c.code, _steps_t.c.name
        )
        return q if match is None else q.where(match)

    if session.autoflush:  # what the ORM statement's autoflush did: a Core one does not
        session.flush()
    page = fetch_page(
        session.connection(),  # Core rows: without the ORM's execution layer (flushed above)
        query,
        paging,
        lambda: _worklist_sort_columns(today),
        tiebreak=_tasks_t.c.id,
        scalars=False,
        memo=("worklist", department, statuses, paging.q, today, with_version),
    )
    if not page.items:  # nothing to date: no calendar to look up (a statement fewer)
        return PageOf(items=[], total=page.total, paging=page.paging)
    if calendar is None:
        versions.remember(session, page.items[0].cache_version_)
        calendar = work_calendar(session)
    rows = _worklist_rows(session, page.items, today, calendar)
    return PageOf(items=rows, total=page.total, paging=page.paging)


class WorklistFilterInvalid(Malformed):
    """A worklist filter names no status of that list (a malformed query, HTTP 400, like the
    list's other parameters)."""


def scan_clocks(session: Session, today: date, calendar: WorkCalendar) -> list[EscalationRow]:
    """Record an escalation (督办) for every task newly overdue; make ready any step whose early
    start (提前介入) has come.  Idempotent: one escalation per task and level."""
    raised = []
    open_tasks = session.execute(
        select(TaskRow, StepRow)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .where(TaskRow.status == "in_review")
        .options(selectinload(TaskRow.deferrals))
    ).all()
    known = {(e.task_id, e.level) for e in session.scalars(select(EscalationRow))}
    for task, step in open_tasks:
        state = wf.clock_state(task_clock(task), today, calendar, step.slack)
        # 督办 is for tasks past their due day; "warning" shows on the clock, it is not escalated
        for level in ["overdue"] if state == "overdue" else []:
            if (task.id, level) in known:
                continue
            row = EscalationRow(task_id=task.id, level=level, raised_on=today, due_on=task.due_on)
            session.add(row)
            known.add((task.id, level))
            raised.append(row)
            record(
                session,
                actor=SYSTEM.username,
                role=SYSTEM.role,
                action=f"task.escalate.{level}",
                entity="task",
                entity_id=task.id,
                project_id=task.project_id,
                after={"due_on": iso(task.due_on), "level": level},
            )
    for project in session.scalars(select(ProjectRow).where(ProjectRow.status == "in_review")):
        if advance(session, project, today, calendar):
            replan(
                session,
                project,
                today,
                calendar,
                "提前介入：前置事项即将办结，后续事项转为待受理",
                "early start: the prerequisite is about to finish",
            )
    session.flush()
    return raised
