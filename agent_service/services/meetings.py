"""Joint meetings (联席会议): convening, minutes (decisions and follow-up actions), closing actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from access.actor import Actor
from access.notifications import notify_department_tasks
from agent_service.errors import AgentConflict, AgentInputError, AgentNotFound
from agent_service.model import MEETING_STATUS, Contact
from agent_service.orm import MeetingActionRow, MeetingAttendeeRow, MeetingDecisionRow, MeetingRow
from agent_service.services.common import require_reader, require_writer
from agent_service.services.queries import contacts, meeting_status
from approvals.orm import DepartmentRow, ProjectRow
from approvals.services import queries
from i18n import Lang, Text
from storage.audit import record
from storage.engine import begin_write


def _check_departments(session: Session, codes: Sequence[str], field_name: str) -> list[str]:
    known = set(session.scalars(select(DepartmentRow.code)))
    out: list[str] = []
    for i, code in enumerate(codes):
        if code not in known:
            raise AgentInputError(
                f"{field_name}[{i}]：未知部门 '{code}'",
                f"{field_name}[{i}]: unknown department '{code}'",
            )
        if code not in out:
            out.append(code)
    return out


def create_meeting(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    held_on: date,
    departments: Sequence[str],
    location: str = "",
    agenda: str = "",
    persons: dict[str, str] | None = None,
) -> MeetingRow:
    """Convene a joint meeting (联席会议) of the project's departments.

    Raises
    ------
    AgentInputError
        No title, no department, an unknown department, a date before the project was filed.
    """
    require_writer(actor)
    begin_write(session)
    project = queries.get_project(session, actor, project_id)
    if not title.strip():
        raise AgentInputError("会议名称：不能为空", "title: a meeting needs a title")
    if not departments:
        raise AgentInputError(
            "参会部门：至少邀请一个部门", "departments: invite at least one department"
        )
    codes = _check_departments(session, departments, "departments")
    if held_on < project.filed_on:
        raise AgentInputError(
            f"会议日期：{held_on} 早于项目申报日期 {project.filed_on}",
            f"held_on: {held_on} is before the project was filed ({project.filed_on})",
        )
    persons = persons or {}
    row = MeetingRow(
        project_id=project.id,
        title=title.strip(),
        held_on=held_on,
        location=location,
        agenda=agenda,
        status="scheduled",
        convened_by=actor.username,
    )
    row.attendees = [MeetingAttendeeRow(department=c, person=persons.get(c, "")) for c in codes]
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.meeting.create",
        entity="meeting",
        entity_id=row.id,
        project_id=project.id,
        after={"title": row.title, "held_on": held_on.isoformat(), "departments": codes},
    )
    text = Text(
        f"联席会议通知：项目 {project.code}「{row.title}」，{held_on.isoformat()}"
        + (f"，地点：{location}" if location else ""),
        f"Joint meeting on project {project.code}: {row.title}, {held_on.isoformat()}"
        + (f", at {location}" if location else ""),
    )
    link = f"/projects/{project.id}/meetings/{row.id}"
    key = f"meeting:{row.id}"
    notify_department_tasks(
        session,
        "meeting",
        [(c, text, link, key) for c in codes],
        project_id=project.id,
        agents=[project.agent_user_id if project.agent_user_id != actor.user_id else None]
        + [None] * (len(codes) - 1),
    )
    return row


@dataclass(frozen=True)
class ActionSpec:
    """A follow-up action to record: what, who owns it (a person or a department), by when."""

    text: str
    owner: str
    due_on: date
    owner_department: str | None = None


def meeting_of(session: Session, project: ProjectRow, meeting_id: int) -> MeetingRow:
    row = session.get(MeetingRow, meeting_id)
    if row is None or row.project_id != project.id:
        raise AgentNotFound(f"会议 {meeting_id} 不存在", f"meeting {meeting_id} not found")
    return row


def record_minutes(
    session: Session,
    actor: Actor,
    project_id: int,
    meeting_id: int,
    *,
    decisions: Sequence[str],
    actions: Sequence[ActionSpec] = (),
    on: date,
) -> MeetingRow:
    """Record the meeting's decisions and follow-up actions (again later to add more).

    Raises
    ------
    AgentConflict
        The meeting's date has not come yet.
    AgentInputError
        Nothing to record, an empty decision, an action without text or owner, due before the
        meeting, or owned by an unknown department.
    """
    require_writer(actor)
    begin_write(session)
    project = queries.get_project(session, actor, project_id)
    meeting = meeting_of(session, project, meeting_id)
    if on < meeting.held_on:
        raise AgentConflict(
            f"会议 {meeting.id} 定于 {meeting.held_on} 召开，尚不能记录纪要",
            f"meeting {meeting.id} is on {meeting.held_on}; its minutes cannot be recorded yet",
        )
    if not decisions and not actions:
        raise AgentInputError(
            "纪要至少包含一项决定或跟进事项", "the minutes need at least one decision or action"
        )
    for i, d in enumerate(decisions):
        if not d.strip():
            raise AgentInputError(f"decisions[{i}]：不能为空", f"decisions[{i}]: empty")
    for i, a in enumerate(actions):
        if not a.text.strip():
            raise AgentInputError(f"actions[{i}].text：不能为空", f"actions[{i}].text: empty")
        if not a.owner.strip():
            raise AgentInputError(
                f"actions[{i}].owner：必须指定责任人", f"actions[{i}].owner: an owner is required"
            )
        if a.due_on < meeting.held_on:
            raise AgentInputError(
                f"actions[{i}].due_on：{a.due_on} 早于会议日期 {meeting.held_on}",
                f"actions[{i}].due_on: {a.due_on} is before the meeting ({meeting.held_on})",
            )
        if a.owner_department:
            _check_departments(session, [a.owner_department], f"actions[{i}].owner_department")
    start = len(meeting.decisions)
    for i, d in enumerate(decisions):
        meeting.decisions.append(
            MeetingDecisionRow(position=start + i, text=d.strip(), recorded_on=on)
        )
    for a in actions:
        meeting.actions.append(
            MeetingActionRow(
                project_id=project.id,
                text=a.text.strip(),
                owner=a.owner.strip(),
                owner_department=a.owner_department or None,
                due_on=a.due_on,
                status="open",
            )
        )
    meeting.status = "held"
    meeting.minutes_on = on
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.meeting.minutes",
        entity="meeting",
        entity_id=meeting.id,
        project_id=project.id,
        after={"decisions": list(decisions), "actions": [a.text for a in actions]},
    )
    return meeting


def close_action(
    session: Session,
    actor: Actor,
    project_id: int,
    meeting_id: int,
    action_id: int,
    *,
    on: date,
    note: str = "",
) -> MeetingActionRow:
    """Close a follow-up action (tracked to closure).

    Raises
    ------
    AgentConflict
        The action is closed already.
    """
    require_writer(actor)
    begin_write(session)
    project = queries.get_project(session, actor, project_id)
    meeting = meeting_of(session, project, meeting_id)
    action = session.get(MeetingActionRow, action_id)
    if action is None or action.meeting_id != meeting.id:
        raise AgentNotFound(f"跟进事项 {action_id} 不存在", f"action {action_id} not found")
    if action.status == "closed":
        raise AgentConflict(
            f"跟进事项 {action_id} 已于 {action.closed_on} 关闭",
            f"action {action_id} was closed on {action.closed_on} already",
        )
    action.status, action.closed_on, action.closed_by = "closed", on, actor.username
    action.closing_note = note
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.action.close",
        entity="meeting_action",
        entity_id=action.id,
        project_id=project.id,
        after={"closed_on": on.isoformat(), "note": note},
    )
    return action


def meeting_out(
    meeting: MeetingRow, names: dict[str, Contact], lang: Lang = "zh"
) -> dict[str, Any]:
    actions = list(meeting.actions)
    return {
        "id": meeting.id,
        "project_id": meeting.project_id,
        "title": meeting.title,
        "held_on": meeting.held_on.isoformat(),
        "location": meeting.location,
        "agenda": meeting.agenda,
        "status": meeting_status(meeting, actions),
        "status_name": MEETING_STATUS[meeting_status(meeting, actions)](lang),
        "convened_by": meeting.convened_by,
        "minutes_on": meeting.minutes_on.isoformat() if meeting.minutes_on else None,
        "attendees": [
            {
                **(names.get(a.department) or Contact(a.department, a.department)).to_dict(lang),
                "person": a.person,
            }
            for a in meeting.attendees
        ],
        "decisions": [
            {"position": d.position, "text": d.text, "recorded_on": d.recorded_on.isoformat()}
            for d in meeting.decisions
        ],
        "actions": [action_out(a) for a in actions],
    }


def action_out(a: MeetingActionRow) -> dict[str, Any]:
    return {
        "id": a.id,
        "meeting_id": a.meeting_id,
        "text": a.text,
        "owner": a.owner,
        "owner_department": a.owner_department,
        "due_on": a.due_on.isoformat(),
        "status": a.status,
        "closed_on": a.closed_on.isoformat() if a.closed_on else None,
        "closed_by": a.closed_by,
        "closing_note": a.closing_note,
    }


def meetings(
    session: Session, actor: Actor, project_id: int, lang: Lang = "zh"
) -> list[dict[str, Any]]:
    """The project's joint meetings with attendees, decisions and actions, by date."""
    require_reader(actor)
    project = queries.get_project(session, actor, project_id)
    rows = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.project_id == project.id)
        .options(
            selectinload(MeetingRow.attendees),
            selectinload(MeetingRow.decisions),
            selectinload(MeetingRow.actions),
        )
        .order_by(MeetingRow.held_on, MeetingRow.id)
    ).all()
    names = contacts(session)
    return [meeting_out(m, names, lang) for m in rows]


def get_meeting(
    session: Session, actor: Actor, project_id: int, meeting_id: int, lang: Lang = "zh"
) -> dict[str, Any]:
    require_reader(actor)
    project = queries.get_project(session, actor, project_id)
    return meeting_out(meeting_of(session, project, meeting_id), contacts(session), lang)
