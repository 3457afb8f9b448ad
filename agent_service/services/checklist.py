"""The 代办清单 of a project (derived from the live plan) and the agent's notes on its entries."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from agent_service.checklist import build_checklist, current_phase, phases
from agent_service.errors import AgentInputError
from agent_service.model import PHASES
from agent_service.orm import ChecklistNoteRow, MeetingActionRow, MeetingRow
from agent_service.ports import CheckpointSources, extra_entries
from agent_service.services.common import require_reader, require_writer
from agent_service.services.queries import (
    contacts,
    material_views,
    meeting_views,
    meetings_of,
    notes_of,
    step_views,
)
from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow, StepRow
from approvals.service import work_calendar
from approvals.services import queries
from i18n import Lang
from storage.audit import record
from storage.engine import begin_write


def checklist(
    session: Session,
    actor: Actor,
    project_id: int,
    today: date,
    calendar: WorkCalendar | None = None,
    lang: Lang = "zh",
    *,
    checkpoints: CheckpointSources = (),
) -> dict[str, Any]:
    """The project's 代办清单 in three phases (落点前, 落点后, 竣工后), derived from the live plan
    now: items, materials to gather, department contacts, dates, the agent's notes.
    ``calendar`` None: the database's, looked up after the project (whose statement reads the
    cache version the lookup needs)."""
    require_reader(actor)
    project = queries.get_project(session, actor, project_id, whole=True)
    calendar = work_calendar(session) if calendar is None else calendar
    steps = step_views(session, project, today, calendar)
    facts = queries.material_facts(session, project)
    materials = {
        s.code: material_views(session, project, s, facts)
        for s in project.steps
        if s.status != "done"
    }
    meetings, actions = meetings_of(session, [project.id])
    mviews, aviews = meeting_views(meetings, actions)
    extras = extra_entries(checkpoints, session, [project.id], today).get(project.id, [])
    entries = build_checklist(
        steps,
        materials=materials,
        contacts=contacts(session),
        meetings=mviews,
        actions=aviews,
        extras=extras,
        notes=notes_of(session, project.id),
    )
    phase_of = phases(steps)
    now = current_phase(steps, phase_of)
    return {
        "project": {
            "id": project.id,
            "code": project.code,
            "name": project.name,
            "status": project.status,
            "agent_user_id": project.agent_user_id,
        },
        "today": today.isoformat(),
        "current_phase": now,
        "phases": [
            {
                "phase": phase,
                "name": name(lang),
                "current": phase == now,
                "total": sum(1 for e in entries if e.phase == phase),
                "done": sum(1 for e in entries if e.phase == phase and e.status == "done"),
                "entries": [e.to_dict(lang) for e in entries if e.phase == phase],
            }
            for phase, name in PHASES.items()
        ],
    }


def _checklist_keys(
    session: Session, project: ProjectRow, today: date, checkpoints: CheckpointSources
) -> set[str]:
    keys = {
        f"step:{code}"
        for code in session.scalars(select(StepRow.code).where(StepRow.project_id == project.id))
    }
    keys |= {
        f"meeting:{i}"
        for i in session.scalars(select(MeetingRow.id).where(MeetingRow.project_id == project.id))
    }
    keys |= {
        f"action:{i}"
        for i in session.scalars(
            select(MeetingActionRow.id).where(MeetingActionRow.project_id == project.id)
        )
    }
    keys |= {
        f"{x.kind}:{x.key}"
        for x in extra_entries(checkpoints, session, [project.id], today).get(project.id, [])
    }
    return keys


def set_note(
    session: Session,
    actor: Actor,
    project_id: int,
    key: str,
    *,
    note: str | None = None,
    done: bool | None = None,
    on: date,
    checkpoints: CheckpointSources = (),
) -> ChecklistNoteRow:
    """The agent's note and/or tick-off on a checklist entry (``None`` leaves a field as it is).

    Raises
    ------
    AgentInputError
        ``key`` names no entry of the project's checklist.
    """
    require_writer(actor)
    begin_write(session)
    project = queries.get_project(session, actor, project_id)
    if key not in _checklist_keys(session, project, on, checkpoints):
        raise AgentInputError(
            f"代办清单中没有条目“{key}”", f"key: the checklist has no entry '{key}'"
        )
    row = session.scalar(
        select(ChecklistNoteRow).where(
            ChecklistNoteRow.project_id == project.id, ChecklistNoteRow.entry_key == key
        )
    )
    if row is None:
        row = ChecklistNoteRow(project_id=project.id, entry_key=key, note="", done=False)
        session.add(row)
    if note is not None:
        row.note = note
    if done is not None:
        row.done_on = (row.done_on or on) if done else None
        row.done = done
    row.updated_by = actor.username
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.checklist.note",
        entity="checklist",
        entity_id=key,
        project_id=project.id,
        after={"note": row.note, "done": row.done},
    )
    return row
