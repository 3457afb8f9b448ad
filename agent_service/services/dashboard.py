"""An agent's dashboard and projects, and the administrator's workload figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from access.actor import Actor, Role
from access.orm import UserRow
from access.policy import Action, can
from agent_service import alerts as rules
from agent_service.checklist import current_phase, phases
from agent_service.errors import AgentForbidden
from agent_service.model import PHASES, Alert, Milestone, StepView
from agent_service.orm import AgentProfileRow, AlertRow, MeetingActionRow, MeetingRow, MilestoneRow
from agent_service.ports import CheckpointSources, read_once
from agent_service.services.alert_scan import collect_alerts
from agent_service.services.common import ACTIVE, FOLLOWED, RISK_RANK, agent_target, agent_user
from agent_service.services.inbox import alert_dict, sorted_alerts
from agent_service.services.milestones import project_milestones
from agent_service.services.profiles import plot_zones, profile_out, project_industry, project_zone
from agent_service.services.queries import (
    BRIEF_COLUMNS,
    ProjectBrief,
    meetings_with_actions,
    project_briefs,
    step_rows,
    step_views_bulk,
)
from approvals.calendar import WorkCalendar
from approvals.clock_forecast import delays_out
from approvals.orm import EnterpriseRow, ProjectRow
from approvals.service import work_calendar
from i18n import Lang
from storage import versions


def dashboard(
    session: Session,
    actor: Actor,
    today: date,
    calendar: WorkCalendar | None = None,
    *,
    agent_user_id: int | None = None,
    lang: Lang = "zh",
    checkpoints: CheckpointSources = (),
) -> dict[str, Any]:
    """My projects, at-risk ones first (overdue, then warning, then the most behind plan), each
    with its alerts, current phase, next milestone and open actions; and my figures.

    Each source is read once and shared (five statements): the agent with their projects and
    the projects' manual milestones; the projects' steps (their views, the slack alerts, the
    alerts' step names); the tasks' clocks and deferrals; the checkpoints (the alerts and the
    milestones); the meetings with their actions (the action alerts, the open actions, the next
    meetings).  ``calendar`` None: the working calendar, whose cache version comes with the
    first statement."""
    target = agent_target(actor, agent_user_id)
    checkpoints = read_once(checkpoints)  # read by the alerts and the milestones: once
    user, profile, unread, briefs, enterprises, manual = _agent_and_projects(session, target)
    if calendar is None:
        calendar = work_calendar(session)
    ids = list(briefs)
    steps = step_rows(session, ids)
    meetings_, actions_ = meetings_with_actions(session, ids)
    found = collect_alerts(
        session,
        today,
        calendar,
        project_ids=ids,
        checkpoints=checkpoints,
        projects={p.id: (p.status, p.filed_on) for p in briefs.values()},
        steps=steps,
        actions=actions_,
    )
    by_project: dict[int, list[Alert]] = {}
    for a in found:
        by_project.setdefault(a.project_id, []).append(a)
    views = step_views_bulk(session, list(briefs.values()), calendar, steps)
    marks = project_milestones(
        session,
        list(briefs.values()),
        today,
        calendar,
        views,
        checkpoints=checkpoints,
        manual=manual,
    )
    items = [
        _dashboard_item(
            p,
            sorted_alerts(by_project.get(p.id, [])),
            views[p.id],
            marks[p.id],
            [m for m in meetings_ if m.project_id == p.id and m.held_on >= today],
            sum(1 for a in actions_ if a.project_id == p.id and a.status == "open"),
            enterprises.get(p.id),
            calendar,
            lang,
        )
        for p in briefs.values()
    ]
    items.sort(key=lambda i: (RISK_RANK[i["risk"]], -(i["variance_workdays"] or 0), i["id"]))
    active = sum(1 for p in briefs.values() if p.status in ACTIVE)
    return {
        "agent": {**profile_out(session, user, profile), "load": active},
        "today": today.isoformat(),
        "summary": {
            "projects": len(briefs),
            "active": active,
            "at_risk": sum(1 for i in items if i["risk"]),
            "overdue": sum(1 for i in items if i["risk"] == "overdue"),
            "alerts": len(found),
            "unread_alerts": unread,
            "open_actions": sum(1 for a in actions_ if a.status == "open"),
            "upcoming_meetings": sum(1 for m in meetings_ if m.held_on >= today),
        },
        "projects": items,
    }


def _agent_and_projects(
    session: Session, target: int
) -> tuple[
    UserRow,
    AgentProfileRow | None,
    int,
    dict[int, ProjectBrief],
    dict[int, str | None],
    dict[int, list[MilestoneRow]],
]:
    """The agent's account, profile and unread alerts (账号、档案、未读提醒), the projects they
    follow with each one's enterprise name and manual milestones, and the cache version — one
    statement: users ⟕ agent_profiles ⟕ projects ⟕ enterprises ⟕ agent_milestones, a row per
    (project, milestone).  Raises :class:`AgentNotFound` when ``target`` is not an agent."""
    unread_q = (
        select(func.count())
        .select_from(AlertRow)
        .where(AlertRow.agent_user_id == target, AlertRow.read_at.is_(None))
        .scalar_subquery()
    )
    projects = ProjectRow.__table__
    rows = session.execute(
        select(
            UserRow,
            AgentProfileRow,
            unread_q,
            versions.column(),
            *BRIEF_COLUMNS,
            EnterpriseRow.name,
            MilestoneRow,
        )
        .select_from(UserRow)
        .outerjoin(AgentProfileRow, AgentProfileRow.user_id == UserRow.id)
        .outerjoin(
            projects,
            and_(
                projects.c.agent_user_id == UserRow.id,
                projects.c.status.in_(FOLLOWED),
            ),
        )
        .outerjoin(EnterpriseRow, EnterpriseRow.id == projects.c.enterprise_id)
        .outerjoin(MilestoneRow, MilestoneRow.project_id == projects.c.id)
        .where(UserRow.id == target)
        .order_by(projects.c.id, MilestoneRow.id)
    ).all()
    if not rows or rows[0][0].role != Role.AGENT:
        agent_user(session, target)  # raises AgentNotFound, as before
        raise AssertionError("unreachable")
    user, profile, unread, token = rows[0][:4]
    versions.remember(session, token)
    n = len(BRIEF_COLUMNS)
    briefs: dict[int, ProjectBrief] = {}
    enterprises: dict[int, str | None] = {}
    manual: dict[int, list[MilestoneRow]] = {}
    for r in rows:
        brief, enterprise, milestone = r[4 : 4 + n], r[4 + n], r[5 + n]
        if brief[0] is None:
            continue  # no project
        if brief[0] not in briefs:
            briefs[brief[0]] = ProjectBrief(*brief)
            enterprises[brief[0]] = enterprise
        if milestone is not None:
            manual.setdefault(brief[0], []).append(milestone)
    return user, profile, unread or 0, briefs, enterprises, manual


def _dashboard_item(
    p: ProjectBrief,
    mine: list[Alert],
    steps: list[StepView],
    marks: list[Milestone],
    meet: list[MeetingRow],
    open_actions: int,
    enterprise: str | None,
    calendar: WorkCalendar,
    lang: Lang,
) -> dict[str, Any]:
    """One project's line on the dashboard: its alerts (sorted), phase, variance, next
    milestone, open actions and next meeting."""
    phase = current_phase(steps, phases(steps)) if steps else "pre_landing"
    seq = calendar.sequence(p.filed_on)
    on_both = p.finish_delays or {}
    plan_finish = date.fromisoformat(on_both["plan_finish"]) if on_both.get("plan_finish") else None
    # behind plan: against the plan on both clocks when the activities are known
    variance = (
        seq.index_of(p.predicted_finish) - seq.index_of(plan_finish or p.baseline_finish)
        if p.predicted_finish
        else None
    )
    upcoming = [m for m in marks if m.met_on is None]
    nxt = upcoming[0] if upcoming else None
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "enterprise": enterprise,
        "status": p.status,
        "phase": phase,
        "phase_name": PHASES[phase](lang),
        "filed_on": p.filed_on.isoformat(),
        "baseline_finish": p.baseline_finish.isoformat(),
        "predicted_finish": p.predicted_finish.isoformat() if p.predicted_finish else None,
        "plan_finish": plan_finish.isoformat() if plan_finish else None,
        "finish_delays": delays_out(p.finish_delays, lang),
        "variance_workdays": variance,
        "risk": rules.worst_level(mine),
        "alerts": [alert_dict(a, lang) for a in mine],
        "next_milestone": nxt.to_dict(lang) if nxt else None,
        "milestones_at_risk": sum(1 for m in upcoming if m.status in {"overdue", "at_risk"}),
        "open_actions": open_actions,
        "next_meeting": {
            "id": meet[0].id,
            "title": meet[0].title,
            "held_on": meet[0].held_on.isoformat(),
        }
        if meet
        else None,
    }


def agent_projects(
    session: Session, actor: Actor, *, agent_user_id: int | None = None
) -> list[dict[str, Any]]:
    """The projects an agent carries (every status), newest first."""
    target = agent_target(actor, agent_user_id)
    agent_user(session, target)
    rows = session.scalars(
        select(ProjectRow).where(ProjectRow.agent_user_id == target).order_by(ProjectRow.id.desc())
    ).all()
    names = dict(
        session.execute(
            select(EnterpriseRow.id, EnterpriseRow.name).where(
                EnterpriseRow.id.in_({p.enterprise_id for p in rows})
            )
        ).all()
    )
    registry = plot_zones(session, (p.plot_code for p in rows))
    return [
        {
            "id": p.id,
            "code": p.code,
            "name": p.name,
            "status": p.status,
            "enterprise": {"id": p.enterprise_id, "name": names.get(p.enterprise_id)},
            "filed_on": p.filed_on.isoformat(),
            "baseline_finish": p.baseline_finish.isoformat(),
            "predicted_finish": p.predicted_finish.isoformat() if p.predicted_finish else None,
            "zone": project_zone(p, registry.get(p.plot_code)),
            "industry": project_industry(p),
        }
        for p in rows
    ]


def workload(
    session: Session,
    actor: Actor,
    today: date,
    calendar: WorkCalendar | None = None,
    *,
    checkpoints: CheckpointSources = (),
) -> dict[str, Any]:
    """Workload figures per agent for the administrator: projects carried (active, completed),
    capacity and utilisation, projects at risk today, open follow-up actions, unread alerts;
    and how many active projects have no agent.

    Six statements: the projects followed (with the cache version, for ``calendar`` None);
    the alerts' sources (tasks, steps, actions, checkpoints), which take the projects' statuses
    from the first; the agents with their profiles and their two counts."""
    if not can(actor, Action.AGENT_MANAGE):
        raise AgentForbidden(
            "只有管理员可以查看代办员工作量", "only administrators read the agents' workload"
        )
    briefs = project_briefs(session, cache_version=calendar is None)
    if calendar is None:
        calendar = work_calendar(session)
    found = collect_alerts(
        session,
        today,
        calendar,
        checkpoints=checkpoints,
        projects={p.id: (p.status, p.filed_on) for p in briefs.values()},
    )
    risk: dict[int, str | None] = {}
    for a in found:
        if RISK_RANK[a.level] < RISK_RANK[risk.get(a.project_id)]:
            risk[a.project_id] = a.level
    per: dict[int | None, dict[str, int]] = {}
    for p in briefs.values():
        row = per.setdefault(
            p.agent_user_id, {"active": 0, "completed": 0, "at_risk": 0, "overdue": 0}
        )
        row["active" if p.status in ACTIVE else "completed"] += 1
        if risk.get(p.id):
            row["at_risk"] += 1
        if risk.get(p.id) == "overdue":
            row["overdue"] += 1
    # open follow-up actions and unread alerts: an indexed count per agent, with the agents
    # and their profiles (代办员及其档案) in one statement
    open_actions = (
        select(func.count())
        .select_from(MeetingActionRow)
        .join(ProjectRow, ProjectRow.id == MeetingActionRow.project_id)
        .where(MeetingActionRow.status == "open", ProjectRow.agent_user_id == UserRow.id)
        .scalar_subquery()
    )
    unread = (
        select(func.count())
        .select_from(AlertRow)
        .where(AlertRow.read_at.is_(None), AlertRow.agent_user_id == UserRow.id)
        .scalar_subquery()
    )
    agents = []
    for user, profile, n_actions, n_unread in session.execute(
        select(UserRow, AgentProfileRow, open_actions, unread)
        .outerjoin(AgentProfileRow, AgentProfileRow.user_id == UserRow.id)
        .where(UserRow.role == Role.AGENT)
        .order_by(UserRow.id)
    ).all():
        figures = per.get(user.id, {"active": 0, "completed": 0, "at_risk": 0, "overdue": 0})
        out = profile_out(session, user, profile)
        capacity = out["capacity"]
        agents.append(
            {
                **out,
                # ``active`` below is the count of projects in review; the profile's flag
                # (taking new projects or not) is kept as ``enabled``
                "enabled": out["active"],
                **figures,
                "utilisation": round(figures["active"] / capacity, 2) if capacity else None,
                "open_actions": n_actions or 0,
                "unread_alerts": n_unread or 0,
            }
        )
    none = per.get(None, {"active": 0, "at_risk": 0})
    return {
        "today": today.isoformat(),
        "agents": agents,
        "unassigned": {"active": none["active"], "at_risk": none["at_risk"]},
    }
