"""The agent's working list on a project (代办清单): the checklist in three phases, the agent's
notes and tick-offs on it, and the milestones.

An agent sees only the projects assigned to them (404 otherwise); the guards here are checked
again by :mod:`agent_service.services`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.orm import Session

from access.policy import Action
from agent_service.ports import CheckpointSources
from agent_service.services import checklist as checklist_service
from agent_service.services import milestones as milestones_service
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import IdPath, actor, idempotent
from api.schemas.agents import (
    ChecklistOut,
    MilestoneAdded,
    MilestoneMet,
    MilestonesOut,
    NoteOut,
)
from api.schemas.common import to
from approvals.service import work_calendar


@get(
    "/api/projects/{project_id:int}/checklist",
    operation_id="getAgentChecklist",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="代办清单 The agent checklist in three phases",
)
def checklist(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> ChecklistOut:
    """落点前 / 落点后 / 竣工后: items with their status and dates, materials to gather, department
    contacts, joint meetings and actions, commitment checkpoints, my notes — from the live plan."""
    return to(
        ChecklistOut,
        checklist_service.checklist(
            session,
            actor(request),
            project_id,
            clock.today(),
            None,  # the database's calendar, looked up once the project is read
            request_lang(request),
            checkpoints=checkpoints,
        ),
    )


class NoteIn(msgspec.Struct, forbid_unknown_fields=True):
    """A note and/or tick-off on the entry ``key`` (``step:S1-02``, ``meeting:3`` …)."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    note: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    done: bool | None = None


@post(
    "/api/projects/{project_id:int}/checklist/notes",
    operation_id="setChecklistNote",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_WORK)],
    responses=problems(*WRITE),
    summary="代办清单备注与勾选 Note or tick a checklist entry",
)
def set_note(
    project_id: IdPath,
    data: JSONBody[NoteIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> Response[NoteOut]:
    def act() -> tuple[int, Any]:
        row = checklist_service.set_note(
            session,
            actor(request),
            project_id,
            data.key,
            note=data.note,
            done=data.done,
            on=clock.today(),
            checkpoints=checkpoints,
        )
        return 200, to(
            NoteOut,
            {
                "key": row.entry_key,
                "note": row.note,
                "done": row.done,
                "done_on": row.done_on.isoformat() if row.done_on else None,
            },
        )

    return idempotent(session, request, data, act)


@get(
    "/api/projects/{project_id:int}/milestones",
    operation_id="listMilestones",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="里程碑 Milestones with due dates and status",
)
def list_milestones(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> MilestonesOut:
    lang = request_lang(request)
    found = milestones_service.milestones(
        session,
        actor(request),
        project_id,
        clock.today(),
        work_calendar(session),
        checkpoints=checkpoints,
    )
    return to(MilestonesOut, {"items": [m.to_dict(lang) for m in found]})


class MilestoneIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    due_on: date
    title_en: Annotated[str, msgspec.Meta(max_length=200)] = ""
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""


@post(
    "/api/projects/{project_id:int}/milestones",
    operation_id="addMilestone",
    tags=["agents"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.AGENT_WORK)],
    responses=problems(*WRITE),
    summary="新增里程碑 Add a milestone",
)
def add_milestone(
    project_id: IdPath,
    data: JSONBody[MilestoneIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[MilestoneAdded]:
    def act() -> tuple[int, Any]:
        row = milestones_service.add_milestone(
            session,
            actor(request),
            project_id,
            title=data.title,
            due_on=data.due_on,
            title_en=data.title_en,
            note=data.note,
        )
        return 201, to(
            MilestoneAdded,
            {
                "id": row.id,
                "key": f"manual-{row.id}",
                "title": row.title,
                "due_on": row.due_on.isoformat(),
            },
        )

    return idempotent(session, request, data, act)


class MetIn(msgspec.Struct, forbid_unknown_fields=True):
    met_on: date | None = None  # default: today


@post(
    "/api/projects/{project_id:int}/milestones/{milestone_id:int}/met",
    operation_id="markMilestoneMet",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_WORK)],
    responses=problems(*WRITE),
    summary="里程碑达成 Mark a manual milestone met",
)
def milestone_met(
    project_id: IdPath,
    milestone_id: IdPath,
    data: JSONBody[MetIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[MilestoneMet]:
    def act() -> tuple[int, Any]:
        row = milestones_service.mark_milestone_met(
            session, actor(request), project_id, milestone_id, data.met_on or clock.today()
        )
        return 200, to(
            MilestoneMet, {"id": row.id, "met_on": row.met_on.isoformat() if row.met_on else None}
        )

    return idempotent(session, request, data, act)


ROUTES = [
    checklist,
    set_note,
    list_milestones,
    add_milestone,
    milestone_met,
]
