"""The daily digest (每日提醒) of each agent, from the day's inbox and the coming milestones,
meetings and actions.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Role
from access.orm import UserRow
from agent_service import alerts as rules
from agent_service.digest import AgentDigest, DigestProject
from agent_service.errors import AgentNotFound
from agent_service.model import Alert, Milestone
from agent_service.orm import AlertRow, MeetingActionRow, MeetingRow
from agent_service.ports import CheckpointSources
from agent_service.services.common import RISK_RANK
from agent_service.services.inbox import sorted_alerts
from agent_service.services.milestones import project_milestones
from agent_service.services.queries import ProjectBrief, meetings_of, project_briefs
from approvals.calendar import WorkCalendar
from i18n import Text

#: Working days ahead the digest looks for milestones, meetings and actions.
DIGEST_WINDOW = 5


def digest(
    session: Session,
    on: date,
    calendar: WorkCalendar,
    *,
    username: str | None = None,
    window: int = DIGEST_WINDOW,
    checkpoints: CheckpointSources = (),
) -> list[AgentDigest]:
    """Each agent's digest for ``on`` (one agent's with ``username``): the day's alerts from the
    inbox (run :func:`scan_alerts` first), milestones not met and due within ``window`` working
    days or at risk, meetings coming, follow-up actions due or overdue.  Alerts of projects with
    no agent come last, under no agent.

    Raises
    ------
    AgentNotFound
        ``username`` is not an agent.
    """
    users_q = select(UserRow).where(UserRow.role == Role.AGENT).order_by(UserRow.id)
    if username is not None:
        users_q = users_q.where(UserRow.username == username)
    users = session.scalars(users_q).all()
    if username is not None and not users:
        raise AgentNotFound(f"代办员 '{username}' 不存在", f"agent '{username}' not found")
    horizon = rules.window_end(calendar, on, window)
    wanted_ids = {u.id for u in users}
    alerts_q = select(AlertRow).where(AlertRow.raised_on == on).order_by(AlertRow.id)
    if username is not None:  # one agent: their projects and alerts only
        (only,) = wanted_ids
        briefs = project_briefs(session, agent_user_id=only)
        alerts_q = alerts_q.where(AlertRow.agent_user_id == only)
    else:
        briefs = project_briefs(session)
    stored = session.scalars(alerts_q).all()
    followed = [p for p in briefs.values() if p.agent_user_id in wanted_ids]
    marks = project_milestones(session, followed, on, calendar, checkpoints=checkpoints)
    meetings_, actions_ = meetings_of(session, [p.id for p in followed])
    groups: list[tuple[int | None, str, str, str]] = [
        (u.id, u.username, u.display_name or u.username, u.phone) for u in users
    ]
    if username is None and any(a.agent_user_id is None for a in stored):
        groups.append((None, "—", "", ""))
    out = []
    for uid, uname, name, phone in groups:
        d = AgentDigest(uid, uname, name, phone, on)
        mine = [p for p in briefs.values() if p.agent_user_id == uid]
        d.projects = len(mine)
        d.at_risk = _at_risk(briefs, [a for a in stored if a.agent_user_id == uid])
        if uid is not None:
            _add_coming(d, mine, marks, meetings_, actions_, on, horizon)
        out.append(d)
    return out


def _at_risk(briefs: dict[int, ProjectBrief], stored: list[AlertRow]) -> list[DigestProject]:
    """The projects with alerts stored today, the worst first, each with its alerts sorted."""
    by_project: dict[int, DigestProject] = {}
    for a in stored:
        p = briefs.get(a.project_id)
        entry = by_project.get(a.project_id) or by_project.setdefault(
            a.project_id,
            DigestProject(a.project_id, p.code if p else str(a.project_id), p.name if p else ""),
        )
        entry.alerts.append(
            Alert(a.project_id, a.kind, a.subject, a.level, Text(a.title_zh, a.title_en), a.due_on)
        )
    for entry in by_project.values():
        entry.alerts = sorted_alerts(entry.alerts)
    return sorted(
        by_project.values(),
        key=lambda e: (RISK_RANK[rules.worst_level(e.alerts)], -len(e.alerts), e.code),
    )


def _add_coming(
    d: AgentDigest,
    mine: list[ProjectBrief],
    marks: dict[int, list[Milestone]],
    meetings_: list[MeetingRow],
    actions_: list[MeetingActionRow],
    on: date,
    horizon: date,
) -> None:
    """The agent's milestones, meetings and actions falling due by ``horizon``."""
    for p in mine:
        for m in marks.get(p.id, []):
            if m.met_on is None and (m.due_on <= horizon or m.status == "at_risk"):
                d.milestones.append((p.code, m))
    codes = {p.id: p.code for p in mine}
    d.meetings = [
        (codes[m.project_id], m.held_on, m.title)
        for m in meetings_
        if m.project_id in codes and on <= m.held_on <= horizon and m.status == "scheduled"
    ]
    d.actions = [
        (codes[a.project_id], a.due_on, a.text, a.owner)
        for a in actions_
        if a.project_id in codes and a.status == "open" and a.due_on <= horizon
    ]
