"""Proxy agents (代办员): dashboard, projects, inbox, profiles, the alert scan, the iCalendar feed,
reassignment, workload, and the enterprise's view of its agent. The agent's 代办清单 and milestones
are in :mod:`api.routes.checklists`, joint meetings in :mod:`api.routes.meetings`.

Roles are checked by the guards here and again by :mod:`agent_service.services`: an agent sees
only the projects assigned to them (404 otherwise), an enterprise only its own project's agent,
only administrators reassign and read the workload figures.
"""

from __future__ import annotations

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
from agent_service.services import dashboard as dashboard_service
from agent_service.services import feeds as feeds_service
from agent_service.services import inbox as inbox_service
from agent_service.services import profiles as profiles_service
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import MAX_ID, Id, IdPath, actor, idempotent
from api.schemas.agents import (
    AgentProfileOut,
    AgentProjectsOut,
    AssignmentsOut,
    DashboardOut,
    DepartmentContactOut,
    InboxOut,
    MarkedOut,
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
        dashboard_service.workload(session, actor(request), clock.today(), checkpoints=checkpoints),
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
]
