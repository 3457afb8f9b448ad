"""What the approval workflow tells people in the app (:mod:`access.notifications`), composed where
the events happen: a 补正 or 一次性告知补正 → the enterprise and its agent; a decision (准予,
不予许可, 不予受理) → the enterprise and its agent; a task ready for intake → its department's
reviewers; materials supplied after a 补正 → the department; a deadline near → the department
and the agent (the daily job calls :func:`deadlines_near`); an intermediary past its committed
days (督办) → the enterprise, the administrators and the intermediary itself
(:func:`intermediary_overdue`, from the daily scan).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Role
from access.notifications import notify_department_tasks, notify_parties
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow, StepRow, TaskRow
from approvals.services.common import task_clock
from i18n import Text

_DECISIONS = {
    "task.approve": ("准予许可，证照已核发", "approved; the certificate is issued"),
    "task.reject": ("不予许可", "rejected"),
    "task.refuse": ("不予受理", "refused at intake"),
}


def task_event(
    session: Session, project: ProjectRow, task: TaskRow, action: str, extra: dict[str, Any]
) -> int:
    """Tell the enterprise and the agent what a department's decision asks of them or decided."""
    step = task.step
    where = f"项目 {project.code}「{project.name}」的 {step.code} {step.name}"
    where_en = f"{step.code} of project {project.code}"
    link = f"/projects/{project.id}"
    if action in {"task.corrections", "task.intake_corrections"}:
        intake = action == "task.intake_corrections"
        kind = "intake_corrections" if intake else "corrections"
        reasons = str(extra.get("reasons") or "").strip()
        zh = f"{where}需要补正材料（{'受理前一次性告知' if intake else '审查中补正'}）" + (
            f"：{reasons}" if reasons else ""
        )
        en = (
            f"{where_en} needs corrected materials ({'at intake' if intake else 'in review'}):"
            f" {', '.join(extra.get('materials') or []) or '—'}"
        )
    elif action in _DECISIONS:
        kind = "decision"
        zh, en = f"{where}：{_DECISIONS[action][0]}", f"{where_en}: {_DECISIONS[action][1]}"
    else:
        return 0
    return notify_parties(
        session,
        kind,
        Text(zh, en),
        link=link,
        project_id=project.id,
        key=f"{action}:{task.id}:{task.version}",
        enterprise_id=project.enterprise_id,
        user_ids=[project.agent_user_id],
    )


def tasks_ready(session: Session, project: ProjectRow, steps: Sequence[StepRow]) -> int:
    """Tell each department whose task became ready that it can take it in (受理)."""
    items = [
        (
            t.department,
            Text(
                f"新的待受理任务：项目 {project.code}「{project.name}」的 {s.code} {s.name}",
                f"New task to take in: {s.code} of project {project.code}",
            ),
            f"/tasks/{t.id}",
            f"ready:{t.id}",
        )
        for s in steps
        for t in s.tasks
        if t.status == "ready"
    ]
    return notify_department_tasks(session, "task_ready", items, project_id=project.id)


def materials_supplied(session: Session, project: ProjectRow, task: TaskRow) -> int:
    """Tell the department that the enterprise answered its 补正 (the clock runs again)."""
    step = task.step
    return notify_department_tasks(
        session,
        "supplied",
        [
            (
                task.department,
                Text(
                    f"项目 {project.code} 的 {step.code} {step.name} 已补正材料，恢复计时",
                    f"Corrections supplied on {step.code} of project {project.code}; clock resumed",
                ),
                f"/tasks/{task.id}",
                f"supplied:{task.id}:{task.version}",
            )
        ],
        project_id=project.id,
    )


def deadlines_near(session: Session, today: date, calendar: WorkCalendar) -> int:
    """Tell the department and the project's agent of every task in review whose time limit
    ends within :data:`~approvals.workflow.WARNING_DAYS` working days (once per task and due
    day: run twice, it tells nobody twice).  For the daily job; the caller commits."""
    found = session.execute(
        select(TaskRow, StepRow, ProjectRow.id, ProjectRow.code, ProjectRow.agent_user_id)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .join(ProjectRow, TaskRow.project_id == ProjectRow.id)
        .where(TaskRow.status == "in_review")
    ).all()
    items: list[tuple[str, Text, str, str]] = []
    projects: list[int | None] = []
    agents: list[int | None] = []
    for task, step, project_id, code, agent_id in found:
        left = wf.workdays_left(task_clock(task), today, calendar)
        if left is None or not 0 <= left <= wf.WARNING_DAYS:
            continue
        text = Text(
            f"时限临近：项目 {code} 的 {step.code} {step.name} 还剩 {left} 个工作日"
            f"（{task.due_on.isoformat() if task.due_on else '—'} 到期）",
            f"Deadline near: {step.code} of project {code} has {left} working day(s) left",
        )
        items.append(
            (task.department, text, f"/tasks/{task.id}", f"deadline:{task.id}:{task.due_on}")
        )
        projects.append(project_id)
        agents.append(agent_id)
    return notify_department_tasks(session, "deadline", items, project_ids=projects, agents=agents)


def intermediary_overdue(
    session: Session,
    project_id: int,
    project_code: str,
    enterprise_id: int,
    activity: Any,
    organisation: str,
    level: str,
    overdue_workdays: int,
) -> int:
    """督办: tell the enterprise, the administrators and the intermediary's accounts that the
    intermediary is past its committed days on the activity (once per activity and level)."""
    from approvals.activities import SUPERVISION_LEVELS

    zh_level, en_level = SUPERVISION_LEVELS[level]
    text = Text(
        f"{zh_level}：项目 {project_code} 的 {activity.code} {activity.name} 由 {organisation}"
        f" 承办，已超过承诺时限 {overdue_workdays} 个工作日（{activity.committed_days} 个工作日，"
        "尚未交付）",
        f"Supervision ({en_level}): {activity.code} of project {project_code} by {organisation}"
        f" is {overdue_workdays} working day(s) past its committed"
        f" {activity.committed_days} and not delivered",
    )
    return notify_parties(
        session,
        "supervision",
        text,
        link=f"/projects/{project_id}",
        project_id=project_id,
        key=f"supervision:{activity.id}:{level}",
        enterprise_id=enterprise_id,
        roles=[Role.ADMIN],
        intermediary_id=activity.intermediary_id,
    )
