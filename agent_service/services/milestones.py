"""Milestones: the plan's, the agent's own, and other packages' checkpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from agent_service.checklist import phases
from agent_service.errors import AgentConflict, AgentInputError, AgentNotFound
from agent_service.milestones import milestone_status, plan_milestones, sort_milestones
from agent_service.model import ExtraEntry, Milestone, StepView
from agent_service.orm import MilestoneRow
from agent_service.ports import CheckpointSources, extra_entries
from agent_service.services.common import require_reader, require_writer
from agent_service.services.queries import step_views_bulk
from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow
from approvals.services import queries
from i18n import Text
from storage.audit import record
from storage.engine import begin_write


def _manual_milestones(rows: Iterable[MilestoneRow], today: date) -> list[Milestone]:
    return [
        Milestone(
            f"manual-{m.id}",
            Text(m.title, m.title_en or m.title),
            m.due_on,
            milestone_status(m.due_on, m.met_on, None, today),
            kind="manual",
            met_on=m.met_on,
        )
        for m in rows
    ]


def _checkpoint_milestones(extras: Iterable[ExtraEntry], today: date) -> list[Milestone]:
    return [
        Milestone(
            f"checkpoint:{x.key}",
            x.title,
            x.due_on,
            milestone_status(x.due_on, x.done_on, None, today),
            kind="checkpoint",
            met_on=x.done_on,
        )
        for x in extras
        if x.kind == "checkpoint" and x.due_on is not None
    ]


def project_milestones(
    session: Session,
    projects: Sequence[ProjectRow | Any],
    today: date,
    calendar: WorkCalendar,
    views: dict[int, list[StepView]] | None = None,
    *,
    checkpoints: CheckpointSources = (),
    manual: Mapping[int, Sequence[MilestoneRow]] | None = None,
) -> dict[int, list[Milestone]]:
    """Plan, manual and checkpoint milestones of many projects (a few queries), by project.
    ``views`` may pass the projects' steps, and ``manual`` their manual milestones (by project,
    in id order), when the caller read them already."""
    ids = [p.id for p in projects]
    if views is None:
        views = step_views_bulk(session, projects, calendar)
    if manual is None:
        read: dict[int, list[MilestoneRow]] = {}
        if ids:
            for m in session.scalars(
                select(MilestoneRow)
                .where(MilestoneRow.project_id.in_(ids))
                .order_by(MilestoneRow.id)
            ):
                read.setdefault(m.project_id, []).append(m)
        manual = read
    extras = extra_entries(checkpoints, session, ids, today)
    out = {}
    for p in projects:
        steps = views[p.id]
        found = plan_milestones(steps, phases(steps), today) if steps else []
        found += _manual_milestones(manual.get(p.id, []), today)
        found += _checkpoint_milestones(extras.get(p.id, []), today)
        out[p.id] = sort_milestones(found)
    return out


def milestones(
    session: Session,
    actor: Actor,
    project_id: int,
    today: date,
    calendar: WorkCalendar,
    *,
    checkpoints: CheckpointSources = (),
) -> list[Milestone]:
    """The project's milestones with due dates and status, by due date."""
    require_reader(actor)
    project = queries.get_project(session, actor, project_id)
    found = project_milestones(session, [project], today, calendar, checkpoints=checkpoints)
    return found[project.id]


def add_milestone(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    due_on: date,
    title_en: str = "",
    note: str = "",
) -> MilestoneRow:
    """A milestone the agent sets by hand (e.g. 交地, 开工仪式)."""
    require_writer(actor)
    begin_write(session)
    project = queries.get_project(session, actor, project_id)
    if not title.strip():
        raise AgentInputError("里程碑名称：不能为空", "title: a milestone needs a title")
    row = MilestoneRow(
        project_id=project.id,
        title=title.strip(),
        title_en=title_en.strip(),
        due_on=due_on,
        note=note,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.milestone.add",
        entity="milestone",
        entity_id=row.id,
        project_id=project.id,
        after={"title": row.title, "due_on": due_on.isoformat()},
    )
    return row


def mark_milestone_met(
    session: Session, actor: Actor, project_id: int, milestone_id: int, met_on: date
) -> MilestoneRow:
    """Record the day a manual milestone was met (plan milestones are met by their steps)."""
    require_writer(actor)
    begin_write(session)
    project = queries.get_project(session, actor, project_id)
    row = session.get(MilestoneRow, milestone_id)
    if row is None or row.project_id != project.id:
        raise AgentNotFound(f"里程碑 {milestone_id} 不存在", f"milestone {milestone_id} not found")
    if row.met_on is not None:
        raise AgentConflict(
            f"里程碑 {milestone_id} 已于 {row.met_on} 达成",
            f"milestone {milestone_id} was met on {row.met_on} already",
        )
    row.met_on = met_on
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.milestone.met",
        entity="milestone",
        entity_id=row.id,
        project_id=project.id,
        after={"met_on": met_on.isoformat()},
    )
    return row
