"""Proxy agents (代办员): dashboard, projects, 代办清单, milestones, inbox, joint meetings,
reassignment, workload, the iCalendar feed, and the enterprise's view of its agent.

Roles are checked by the guards here and again by :mod:`agent_service.services`: an agent sees
only the projects assigned to them (404 otherwise), an enterprise only its own project's agent,
only administrators reassign and read the workload figures.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.orm import Session

from access.orm import UserRow
from access.policy import Action
from agent_service.ports import CheckpointSources
from agent_service.services import alert_scan as alert_scan_service
from agent_service.services import assignment as assignment_service
from agent_service.services import checklist as checklist_service
from agent_service.services import dashboard as dashboard_service
from agent_service.services import feeds as feeds_service
from agent_service.services import inbox as inbox_service
from agent_service.services import meetings as meetings_service
from agent_service.services import milestones as milestones_service
from agent_service.services import profiles as profiles_service
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import MAX_ID, Id, IdPath, actor, idempotent
from api.schemas.agents import (
    ActionOut,
    AgentProfileOut,
    AgentProjectsOut,
    AssignmentsOut,
    ChecklistOut,
    DashboardOut,
    DepartmentContactOut,
    InboxOut,
    MarkedOut,
    MeetingOut,
    MeetingsOut,
    MilestoneAdded,
    MilestoneMet,
    MilestonesOut,
    NoteOut,
    ProjectAgentOut,
    ScanOut,
    WorkloadOut,
)
from api.schemas.common import to
from approvals.service import work_calendar

# --- the agent's own views ----------------------------------------------------------------------


@get(
    "/api/agents/me/dashboard",
    operation_id="getMyAgentDashboard",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_DESK)],
    responses=problems(*READ),
    summary="代办员工作台 My dashboard (at-risk projects first)",
)
def my_dashboard(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> DashboardOut:
    """My projects, at-risk ones first (overdue, warning, most behind plan), each with today's
    alerts, its phase, next milestone, open actions and next meeting; and my figures."""
    return to(
        DashboardOut,
        dashboard_service.dashboard(
            session,
            actor(request),
            clock.today(),
            work_calendar(session),
            lang=request_lang(request),
            checkpoints=checkpoints,
        ),
    )


@get(
    "/api/agents/{agent_id:int}/dashboard",
    operation_id="getAgentDashboard",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="某代办员的工作台 An agent's dashboard",
)
def agent_dashboard(
    agent_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> DashboardOut:
    """Administrators and regulators read any agent's dashboard; an agent only their own."""
    return to(
        DashboardOut,
        dashboard_service.dashboard(
            session,
            actor(request),
            clock.today(),
            work_calendar(session),
            agent_user_id=agent_id,
            lang=request_lang(request),
            checkpoints=checkpoints,
        ),
    )


@get(
    "/api/agents/me/projects",
    operation_id="listMyAgentProjects",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_DESK)],
    responses=problems(*READ),
    summary="我代办的项目 The projects assigned to me",
)
def my_projects(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> AgentProjectsOut:
    return to(
        AgentProjectsOut, {"items": dashboard_service.agent_projects(session, actor(request))}
    )


@get(
    "/api/agents/{agent_id:int}/projects",
    operation_id="listAgentProjects",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="某代办员的项目 An agent's projects",
)
def agent_projects(
    agent_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> AgentProjectsOut:
    return to(
        AgentProjectsOut,
        {
            "items": dashboard_service.agent_projects(
                session, actor(request), agent_user_id=agent_id
            )
        },
    )


@get(
    "/api/agents/me/inbox",
    operation_id="listMyAlerts",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_DESK)],
    responses=problems(*READ),
    summary="提醒收件箱 My inbox of alerts",
)
def my_inbox(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    unread: Annotated[bool, QueryParameter()] = False,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_ID)] = 0,
) -> InboxOut:
    """Alerts raised by the daily scan: newest day first, overdue before warning."""
    return to(
        InboxOut,
        inbox_service.inbox(
            session,
            actor(request),
            unread_only=unread,
            limit=limit,
            offset=offset,
            lang=request_lang(request),
        ),
    )


class ReadIn(msgspec.Struct, forbid_unknown_fields=True):
    """``ids`` of my alerts to mark read, or ``all``."""

    ids: list[Id] = msgspec.field(default_factory=list)
    all: bool = False


