"""Who carries a project: the agent chosen on filing (by rule), reassignment by an
administrator with a reason, and the history of both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.notifications import notify_parties
from access.orm import UserRow
from access.policy import Action, can
from agent_service.assignment import choose_agent
from agent_service.errors import AgentConflict, AgentForbidden, AgentInputError
from agent_service.orm import AgentAssignmentRow, AgentProfileRow
from agent_service.services.common import agent_user, require_reader
from agent_service.services.profiles import (
    agent_profiles,
    plot_zones,
    project_industry,
    project_zones,
)
from approvals.orm import ProjectRow
from approvals.services import queries
from i18n import Lang, Text
from storage.audit import record
from storage.engine import begin_write


def assign_on_filing(
    session: Session, project: ProjectRow, on: date, *, by: str = "system"
) -> AgentAssignmentRow:
    """Assign the project an agent by rule (:func:`agent_service.assignment.choose_agent`) and
    keep the decision in the history — also when no agent covers the zone (the project then
    waits for an administrator).  Call it right after filing, in the same unit of work; ``by``
    names who filed (kept in the history; the audit trail records the system as the actor).

    Two projects filed at the same moment may both see the same least-loaded agent: the balance
    is a rule of thumb, not a hard limit, and administrators see the workload figures.
    """
    zones = project_zones(project, plot_zones(session, [project.plot_code]).get(project.plot_code))
    industry = project_industry(project)
    named = None
    if industry:
        from approvals.questionnaire import answer_label
        from approvals.services.queries import project_catalogue

        named = Text(*answer_label(project_catalogue(session, project), "industry", industry))
    choice = choose_agent(agent_profiles(session), zones, industry, named)
    agent_id = choice.agent.user_id if choice.agent else None
    row = AgentAssignmentRow(
        project_id=project.id,
        agent_user_id=agent_id,
        previous_agent_user_id=project.agent_user_id,
        kind="rule",
        reason_zh=choice.reason.zh,
        reason_en=choice.reason.en,
        assigned_on=on,
        assigned_by=by,
    )
    session.add(row)
    project.agent_user_id = agent_id
    session.flush()
    record(
        session,
        actor="system",
        role="system",
        action="agent.assign",
        entity="project",
        entity_id=project.id,
        project_id=project.id,
        after={
            "agent_user_id": agent_id,
            "tier": choice.tier,
            "over_capacity": choice.over_capacity,
            "reason": choice.reason.zh,
            "on_behalf_of": by,
        },
    )
    _tell_agent(session, project, agent_id, row.id)
    return row


def _tell_agent(session: Session, project: ProjectRow, agent_id: int | None, key: int) -> None:
    """Tell the agent a project is now theirs (in-app)."""
    if agent_id:
        notify_parties(
            session,
            "assigned",
            Text(
                f"新的代办项目：{project.code}「{project.name}」",
                f"New project assigned to you: {project.code}",
            ),
            link=f"/projects/{project.id}",
            project_id=project.id,
            key=f"assigned:{key}",
            user_ids=[agent_id],
        )


def reassign(
    session: Session, actor: Actor, project_id: int, agent_user_id: int, reason: str, on: date
) -> AgentAssignmentRow:
    """An administrator hands the project to another agent, with a reason kept in the history.

    Raises
    ------
    AgentForbidden
        The caller is not an administrator.
    AgentInputError
        No reason given; the agent's account is inactive.
    AgentNotFound
        ``agent_user_id`` is not an agent.
    AgentConflict
        The project is already that agent's.
    """
    if not can(actor, Action.AGENT_MANAGE):
        raise AgentForbidden("只有管理员可以改派代办员", "only administrators reassign agents")
    begin_write(session)
    if not reason.strip():
        raise AgentInputError("改派理由：改派必须说明理由", "reason: a reassignment needs a reason")
    project = queries.get_project(session, actor, project_id, lock=True)
    user = agent_user(session, agent_user_id)
    profile = session.get(AgentProfileRow, user.id)
    if not user.active or (profile is not None and not profile.active):
        raise AgentInputError(
            f"代办员 {user.username} 已停用", f"agent {user.username} is not active"
        )
    if project.agent_user_id == user.id:
        raise AgentConflict(
            f"项目 {project.code} 已由代办员 {user.username} 负责",
            f"project {project.code} is already assigned to {user.username}",
        )
    previous = project.agent_user_id
    row = AgentAssignmentRow(
        project_id=project.id,
        agent_user_id=user.id,
        previous_agent_user_id=previous,
        kind="manual",
        reason_zh=reason.strip(),
        reason_en=reason.strip(),
        assigned_on=on,
        assigned_by=actor.username,
    )
    session.add(row)
    project.agent_user_id = user.id
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.reassign",
        entity="project",
        entity_id=project.id,
        project_id=project.id,
        before={"agent_user_id": previous},
        after={"agent_user_id": user.id, "reason": reason.strip()},
    )
    _tell_agent(session, project, user.id, row.id)
    return row


def _user_names(session: Session, ids: Iterable[int | None]) -> dict[int, UserRow]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(UserRow).where(UserRow.id.in_(wanted)))}


def assignment_history(
    session: Session, actor: Actor, project_id: int, lang: Lang = "zh"
) -> list[dict[str, Any]]:
    """Every assignment of the project, oldest first, with who decided and why."""
    require_reader(actor)
    project = queries.get_project(session, actor, project_id)
    rows = session.scalars(
        select(AgentAssignmentRow)
        .where(AgentAssignmentRow.project_id == project.id)
        .order_by(AgentAssignmentRow.id)
    ).all()
    users = _user_names(
        session, [r.agent_user_id for r in rows] + [r.previous_agent_user_id for r in rows]
    )

    def who(uid: int | None) -> dict[str, Any] | None:
        u = users.get(uid) if uid is not None else None
        return {"id": u.id, "username": u.username, "name": u.display_name} if u else None

    return [
        {
            "id": r.id,
            "kind": r.kind,
            "agent": who(r.agent_user_id),
            "previous_agent": who(r.previous_agent_user_id),
            "reason": r.reason_en if lang == "en" else r.reason_zh,
            "assigned_on": r.assigned_on.isoformat(),
            "assigned_by": r.assigned_by,
        }
        for r in rows
    ]


def project_agent(session: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The project's agent as the enterprise (or anyone who sees the project) reads it: name and
    contact.  ``agent`` is ``None`` while none is assigned."""
    project = queries.get_project(session, actor, project_id)
    out: dict[str, Any] = {"project_id": project.id, "project_code": project.code, "agent": None}
    if project.agent_user_id is None:
        return out
    user = session.get(UserRow, project.agent_user_id)
    if user is None:
        return out
    profile = session.get(AgentProfileRow, user.id)
    since = session.scalar(
        select(func.max(AgentAssignmentRow.assigned_on)).where(
            AgentAssignmentRow.project_id == project.id,
            AgentAssignmentRow.agent_user_id == user.id,
        )
    )
    out["agent"] = {
        "id": user.id,
        "name": user.display_name or user.username,
        "phone": user.phone,
        "email": user.email,
        "office": profile.office if profile else "",
        "assigned_on": since.isoformat() if since else None,
    }
    return out
