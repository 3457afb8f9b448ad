"""A department's decisions on its task (并联审批): 受理 (with 容缺), 受理前一次性告知补正, 不予受理,
准予许可, 不予许可, 补正 (the clock stops) and special procedures.  Only the task's own department decides
(:attr:`~access.policy.Action.TASK_DECIDE`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.errors import ProjectError
from approvals.orm import CorrectionRow, DeferralRow, ProjectRow, TaskRow
from approvals.services import capacity, notices, statistics
from approvals.services.common import (
    apply_clock,
    check_version,
    department_name,
    lock_project_of_task,
    require_decider,
    task_clock,
    task_snapshot,
)
from approvals.services.progress import advance, replan, roll_up
from approvals.services.queries import (
    FROM_CERTIFICATES,
    NOT_SUPPLIED,
    keep_facts,
    material_facts,
    material_status,
    visible_task,
)
from storage.audit import record


def _begin_task_action(
    session: Session, actor: Actor, task_id: int, version: int | None
) -> tuple[TaskRow, ProjectRow, dict[str, Any]]:
    # the task's project locked first (found by the task in the same statement): the task comes
    # with its steps and tasks, in the latest committed state
    project = lock_project_of_task(session, task_id)
    task = visible_task(
        session, actor, task_id, session.get(TaskRow, task_id) if project is not None else None
    )
    assert project is not None
    require_decider(actor, task)
    check_version("该审批任务", task.version, version, f"task {task.id}")
    return task, project, task_snapshot(task)


def _finish_task_action(
    session: Session,
    actor: Actor,
    task: TaskRow,
    project: ProjectRow,
    before: dict[str, Any],
    action: str,
    on: date,
    calendar: WorkCalendar,
    reason: tuple[str, str],
    extra: dict[str, Any] | None = None,
) -> TaskRow:
    task.reviewer = actor.username
    statistics.record_decision(session, task, calendar)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action=action,
        entity="task",
        entity_id=task.id,
        project_id=project.id,
        before=before,
        after={**task_snapshot(task), **(extra or {})},
    )
    notices.task_event(session, project, task, action, extra or {})
    roll_up(session, project, task.step, on)
    advance(session, project, on, calendar)
    statistics.refresh_project(session, project, calendar, on)
    replan(session, project, on, calendar, *reason, subject=task.step.code)
    capacity.after_event(session, on, calendar, reason[1])
    return task


def accept_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    version: int | None = None,
) -> TaskRow:
    """受理: essential materials must be there; deferrable missing ones (容缺) get deadlines."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    # read before the task changes (here and below): the SELECT would flush the change in an
    # UPDATE of its own, and the decision then writes the task a second time
    dept = department_name(session, task.department)
    facts = material_facts(session, project)
    status = material_status(session, project, task.step, facts)
    missing_essential = [
        m["code"] for m in status if m["state"] in NOT_SUPPLIED and not m["deferrable"]
    ]
    missing_deferrable = {
        m["code"]: m["deferral_days"]
        for m in status
        if m["state"] in NOT_SUPPLIED and m["deferrable"]
    }
    clock = wf.accept(
        task_clock(task),
        on,
        calendar,
        missing_essential=missing_essential,
        missing_deferrable=missing_deferrable,
        names={m["code"]: m["name"] for m in status},
    )
    apply_clock(task, clock)
    statistics.record_acceptance(task, calendar)
    task.deferrals = [DeferralRow(material_code=d.code, due_on=d.due_on) for d in clock.deferrals]
    names = {m["code"]: m["name"] for m in status}  # the reason names materials, not codes
    deferred = "、".join(names.get(d.code, d.code) for d in clock.deferrals)
    deferred_en = ", ".join(d.code for d in clock.deferrals)
    done = _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.accept",
        on,
        calendar,
        (
            f"{dept}受理 {task.step.code}{'（容缺：' + deferred + '）' if deferred else ''}",
            f"{task.department} accepted {task.step.code}"
            + (f" with deferred materials {deferred_en}" if deferred_en else ""),
        ),
        {"deferred": [d.code for d in clock.deferrals]},
    )
    # 受理 issues no certificate and takes no upload: the answer's materials are these
    keep_facts(session, project, facts)
    return done


def approve_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    version: int | None = None,
    note: str = "",
) -> TaskRow:
    """准予许可.  When the step's last department approves, the step is done and its certificates
    are issued to the project (passed on to later items)."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    dept = department_name(session, task.department)
    apply_clock(task, wf.approve(task_clock(task), on))
    task.note = note
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.approve",
        on,
        calendar,
        (f"{dept}办结 {task.step.code}", f"{task.department} approved {task.step.code}"),
    )


def reject_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    reasons: str,
    version: int | None = None,
) -> TaskRow:
    """不予许可, with reasons."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    dept = department_name(session, task.department)
    apply_clock(task, wf.reject(task_clock(task), on, reasons))
    task.note = reasons
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.reject",
        on,
        calendar,
        (
            f"{dept}对 {task.step.code} 作出不予许可决定：{reasons}",
            f"{task.department} rejected {task.step.code}: {reasons}",
        ),
        {"reasons": reasons},
    )


