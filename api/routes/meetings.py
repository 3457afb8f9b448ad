"""Joint meetings (联席会议) on a project: scheduling, the minutes with their action items, and
closing the actions.

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
from agent_service.services import meetings as meetings_service
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import IdPath, actor, idempotent
from api.schemas.agents import (
    ActionOut,
    MeetingOut,
    MeetingsOut,
)
from api.schemas.common import to


@get(
    "/api/projects/{project_id:int}/meetings",
    operation_id="listMeetings",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="联席会议 Joint meetings",
)
def list_meetings(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> MeetingsOut:
    return to(
        MeetingsOut,
        {
            "items": meetings_service.meetings(
                session, actor(request), project_id, request_lang(request)
            )
        },
    )


class MeetingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A joint meeting: its date, the departments invited (and whom they send)."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    held_on: date
    departments: list[str]
    location: Annotated[str, msgspec.Meta(max_length=200)] = ""
    agenda: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    persons: dict[str, str] = msgspec.field(default_factory=dict)


@post(
    "/api/projects/{project_id:int}/meetings",
    operation_id="createMeeting",
    tags=["agents"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.AGENT_WORK)],
    responses=problems(*WRITE),
    summary="召集联席会议 Convene a joint meeting",
)
def create_meeting(
    project_id: IdPath,
    data: JSONBody[MeetingIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[MeetingOut]:
    def act() -> tuple[int, Any]:
        who = actor(request)
        row = meetings_service.create_meeting(
            session,
            who,
            project_id,
            title=data.title,
            held_on=data.held_on,
            departments=data.departments,
            location=data.location,
            agenda=data.agenda,
            persons=data.persons,
        )
        return 201, to(
            MeetingOut,
            meetings_service.get_meeting(session, who, project_id, row.id, request_lang(request)),
        )

    return idempotent(session, request, data, act)


@get(
    "/api/projects/{project_id:int}/meetings/{meeting_id:int}",
    operation_id="getMeeting",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="联席会议详情 A joint meeting",
)
def get_meeting(
    project_id: IdPath,
    meeting_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> MeetingOut:
    return to(
        MeetingOut,
        meetings_service.get_meeting(
            session, actor(request), project_id, meeting_id, request_lang(request)
        ),
    )


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    owner: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    due_on: date
    owner_department: str | None = None


class MinutesIn(msgspec.Struct, forbid_unknown_fields=True):
    """Decisions (会议决定) and follow-up actions with owners and due dates."""

    decisions: list[Annotated[str, msgspec.Meta(max_length=4000)]] = msgspec.field(
        default_factory=list
    )
    actions: list[ActionIn] = msgspec.field(default_factory=list)


@post(
    "/api/projects/{project_id:int}/meetings/{meeting_id:int}/minutes",
    operation_id="recordMeetingMinutes",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_WORK)],
    responses=problems(*WRITE),
    summary="记录会议决定与跟进事项 Record decisions and follow-up actions",
)
def record_minutes(
    project_id: IdPath,
    meeting_id: IdPath,
    data: JSONBody[MinutesIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[MeetingOut]:
    def act() -> tuple[int, Any]:
        who = actor(request)
        meetings_service.record_minutes(
            session,
            who,
            project_id,
            meeting_id,
            decisions=data.decisions,
            actions=[
                meetings_service.ActionSpec(a.text, a.owner, a.due_on, a.owner_department)
                for a in data.actions
            ],
            on=clock.today(),
        )
        return 200, to(
            MeetingOut,
            meetings_service.get_meeting(
                session, who, project_id, meeting_id, request_lang(request)
            ),
        )

    return idempotent(session, request, data, act)


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""


@post(
    "/api/projects/{project_id:int}/meetings/{meeting_id:int}/actions/{action_id:int}/close",
    operation_id="closeMeetingAction",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_WORK)],
    responses=problems(*WRITE),
    summary="关闭跟进事项 Close a follow-up action",
)
def close_action(
    project_id: IdPath,
    meeting_id: IdPath,
    action_id: IdPath,
    data: JSONBody[CloseIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ActionOut]:
    def act() -> tuple[int, Any]:
        row = meetings_service.close_action(
            session,
            actor(request),
            project_id,
            meeting_id,
            action_id,
            on=clock.today(),
            note=data.note,
        )
        return 200, to(ActionOut, meetings_service.action_out(row))

    return idempotent(session, request, data, act)


ROUTES = [
    list_meetings,
    create_meeting,
    get_meeting,
    record_minutes,
    close_action,
]