@post(
    "/api/agents/me/inbox/read",
    operation_id="markAlertsRead",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_DESK)],
    responses=problems(*WRITE),
    summary="标记提醒已读 Mark alerts read",
)
def mark_read(
    data: JSONBody[ReadIn], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[MarkedOut]:
    def act() -> tuple[int, Any]:
        n = inbox_service.mark_read(session, actor(request), data.ids, everything=data.all)
        return 200, MarkedOut(marked=n)

    return idempotent(session, request, data, act)


# --- administration -----------------------------------------------------------------------------


@get(
    "/api/agents/workload",
    operation_id="getAgentWorkload",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_MANAGE)],
    responses=problems(400, 401, 403),
    summary="代办员工作量 Workload per agent",
)
def workload(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> WorkloadOut:
    """Per agent: regions, industries, capacity, active and completed projects, utilisation,
    projects at risk today, open follow-up actions, unread alerts; and unassigned projects."""
    return to(
        WorkloadOut,
        dashboard_service.workload(
            session, actor(request), clock.today(), work_calendar(session), checkpoints=checkpoints
        ),
    )


class ProfileIn(msgspec.Struct, forbid_unknown_fields=True):
    """An agent's scope: zones (or division codes; ``*`` for all), industries, capacity."""

    regions: list[str]
    industries: list[str]
    capacity: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 10
    active: bool = True
    office: Annotated[str, msgspec.Meta(max_length=200)] = ""


@put(
    "/api/agents/{agent_id:int}/profile",
    operation_id="saveAgentProfile",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_MANAGE)],
    responses=problems(*WRITE),
    summary="设置代办员服务范围 Set an agent's regions, industries and capacity",
)
def save_profile(
    agent_id: IdPath,
    data: JSONBody[ProfileIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[AgentProfileOut]:
    def act() -> tuple[int, Any]:
        row = profiles_service.save_profile(
            session,
            actor(request),
            agent_id,
            regions=data.regions,
            industries=data.industries,
            capacity=data.capacity,
            active=data.active,
            office=data.office,
        )
        user = session.get(UserRow, row.user_id)
        assert user is not None
        return 200, to(AgentProfileOut, profiles_service.profile_out(session, user, row))

    return idempotent(session, request, data, act)


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who agents call at a department, and where they go."""

    contact_person: Annotated[str, msgspec.Meta(max_length=100)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""


@put(
    "/api/departments/{code:str}/contact",
    operation_id="saveDepartmentContact",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_MANAGE)],
    responses=problems(*WRITE),
    summary="部门联系方式 Set a department's contact",
)
def save_contact(
    code: FromPath[str],
    data: JSONBody[ContactIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[DepartmentContactOut]:
    def act() -> tuple[int, Any]:
        d = profiles_service.save_department_contact(
            session,
            actor(request),
            code,
            contact_person=data.contact_person,
            phone=data.phone,
            address=data.address,
        )
        return 200, to(
            DepartmentContactOut,
            {
                "code": d.code,
                "name": d.name,
                "contact_person": d.contact_person,
                "phone": d.phone,
                "address": d.address,
            },
        )

    return idempotent(session, request, data, act)


@post(
    "/api/agents/scan",
    operation_id="scanAgentAlerts",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_MANAGE)],
    responses=problems(401, 403),
    summary="风险巡检 Run today's alert scan",
)
def scan(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> ScanOut:
    """What the daily job runs: raises today's alerts into the agents' inboxes (once a day each)."""
    result = alert_scan_service.scan_alerts(
        session, clock.today(), work_calendar(session), checkpoints=checkpoints
    )
    session.commit()
    return to(
        ScanOut,
        {
            "on": result.on.isoformat(),
            "projects": result.projects,
            "alerts": len(result.alerts),
            "new": result.new,
            "at_risk": result.at_risk,
        },
    )


@get(
    "/api/agents/{agent_id:int}/calendar.ics",
    operation_id="getAgentCalendar",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="代办员日程 (iCalendar) An agent's milestones and meetings",
    media_type="text/calendar",
    response_description="iCalendar (RFC 5545): VEVENT 里程碑与会议，VTODO 跟进事项",
)
def agent_calendar(
    agent_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> Response[bytes]:
    """Milestones (all-day events on their due dates), joint meetings, follow-up actions as
    to-dos.  Readable by the agent, regulators and administrators; another agent gets 404."""
    body = feeds_service.calendar_feed(
        session,
        actor(request),
        agent_id,
        clock.today(),
        work_calendar(session),
        request_lang(request),
        checkpoints=checkpoints,
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="agent-{agent_id}.ics"'},
    )


# --- on a project: the agent, the 代办清单, milestones, meetings ------------------------------------


@get(
    "/api/projects/{project_id:int}/agent",
    operation_id="getProjectAgent",
    tags=["agents"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="项目的代办员 The project's agent (name and contact)",
)
def project_agent(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> ProjectAgentOut:
    """An enterprise sees its own project's agent (404 for another's project)."""
    return to(
        ProjectAgentOut, assignment_service.project_agent(session, actor(request), project_id)
    )


class ReassignIn(msgspec.Struct, forbid_unknown_fields=True):
    agent_id: Id
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


@post(
    "/api/projects/{project_id:int}/agent",
    operation_id="reassignAgent",
    tags=["agents"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.AGENT_MANAGE)],
    responses=problems(*WRITE),
    summary="改派代办员 Reassign the project's agent (with a reason)",
)
def reassign(
    project_id: IdPath,
    data: JSONBody[ReassignIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ProjectAgentOut]:
    """Administrators only; the reason is kept in the assignment history."""

    def act() -> tuple[int, Any]:
        who = actor(request)
        assignment_service.reassign(
            session, who, project_id, data.agent_id, data.reason, clock.today()
        )
        return 200, to(ProjectAgentOut, assignment_service.project_agent(session, who, project_id))

    return idempotent(session, request, data, act)


@get(
    "/api/projects/{project_id:int}/agent/history",
    operation_id="getAgentAssignmentHistory",
    tags=["agents"],
    sync_to_thread=True,
    guards=[allowed(Action.AGENT_READ)],
    responses=problems(*READ),
    summary="代办员分配记录 The project's assignment history",
)
def assignment_history(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> AssignmentsOut:
    return to(
        AssignmentsOut,
        {
            "items": assignment_service.assignment_history(
                session, actor(request), project_id, request_lang(request)
            )
        },
    )


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
            work_calendar(session),
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
    my_dashboard,
    agent_dashboard,
    my_projects,
    agent_projects,
    my_inbox,
    mark_read,
    workload,
    save_profile,
    save_contact,
    scan,
    agent_calendar,
    project_agent,
    reassign,
    assignment_history,
    checklist,
    set_note,
    list_milestones,
    add_milestone,
    milestone_met,
    list_meetings,
    create_meeting,
    get_meeting,
    record_minutes,
    close_action,
]