def request_intake_corrections(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    materials: Sequence[str],
    reasons: str = "",
    version: int | None = None,
) -> TaskRow:
    """一次性告知补正 at intake: before acceptance, name at once every material the application
    lacks; the intake clock (受理时限) stops until the enterprise supplies them through the
    补正 flow, and the task returns to intake.  Told once: a second notice is refused.

    Raises
    ------
    ProjectError
        No material named, a material the step does not need, or a notice already given.
    WorkflowError
        The task is not waiting for intake.
    """
    task, project, before = _begin_task_action(session, actor, task_id, version)
    dept = department_name(session, task.department)
    status = material_status(session, project, task.step)
    needed = {m["code"]: m for m in status if m["state"] not in FROM_CERTIFICATES}
    codes = list(dict.fromkeys(materials))
    if not codes:
        raise ProjectError(
            "一次性告知补正必须列明所缺材料", "name the missing materials in the notice"
        )
    unknown = [m for m in codes if m not in needed]
    if unknown:
        raise ProjectError(
            f"该事项不需要（或已由证照共享）的材料：{'、'.join(unknown)}",
            f"this step does not need (or has a certificate for) materials: {', '.join(unknown)}",
        )
    if any(
        c.stage == "intake"
        for c in session.scalars(select(CorrectionRow).where(CorrectionRow.task_id == task.id))
    ):
        raise ProjectError(
            "受理前已一次性告知补正，不得再次要求补正：请受理或不予受理",
            "the missing materials were already named once at intake: accept or refuse",
        )
    apply_clock(task, wf.request_intake_corrections(task_clock(task), on))
    task.stop_kind = "intake"
    names = "、".join(f"{c}（{needed[c]['name']}）" for c in codes)
    text = reasons.strip() or f"申请材料不齐全，请补正：{names}"
    session.add(
        CorrectionRow(
            task_id=task.id,
            requested_on=on,
            requested_by=actor.username,
            reasons=text,
            material_codes=codes,
            stage="intake",
        )
    )
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.intake_corrections",
        on,
        calendar,
        (
            f"{dept}受理前一次性告知补正 {task.step.code}：{names}，受理时限暂停",
            f"{task.department} asked at intake for the missing materials of {task.step.code}:"
            f" {', '.join(codes)}; intake clock stopped",
        ),
        {"reasons": text, "materials": codes},
    )


def refuse_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    reasons: str,
    version: int | None = None,
) -> TaskRow:
    """不予受理: the application is not taken in (with reasons) — unlike 不予许可, which refuses the
    permit after review.  The project ends as 不予受理."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    dept = department_name(session, task.department)
    open_notices = session.scalars(
        select(CorrectionRow).where(
            CorrectionRow.task_id == task.id, CorrectionRow.resolved_on.is_(None)
        )
    ).all()
    apply_clock(task, wf.refuse(task_clock(task), on, reasons))
    task.stop_kind = None
    task.note = reasons
    for c in open_notices:
        c.resolved_on = on  # the notice is closed by the refusal
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.refuse",
        on,
        calendar,
        (
            f"{dept}对 {task.step.code} 作出不予受理决定：{reasons}",
            f"{task.department} refused to accept {task.step.code}: {reasons}",
        ),
        {"reasons": reasons},
    )


def request_corrections(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    reasons: str,
    materials: Sequence[str],
    version: int | None = None,
) -> TaskRow:
    """补正: told once, naming every material to correct; the clock stops until resubmission."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    dept = department_name(session, task.department)
    if not reasons.strip():
        raise ProjectError("补正通知必须说明理由", "a correction request must give its reasons")
    needed = {m["code"] for m in material_status(session, project, task.step)}
    unknown = [m for m in materials if m not in needed]
    if unknown:
        raise ProjectError(
            f"该事项不需要材料：{'、'.join(unknown)}",
            f"this step does not need materials: {', '.join(unknown)}",
        )
    apply_clock(task, wf.stop_clock(task_clock(task), on, "corrections"))
    task.stop_kind = "corrections"
    session.add(
        CorrectionRow(
            task_id=task.id,
            requested_on=on,
            requested_by=actor.username,
            reasons=reasons,
            material_codes=list(materials),
        )
    )
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.corrections",
        on,
        calendar,
        (
            f"{dept}要求补正 {task.step.code}（{reasons}），计时暂停",
            f"{task.department} asked for corrections on {task.step.code} ({reasons}); clock stopped",
        ),
        {"reasons": reasons, "materials": list(materials)},
    )


def start_special_procedure(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    kind: str,
    reason: str = "",
    version: int | None = None,
) -> TaskRow:
    """Expert review, hearing, testing…: the clock stops (行政许可法第四十五条)."""
    if kind not in wf.SPECIAL_PROCEDURES:
        raise ProjectError(
            f"未知的特别程序 '{kind}'（可选：{', '.join(wf.SPECIAL_PROCEDURES)}）",
            f"unknown special procedure '{kind}' (one of {', '.join(wf.SPECIAL_PROCEDURES)})",
        )
    task, project, before = _begin_task_action(session, actor, task_id, version)
    apply_clock(task, wf.stop_clock(task_clock(task), on, "special"))
    task.stop_kind = kind
    zh, en = wf.SPECIAL_PROCEDURES[kind]
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.special.start",
        on,
        calendar,
        (
            f"{task.step.code} 进入{zh}，计时暂停" + (f"：{reason}" if reason else ""),
            f"{task.step.code} entered {en}; clock stopped",
        ),
        {"kind": kind, "reason": reason},
    )


def end_special_procedure(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    version: int | None = None,
) -> TaskRow:
    task, project, before = _begin_task_action(session, actor, task_id, version)
    if task.status != "special":
        raise wf.WorkflowError("该任务不在特别程序中", "the task is not in a special procedure")
    apply_clock(task, wf.resume(task_clock(task), on, calendar))
    kind = task.stop_kind or ""
    task.stop_kind = None
    zh, en = wf.SPECIAL_PROCEDURES.get(kind, (kind, kind))
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.special.end",
        on,
        calendar,
        (f"{task.step.code} {zh}结束，恢复计时", f"{task.step.code}: {en} ended; clock resumed"),
    )
