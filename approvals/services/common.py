"""Small helpers the workflow use cases share: a task's clock to and from its row, snapshots for
the audit trail, version checks, the project lock and the policy's scope for an actor."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from access.actor import Actor
from access.policy import GRANTS, Action, Scope, can
from approvals import workflow as wf
from approvals.errors import AccessDenied, StaleVersion
from approvals.orm import DepartmentRow, ProjectRow, StepRow, TaskRow
from approvals.service import departments
from storage import versions


def scope_of(actor: Actor, action: Action) -> Scope | None:
    """The scope the policy grants ``actor`` for ``action`` (``None``: not granted)."""
    return GRANTS[action].get(actor.role)  # type: ignore[call-overload]


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def task_clock(task: TaskRow) -> wf.TaskClock:
    """The pure clock of a task row."""
    return wf.TaskClock(
        status=task.status,  # type: ignore[arg-type]
        days=task.days,
        ready_on=task.ready_on,
        accepted_on=task.accepted_on,
        due_on=task.due_on,
        decided_on=task.decided_on,
        stopped_since=task.stopped_since,
        stopped_days=task.stopped_days,
        deferrals=tuple(
            wf.Deferral(d.material_code, d.due_on, d.supplied_on) for d in task.deferrals
        ),
    )


def apply_clock(task: TaskRow, clock: wf.TaskClock) -> None:
    """Write a clock's state back to its task row."""
    task.status = clock.status
    task.ready_on, task.accepted_on, task.due_on, task.decided_on = (
        clock.ready_on,
        clock.accepted_on,
        clock.due_on,
        clock.decided_on,
    )
    task.stopped_since, task.stopped_days = clock.stopped_since, clock.stopped_days


def task_snapshot(task: TaskRow) -> dict[str, Any]:
    """What the audit trail records of a task before and after an action."""
    return {
        "status": task.status,
        "version": task.version,
        "accepted_on": iso(task.accepted_on),
        "due_on": iso(task.due_on),
        "stopped_since": iso(task.stopped_since),
        "stopped_days": task.stopped_days,
    }


def check_version(
    what: str, row_version: int, sent: int | None, what_en: str | None = None
) -> None:
    """Refuse an action taken on a page older than the row (:class:`StaleVersion`)."""
    if sent is not None and sent != row_version:
        raise StaleVersion(what, sent, row_version, what_en)


def lock_project(session: Session, project_id: int) -> ProjectRow:
    """Lock the project's row for this transaction; what was read before is read again.

    Readers load a task with its step and project in one go, before any lock: another decision
    may have committed since, so every object of the session is expired and the locked row is
    taken as the database has it now (else its version check fails with a stale version).

    Its steps, their tasks and the tasks' deferrals come with it (one more statement, after the
    lock: the steps with their tasks and deferrals joined to them): a decision rolls its step
    up, readies the next steps, re-plans and sums the project's working days over every step
    and task — one lazy load per step otherwise.
    """
    project = _lock(session, _LOCK_PROJECT, project_id)
    assert project is not None
    return project


def lock_project_of_task(session: Session, task_id: int) -> ProjectRow | None:
    """:func:`lock_project` for the project of task ``task_id`` (found in the same statement),
    ``None`` when there is no such task.  The task is then in the session
    (``session.get(TaskRow, task_id)`` reads nothing)."""
    return _lock(session, _LOCK_PROJECT_OF_TASK, task_id)


def _locking(where: Any) -> Any:
    return (
        select(ProjectRow)
        .where(where)
        .with_for_update()
        .options(
            # the steps in a second statement with their tasks and deferrals joined to them
            selectinload(ProjectRow.steps).joinedload(StepRow.tasks).joinedload(TaskRow.deferrals)
        )
        .execution_options(populate_existing=True)
    )


# built once with a bound id: the loader options and their cache key cost a decision more CPU to
# construct than the statement costs to run
_LOCK_PROJECT = _locking(ProjectRow.id == bindparam("id"))
_LOCK_PROJECT_OF_TASK = _locking(
    ProjectRow.id
    == select(TaskRow.project_id).where(TaskRow.id == bindparam("id")).scalar_subquery()
)


def _lock(session: Session, statement: Any, id_: int) -> ProjectRow | None:
    session.flush()
    session.expire_all()
    project = session.scalar(statement, {"id": id_})
    if project is None:
        return None
    # the loaded children point back at what holds them (no history: nothing to write), so the
    # decision's answer finds the project and its steps in the session instead of reading them
    # again once the caller keeps only the task
    for step in project.steps:
        set_committed_value(step, "project", project)
        for task in step.tasks:
            set_committed_value(task, "step", step)
    return project


#: Where a session keeps the departments it read (the identity map holds its rows weakly: a
#: name looked up and dropped would be read again by the next look-up in the same unit of work).
_DEPARTMENTS_KEY = "departments read"


def department_name(session: Session, code: str, lang: str = "zh") -> str:
    if versions.known(session):  # the cached departments cost no statement then
        for known in departments(session):
            if known.code == code:
                return known.name_en if lang == "en" else known.name
        return code
    d = session.get(DepartmentRow, code)
    if d is not None:
        session.info.setdefault(_DEPARTMENTS_KEY, {})[code] = d
    return (d.name_en if lang == "en" else d.name) if d else code


def require_decider(actor: Actor, task: TaskRow) -> None:
    """Only the task's own department decides on it (the policy's :attr:`Action.TASK_DECIDE`)."""
    if not can(actor, Action.TASK_DECIDE, task):
        raise AccessDenied(
            f"只有 {task.department} 的审批人员可以办理此任务",
            f"only reviewers of department {task.department} may act on this task",
        )


def require_supplier(actor: Actor, project: ProjectRow) -> None:
    """Only the project's own enterprise supplies, answers and rates (:attr:`Action.PROJECT_SUPPLY`)."""
    if not can(actor, Action.PROJECT_SUPPLY, project):
        raise AccessDenied(
            "只有项目单位本身可以执行此操作", "only the project's enterprise may do this"
        )
