"""Use cases of the proxy agents (代办员) over a database session; the caller commits.

"变企业跑为政府跑": each filed project gets an agent by rule (:func:`assign_on_filing`, called by
the composition root right after :func:`approvals.workflow_service.file_project`, in the same
unit of work); administrators reassign with a reason (:func:`reassign`).  The agent reads the
代办清单 (:func:`checklist`), the milestones (:func:`milestones`), the inbox of alerts raised by the
daily scan (:func:`scan_alerts`, :func:`inbox`), the dashboard (:func:`dashboard`) and an
iCalendar feed (:func:`calendar_feed`); convenes joint meetings (联席会议) and tracks their
follow-up actions to closure.

Visibility is enforced here as in the workflow: an agent sees the projects assigned to them
(others are "not found"), an enterprise its own project's agent, regulators and administrators
everything; only administrators reassign and edit profiles.

The scan is set-based: a few queries over plain columns and the pure rules of
:mod:`agent_service.alerts`, so 10,000 active projects take well under two seconds (see
``bench/alerts.py``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, cast, func, select, update
from sqlalchemy.orm import Session, selectinload

from access.actor import Actor
from agent_service import alerts as rules
from agent_service.assignment import choose_agent
from agent_service.checklist import build_checklist, current_phase, phases
from agent_service.digest import AgentDigest, DigestProject
from agent_service.errors import AgentConflict, AgentForbidden, AgentInputError, AgentNotFound
from agent_service.hooks import extra_entries
from agent_service.ical import CalendarItem, to_ics
from agent_service.milestones import milestone_status, plan_milestones, sort_milestones
from agent_service.model import (
    MEETING_STATUS,
    MILESTONE_STATUS,
    PHASES,
    ActionView,
    AgentProfile,
    Alert,
    Contact,
    ExtraEntry,
    MaterialView,
    MeetingView,
    Milestone,
    Note,
    StepView,
    TaskView,
)
from agent_service.orm import (
    AgentAssignmentRow,
    AgentProfileRow,
    AlertRow,
    ChecklistNoteRow,
    MeetingActionRow,
    MeetingAttendeeRow,
    MeetingDecisionRow,
    MeetingRow,
    MilestoneRow,
)
from api.accounts import UserRow
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue, parse_catalog
from approvals.orm import (
    CatalogVersionRow,
    DeferralRow,
    DepartmentRow,
    EnterpriseRow,
    ProjectRow,
    StepRow,
    TaskRow,
)
from approvals.services import queries as ws
from i18n import Lang, Text
from landplots.orm import PlotRow
from storage.audit import record
from storage.engine import begin_write

Actor = Actor

#: Projects that count towards an agent's load and whose review clocks are scanned.
ACTIVE = ("in_review",)
#: Projects an agent still follows (after completion: the commitment checkpoints, meetings).
FOLLOWED = ("in_review", "completed")
#: Working days ahead the digest looks for milestones, meetings and actions.
DIGEST_WINDOW = 5
RISK_RANK = {"overdue": 0, "warning": 1, None: 2}

# Bulk reads (the scan, dashboards, digests) select plain columns of the tables (Core, not ORM
# entities): rows come back as tuples without the ORM's per-row processing.
_P = ProjectRow.__table__.c
_S = StepRow.__table__.c
_T = TaskRow.__table__.c
_D = DeferralRow.__table__.c
_A = MeetingActionRow.__table__.c


# --- zone and industry ----------------------------------------------------------------------------


def project_zones(project: ProjectRow, plot_zone: str | None = None) -> tuple[str, ...]:
    """Where the project is, for assignment: the form's ``zone`` when given; else the park zone
    of its 标准地 (``plot_zone``, from the plots registry, or failing that the plot code's prefix
    before the first ``-``) and the administrative division (行政区划) of its project code."""
    zone = (project.form or {}).get("zone")
    if zone:
        return (str(zone),)
    found: list[str] = []
    if plot_zone:
        found.append(plot_zone)
    elif project.plot_code and project.plot_code.split("-", 1)[0]:
        found.append(project.plot_code.split("-", 1)[0])
    parts = (project.code or "").split("-")
    if len(parts) == 5 and parts[1] and parts[1] not in found:
        found.append(parts[1])
    return tuple(found)


def project_zone(project: ProjectRow, plot_zone: str | None = None) -> str | None:
    """The zone shown for a project: the first of :func:`project_zones`."""
    zones = project_zones(project, plot_zone)
    return zones[0] if zones else None


def plot_zones(session: Session, plot_codes: Iterable[str | None]) -> dict[str, str]:
    """Plot code → park zone, from the plots registry (标准地库)."""
    codes = sorted({c for c in plot_codes if c})
    if not codes:
        return {}
    query = select(PlotRow.code, PlotRow.zone_code).where(PlotRow.code.in_(codes))
    return {code: zone for code, zone in session.execute(query)}


def project_industry(project: ProjectRow) -> str | None:
    """The project's industry: the questionnaire's ``industry`` answer."""
    value = (project.attributes or {}).get("industry")
    return str(value) if value else None


# --- agents and their profiles --------------------------------------------------------------------


def _loads(session: Session) -> dict[int, int]:
    return {
        uid: n
        for uid, n in session.execute(
            select(ProjectRow.agent_user_id, func.count())
            .where(ProjectRow.status.in_(ACTIVE), ProjectRow.agent_user_id.is_not(None))
            .group_by(ProjectRow.agent_user_id)
        )
    }


def agent_profiles(session: Session) -> list[AgentProfile]:
    """Every agent with a profile, with their current load (active projects assigned)."""
    loads = _loads(session)
    out = []
    for profile, user in session.execute(
        select(AgentProfileRow, UserRow)
        .join(UserRow, UserRow.id == AgentProfileRow.user_id)
        .where(UserRow.role == "agent")
        .order_by(UserRow.id)
    ):
        out.append(
            AgentProfile(
                user.id,
                user.display_name or user.username,
                tuple(profile.regions),
                tuple(profile.industries),
                profile.capacity,
                profile.active and user.active,
                loads.get(user.id, 0),
            )
        )
    return out


def _agent_user(session: Session, user_id: int) -> UserRow:
    user = session.get(UserRow, user_id)
    if user is None or user.role != "agent":
        raise AgentNotFound(f"代办员 {user_id} 不存在", f"agent {user_id} not found")
    return user


def _clean_scope(values: Sequence[str], field_name: str) -> list[str]:
    out = []
    for i, v in enumerate(values):
        v = str(v).strip()
        if not v or len(v) > 64:
            raise AgentInputError(
                f"{field_name}[{i}]：应为 1–64 个字符", f"{field_name}[{i}]: 1 to 64 characters"
            )
        if v not in out:
            out.append(v)
    return out


def save_profile(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    regions: Sequence[str],
    industries: Sequence[str],
    capacity: int,
    active: bool = True,
    office: str = "",
) -> AgentProfileRow:
    """Create or replace an agent's profile (administrators only).

    Raises
    ------
    AgentForbidden
        The caller is not an administrator.
    AgentNotFound
        ``user_id`` is not an agent's account.
    AgentInputError
        A negative capacity, an empty region or industry code.
    """
    if actor.role != "admin":
        raise AgentForbidden(
            "只有管理员可以设置代办员的服务范围", "only administrators edit agents' profiles"
        )
    user = _agent_user(session, user_id)
    if capacity < 0:
        raise AgentInputError("capacity：不能为负数", "capacity: must not be negative")
    row = session.get(AgentProfileRow, user.id)
    before = None
    if row is None:
        row = AgentProfileRow(user_id=user.id)
        session.add(row)
    else:
        before = {"regions": row.regions, "industries": row.industries, "capacity": row.capacity}
    row.regions = _clean_scope(regions, "regions")
    row.industries = _clean_scope(industries, "industries")
    row.capacity, row.active, row.office = capacity, active, office
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="agent.profile",
        entity="agent",
        entity_id=user.id,
        before=before,
        after={"regions": row.regions, "industries": row.industries, "capacity": capacity},
    )
    return row


def profile_out(session: Session, user: UserRow, profile: AgentProfileRow | None) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.display_name or user.username,
        "phone": user.phone,
        "email": user.email,
        "office": profile.office if profile else "",
        "regions": list(profile.regions) if profile else [],
        "industries": list(profile.industries) if profile else [],
        "capacity": profile.capacity if profile else 0,
        "active": bool(profile and profile.active and user.active),
    }


def save_department_contact(
    session: Session,
    actor: Actor,
    code: str,
    *,
    contact_person: str,
    phone: str,
    address: str,
) -> DepartmentRow:
    """Set a department's contact for the agents (administrators only).

    Raises
    ------
    AgentForbidden
        The caller is not an administrator.
    AgentNotFound
        No department ``code``.
    """
    if actor.role != "admin":
        raise AgentForbidden(
            "只有管理员可以维护部门联系方式", "only administrators edit department contacts"
        )
    begin_write(session)
    dept = session.get(DepartmentRow, code)
    if dept is None:
        raise AgentNotFound(f"部门 '{code}' 不存在", f"department '{code}' not found")
    before = {"contact_person": dept.contact_person, "phone": dept.phone, "address": dept.address}
    dept.contact_person, dept.phone, dept.address = contact_person, phone, address
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="department.contact",
        entity="department",
        entity_id=code,
        before=before,
        after={"contact_person": contact_person, "phone": phone, "address": address},
    )
    return dept


# --- assignment (分配) -----------------------------------------------------------------------------


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
    choice = choose_agent(agent_profiles(session), zones, project_industry(project))
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
    return row


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
    if actor.role != "admin":
        raise AgentForbidden("只有管理员可以改派代办员", "only administrators reassign agents")
    begin_write(session)
    if not reason.strip():
        raise AgentInputError("reason：改派必须说明理由", "reason: a reassignment needs a reason")
    project = ws.get_project(session, actor, project_id, lock=True)
    user = _agent_user(session, agent_user_id)
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
    _require_reader(actor)
    project = ws.get_project(session, actor, project_id)
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
    project = ws.get_project(session, actor, project_id)
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


# --- roles ---------------------------------------------------------------------------------------


def _require_reader(actor: Actor) -> None:
    if actor.role not in {"agent", "admin", "regulator"}:
        raise AgentForbidden(
            "只有代办员、监管人员和管理员可以查看代办信息",
            "only agents, regulators and administrators read agents' records",
        )


def _require_writer(actor: Actor) -> None:
    if actor.role not in {"agent", "admin"}:
        raise AgentForbidden(
            "只有项目的代办员或管理员可以执行此操作",
            "only the project's agent or an administrator may do this",
        )


def _agent_target(actor: Actor, agent_user_id: int | None) -> int:
    """The agent whose records are read: an agent reads their own only ('not found' otherwise);
    regulators and administrators read anyone's."""
    if actor.role == "agent":
        if agent_user_id not in {None, actor.user_id}:
            raise AgentNotFound(
                f"代办员 {agent_user_id} 不存在", f"agent {agent_user_id} not found"
            )
        assert actor.user_id is not None
        return actor.user_id
    if actor.role not in {"admin", "regulator"}:
        raise AgentForbidden(
            "只有代办员本人、监管人员和管理员可以查看",
            "only the agent, regulators and administrators",
        )
    if agent_user_id is None:
        raise AgentInputError("需要指定代办员", "an agent must be named")
    return agent_user_id


# --- the plan as the agent reads it -------------------------------------------------------------


_CATALOGUES: dict[tuple[int, str], Catalogue] = {}


def catalogue_of(session: Session, catalog_id: int) -> Catalogue:
    """The catalogue version by id, parsed once per process (a stored version never changes:
    its SHA-256 names its content, so only that is read to find it in the cache)."""
    sha256 = session.scalar(
        select(CatalogVersionRow.sha256).where(CatalogVersionRow.id == catalog_id)
    )
    assert sha256 is not None
    key = (catalog_id, sha256)
    catalogue = _CATALOGUES.get(key)
    if catalogue is None:
        row = session.get(CatalogVersionRow, catalog_id)
        assert row is not None
        if len(_CATALOGUES) > 32:
            _CATALOGUES.clear()
        catalogue = _CATALOGUES[key] = parse_catalog(row.document, f"catalogue version {row.id}")
    return catalogue


def _outputs(catalogue: Catalogue, items: Sequence[str]) -> frozenset[str]:
    return frozenset(
        o.code for code in items if code in catalogue.items for o in catalogue.items[code].outputs
    )


def _dates(
    seq: Any,
    status: str,
    baseline: tuple[int, int],
    forecast: tuple[int | None, int | None],
    actual: tuple[date | None, date | None],
) -> tuple[date | None, date | None, date]:
    """(start, end, baseline end) of a step on the calendar: actual when known, else forecast."""
    b_es, b_ef = baseline
    f_es, f_ef = forecast
    start = actual[0] or (seq.date_of(max(f_es, 0)) if f_es is not None else None)
    if status == "done" and actual[1]:
        end: date | None = actual[1]
    elif f_ef is not None and f_es is not None:
        end = seq.date_of(max(f_ef - 1, f_es))
    else:
        end = None
    return start, end, seq.date_of(max(b_ef - 1, b_es))


def _task_clock(t: TaskRow) -> wf.TaskClock:
    return wf.TaskClock(
        status=t.status,  # type: ignore[arg-type]
        days=t.days,
        ready_on=t.ready_on,
        accepted_on=t.accepted_on,
        due_on=t.due_on,
        decided_on=t.decided_on,
        stopped_since=t.stopped_since,
        stopped_days=t.stopped_days,
    )


def step_views(
    session: Session, project: ProjectRow, today: date, calendar: WorkCalendar
) -> list[StepView]:
    """The project's steps with dates, outputs and every task's clock (project loaded whole)."""
    catalogue = catalogue_of(session, project.catalog_id)
    seq = calendar.sequence(project.filed_on)
    out = []
    for s in project.steps:
        start, end, baseline_end = _dates(
            seq,
            s.status,
            (s.baseline_es, s.baseline_ef),
            (s.forecast_es, s.forecast_ef),
            (s.actual_start, s.actual_end),
        )
        out.append(
            StepView(
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                stage=s.stage,
                status=s.status,
                departments=tuple(s.departments),
                requires=tuple(s.requires),
                outputs=_outputs(catalogue, s.items),
                start=start,
                end=end,
                baseline_end=baseline_end,
                slack=s.slack,
                critical=s.critical,
                mode=s.mode,
                tasks=tuple(
                    TaskView(
                        t.department,
                        t.status,
                        wf.clock_state(_task_clock(t), today, calendar, s.slack),
                        t.due_on,
                    )
                    for t in s.tasks
                ),
            )
        )
    return out


def _step_views_bulk(
    session: Session, projects: Sequence[ProjectRow | Any], calendar: WorkCalendar
) -> dict[int, list[StepView]]:
    """Steps of many projects in one query, by project id — without their tasks and
    departments (what phases, milestones and dashboards need, not the checklist)."""
    by_id = {p.id: p for p in projects}
    out: dict[int, list[StepView]] = {p.id: [] for p in projects}
    if not by_id:
        return out
    seqs: dict[date, Any] = {}
    catalogues = {cid: catalogue_of(session, cid) for cid in {p.catalog_id for p in projects}}
    q = (
        select(
            _S.project_id,
            _S.code,
            _S.name,
            _S.name_en,
            _S.stage,
            _S.status,
            _S.requires,
            _S["items"],  # not _S.items: that is the column collection's own method
            _S.baseline_es,
            _S.baseline_ef,
            _S.forecast_es,
            _S.forecast_ef,
            _S.actual_start,
            _S.actual_end,
            _S.slack,
            _S.critical,
            _S.mode,
        )
        .where(_S.project_id.in_(list(by_id)))
        .order_by(_S.project_id, _S.position)
    )
    for (
        pid,
        code,
        name,
        name_en,
        stage,
        status,
        requires,
        items,
        b_es,
        b_ef,
        f_es,
        f_ef,
        a_start,
        a_end,
        slack,
        critical,
        mode,
    ) in session.execute(q).all():
        p = by_id[pid]
        seq = seqs.get(p.filed_on) or seqs.setdefault(p.filed_on, calendar.sequence(p.filed_on))
        start, end, baseline_end = _dates(seq, status, (b_es, b_ef), (f_es, f_ef), (a_start, a_end))
        out[pid].append(
            StepView(
                code=code,
                name=name,
                name_en=name_en,
                stage=stage,
                status=status,
                requires=tuple(requires),
                outputs=_outputs(catalogues[p.catalog_id], items),
                start=start,
                end=end,
                baseline_end=baseline_end,
                slack=slack,
                critical=critical,
                mode=mode,
            )
        )
    return out


def contacts(session: Session) -> dict[str, Contact]:
    """Every department's contact, by code."""
    return {
        d.code: Contact(d.code, d.name, d.name_en, d.contact_person, d.phone, d.address)
        for d in session.scalars(select(DepartmentRow))
    }


def _material_views(session: Session, project: ProjectRow, step: StepRow) -> list[MaterialView]:
    deferred: dict[str, date] = {}
    for t in step.tasks:
        for d in t.deferrals:
            if d.supplied_on is None:
                deferred[d.material_code] = min(d.due_on, deferred.get(d.material_code, d.due_on))
    return [
        MaterialView(
            m["code"],
            m["name"],
            m["name_en"] or "",
            m["state"],
            m["deferrable"],
            deferred.get(m["code"]) if m["state"] == "missing" else None,
        )
        for m in ws.material_status(session, project, step)
    ]


def _meetings_of(
    session: Session, project_ids: Collection[int]
) -> tuple[list[MeetingRow], list[MeetingActionRow]]:
    if not project_ids:
        return [], []
    meetings = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.project_id.in_(list(project_ids)))
        .options(selectinload(MeetingRow.attendees), selectinload(MeetingRow.decisions))
        .order_by(MeetingRow.held_on, MeetingRow.id)
    ).all()
    actions = session.scalars(
        select(MeetingActionRow)
        .where(MeetingActionRow.project_id.in_(list(project_ids)))
        .order_by(MeetingActionRow.due_on, MeetingActionRow.id)
    ).all()
    return list(meetings), list(actions)


def meeting_status(meeting: MeetingRow, actions: Sequence[MeetingActionRow]) -> str:
    """scheduled → held (minutes recorded) → closed (held, every follow-up action closed)."""
    if meeting.status == "held" and all(a.status == "closed" for a in actions):
        return "closed"
    return meeting.status


def _meeting_views(
    meetings: Sequence[MeetingRow], actions: Sequence[MeetingActionRow]
) -> tuple[list[MeetingView], list[ActionView]]:
    by_meeting: dict[int, list[MeetingActionRow]] = {}
    for a in actions:
        by_meeting.setdefault(a.meeting_id, []).append(a)
    mviews = [
        MeetingView(
            m.id,
            m.title,
            m.held_on,
            meeting_status(m, by_meeting.get(m.id, [])),
            tuple(a.department for a in m.attendees),
            sum(1 for a in by_meeting.get(m.id, []) if a.status == "open"),
        )
        for m in meetings
    ]
    aviews = [
        ActionView(a.id, a.meeting_id, a.text, a.owner, a.due_on, a.status, a.closed_on)
        for a in actions
    ]
    return mviews, aviews


def _notes(session: Session, project_id: int) -> dict[str, Note]:
    return {
        n.entry_key: Note(n.entry_key, n.note, n.done, n.done_on)
        for n in session.scalars(
            select(ChecklistNoteRow).where(ChecklistNoteRow.project_id == project_id)
        )
    }


def checklist(
    session: Session,
    actor: Actor,
    project_id: int,
    today: date,
    calendar: WorkCalendar,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """The project's 代办清单 in three phases (落点前, 落点后, 竣工后), derived from the live plan
    now: items, materials to gather, department contacts, dates, the agent's notes."""
    _require_reader(actor)
    project = ws.get_project(session, actor, project_id, whole=True)
    steps = step_views(session, project, today, calendar)
    materials = {
        s.code: _material_views(session, project, s) for s in project.steps if s.status != "done"
    }
    meetings, actions = _meetings_of(session, [project.id])
    mviews, aviews = _meeting_views(meetings, actions)
    extras = extra_entries(session, [project.id], today).get(project.id, [])
    entries = build_checklist(
        steps,
        materials=materials,
        contacts=contacts(session),
        meetings=mviews,
        actions=aviews,
        extras=extras,
        notes=_notes(session, project.id),
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


def _checklist_keys(session: Session, project: ProjectRow, today: date) -> set[str]:
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
        f"{x.kind}:{x.key}" for x in extra_entries(session, [project.id], today).get(project.id, [])
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
) -> ChecklistNoteRow:
    """The agent's note and/or tick-off on a checklist entry (``None`` leaves a field as it is).

    Raises
    ------
    AgentInputError
        ``key`` names no entry of the project's checklist.
    """
    _require_writer(actor)
    begin_write(session)
    project = ws.get_project(session, actor, project_id)
    if key not in _checklist_keys(session, project, on):
        raise AgentInputError(
            f"key：代办清单中没有条目 '{key}'", f"key: the checklist has no entry '{key}'"
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


# --- milestones (里程碑) ---------------------------------------------------------------------------


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
) -> dict[int, list[Milestone]]:
    """Plan, manual and checkpoint milestones of many projects (a few queries), by project.
    ``views`` may pass the projects' steps when the caller read them already."""
    ids = [p.id for p in projects]
    if views is None:
        views = _step_views_bulk(session, projects, calendar)
    manual: dict[int, list[MilestoneRow]] = {}
    if ids:
        for m in session.scalars(
            select(MilestoneRow).where(MilestoneRow.project_id.in_(ids)).order_by(MilestoneRow.id)
        ):
            manual.setdefault(m.project_id, []).append(m)
    extras = extra_entries(session, ids, today)
    out = {}
    for p in projects:
        steps = views[p.id]
        found = plan_milestones(steps, phases(steps), today) if steps else []
        found += _manual_milestones(manual.get(p.id, []), today)
        found += _checkpoint_milestones(extras.get(p.id, []), today)
        out[p.id] = sort_milestones(found)
    return out


def milestones(
    session: Session, actor: Actor, project_id: int, today: date, calendar: WorkCalendar
) -> list[Milestone]:
    """The project's milestones with due dates and status, by due date."""
    _require_reader(actor)
    project = ws.get_project(session, actor, project_id)
    return project_milestones(session, [project], today, calendar)[project.id]


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
    _require_writer(actor)
    begin_write(session)
    project = ws.get_project(session, actor, project_id)
    if not title.strip():
        raise AgentInputError("title：里程碑名称不能为空", "title: a milestone needs a title")
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
    _require_writer(actor)
    begin_write(session)
    project = ws.get_project(session, actor, project_id)
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


# --- joint meetings (联席会议) ---------------------------------------------------------------------


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
    _require_writer(actor)
    begin_write(session)
    project = ws.get_project(session, actor, project_id)
    if not title.strip():
        raise AgentInputError("title：会议名称不能为空", "title: a meeting needs a title")
    if not departments:
        raise AgentInputError(
            "departments：至少邀请一个部门", "departments: invite at least one department"
        )
    codes = _check_departments(session, departments, "departments")
    if held_on < project.filed_on:
        raise AgentInputError(
            f"held_on：会议日期 {held_on} 早于项目申报日期 {project.filed_on}",
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
    return row


@dataclass(frozen=True)
class ActionSpec:
    """A follow-up action to record: what, who owns it (a person or a department), by when."""

    text: str
    owner: str
    due_on: date
    owner_department: str | None = None


def _meeting_of(session: Session, project: ProjectRow, meeting_id: int) -> MeetingRow:
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
    _require_writer(actor)
    begin_write(session)
    project = ws.get_project(session, actor, project_id)
    meeting = _meeting_of(session, project, meeting_id)
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
    _require_writer(actor)
    begin_write(session)
    project = ws.get_project(session, actor, project_id)
    meeting = _meeting_of(session, project, meeting_id)
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
    _require_reader(actor)
    project = ws.get_project(session, actor, project_id)
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
    _require_reader(actor)
    project = ws.get_project(session, actor, project_id)
    return meeting_out(_meeting_of(session, project, meeting_id), contacts(session), lang)


# --- alerts: the daily scan (风险提醒) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectBrief:
    """The columns of a project the scan and the summaries need."""

    id: int
    code: str
    name: str
    status: str
    filed_on: date
    agent_user_id: int | None
    catalog_id: int
    predicted_finish: date | None
    baseline_finish: date


def _briefs(
    session: Session,
    *,
    project_ids: Collection[int] | None = None,
    agent_user_id: int | None = None,
    statuses: Sequence[str] = FOLLOWED,
) -> dict[int, ProjectBrief]:
    q = select(
        _P.id,
        _P.code,
        _P.name,
        _P.status,
        _P.filed_on,
        _P.agent_user_id,
        _P.catalog_id,
        _P.predicted_finish,
        _P.baseline_finish,
    ).where(_P.status.in_(statuses))
    if project_ids is not None:
        q = q.where(_P.id.in_(list(project_ids)))
    if agent_user_id is not None:
        q = q.where(_P.agent_user_id == agent_user_id)
    return {r[0]: ProjectBrief(*r) for r in session.execute(q.order_by(_P.id)).all()}


def _step_names(session: Session, step_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Step id → (code, name), by primary key: on PostgreSQL one ``= ANY(array)`` parameter
    (thousands of ``IN`` parameters cost more to send than the lookup), on SQLite ``IN`` in
    chunks below its limit of bound parameters."""
    ids = sorted(step_ids)
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        chunks = [_S.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))]
    else:
        chunks = [_S.id.in_(ids[i : i + 5000]) for i in range(0, len(ids), 5000)]
    out: dict[int, tuple[str, str]] = {}
    for where in chunks:
        out.update(
            (r[0], (r[1], r[2]))
            for r in session.execute(select(_S.id, _S.code, _S.name).where(where)).all()
        )
    return out


@lru_cache(maxsize=4096)
def _requires(document: str) -> tuple[str, ...]:
    """The prerequisites' codes of a step's ``requires`` as stored (JSON text).  Projects filed
    under the same catalogue share most of their plan, so the same texts come back again and
    again: parsed once each."""
    return tuple(json.loads(document))


def _material_names(session: Session, catalog_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    out = {}
    for cid in set(catalog_ids):
        catalogue = catalogue_of(session, cid)
        names: dict[str, str] = {}
        for item in catalogue.items.values():
            for m in item.materials:
                names.setdefault(m.code, m.name)
        out[cid] = names
    return out


def collect_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    *,
    project_ids: Collection[int] | None = None,
    deferral_window: int = rules.DEFERRAL_WINDOW,
    checkpoint_window: int = rules.CHECKPOINT_WINDOW,
) -> list[Alert]:
    """Every alert of the projects followed (of ``project_ids`` only, when given), computed
    now, not stored.

    A few queries, each over plain columns and pre-filtered in SQL to the rows a rule could
    flag (plus the step names of the flagged tasks, by id); the rules of
    :mod:`agent_service.alerts` decide.  No query reads every project.
    """
    found: list[Alert] = []
    ids = list(project_ids) if project_ids is not None else []
    limit_ids = project_ids is not None
    if limit_ids and not ids:
        return found

    def scoped(q: Any, column: Any) -> Any:
        return q.where(column.in_(ids)) if limit_ids else q

    active = _P.status.in_(ACTIVE)
    dept_names = dict(session.execute(select(DepartmentRow.code, DepartmentRow.name)).all())
    # The projects in review and their filing days.  The task and step queries below filter on
    # their own indexed columns and are checked against this map, not joined to the projects:
    # a join lets the planner walk every project's tasks and steps.
    filed_on: dict[int, date] = dict(
        session.execute(scoped(select(_P.id, _P.filed_on).where(active), _P.id)).all()
    )

    # 1. review clocks in warning or overdue (tasks in review due within the warning window);
    # the steps' names are looked up by id afterwards (joining them would scan every step).
    # A running clock's state depends on its status and due day only: that is all it reads.
    bound = rules.window_end(calendar, today, wf.WARNING_DAYS)
    q = select(
        _T.id,
        _T.project_id,
        _T.step_id,
        _T.department,
        _T.days,
        _T.due_on,
        _T.stopped_days,
    ).where(_T.status == "in_review", _T.due_on <= bound)
    rows = [r for r in session.execute(scoped(q, _T.project_id)).all() if r[1] in filed_on]
    step_names = _step_names(session, {r[2] for r in rows})
    for tid, pid, step_id, dept, days, due, stopped in rows:
        code, name = step_names[step_id]
        clock = wf.TaskClock("in_review", days, due_on=due, stopped_days=stopped)
        alert = rules.task_alert(
            pid, tid, code, name, dept_names.get(dept, dept), clock, today, calendar
        )
        if alert is not None:
            found.append(alert)

    # 2. slack used up (steps ready or under way, no slack left, slipped past the baseline).
    # A step still waiting slips because a prerequisite does, reported while that one ran late
    # (see agent_service.alerts); these rows are few.  ``requires`` is read as text and
    # parsed here (once per distinct text), cheaper than the JSON type's processing.
    q = select(
        _S.project_id,
        _S.code,
        _S.name,
        _S.status,
        _S.slack,
        _S.forecast_es,
        _S.forecast_ef,
        _S.baseline_ef,
        cast(_S.requires, String),
    ).where(
        _S.status.in_(["ready", "in_progress"]),
        _S.slack <= 0,
        _S.forecast_ef > _S.baseline_ef,
    )
    slack_rows: dict[int, list[rules.StepSlack]] = {}
    seqs: dict[date, Any] = {}
    for pid, code, name, status, slack, f_es, f_ef, b_ef, requires in session.execute(
        scoped(q, _S.project_id)
    ).all():
        filed = filed_on.get(pid)
        if filed is None:
            continue  # not in review
        seq = seqs.get(filed) or seqs.setdefault(filed, calendar.sequence(filed))
        end = seq.date_of(max(f_ef - 1, f_es or 0))
        slack_rows.setdefault(pid, []).append(
            rules.StepSlack(code, name, status, slack, f_ef, b_ef, end, _requires(requires))
        )
    for pid, steps in slack_rows.items():
        found.extend(rules.slack_alerts(pid, steps))

    # 3. 容缺 materials falling due or overdue
    bound = rules.window_end(calendar, today, deferral_window)
    q = (
        select(_D.id, _D.material_code, _D.due_on, _T.project_id, _T.step_id, _P.catalog_id)
        .select_from(
            DeferralRow.__table__.join(TaskRow.__table__, _D.task_id == _T.id).join(
                ProjectRow.__table__, _T.project_id == _P.id
            )
        )
        .where(
            _D.supplied_on.is_(None),
            _D.due_on <= bound,
            _T.status != "rejected",
            active,
        )
    )
    deferrals = session.execute(scoped(q, _T.project_id)).all()
    step_names = _step_names(session, {r[4] for r in deferrals})
    names = _material_names(session, {r[5] for r in deferrals})
    for did, material, due, pid, step_id, catalog_id in deferrals:
        label = names[catalog_id].get(material)
        shown = f"{material}（{label}）" if label else material
        alert = rules.deferral_alert(
            pid, did, shown, step_names[step_id][0], due, None, today, calendar, deferral_window
        )
        if alert is not None:
            found.append(alert)

    # 4. joint-meeting actions overdue
    q = (
        select(_A.id, _A.project_id, _A.text, _A.owner, _A.due_on)
        .select_from(MeetingActionRow.__table__.join(ProjectRow.__table__, _A.project_id == _P.id))
        .where(_A.status == "open", _A.due_on < today, _P.status.in_(FOLLOWED))
    )
    for aid, pid, what, owner, due in session.execute(scoped(q, _A.project_id)).all():
        alert = rules.action_alert(pid, aid, what, owner, due, "open", today)
        if alert is not None:
            found.append(alert)

    # 5. commitment checkpoints (and other packages' entries) coming
    if not limit_ids:
        ids = list(session.scalars(select(_P.id).where(_P.status.in_(FOLLOWED))).all())
    for pid, entries in extra_entries(session, ids, today).items():
        for x in entries:
            if x.kind != "checkpoint":
                continue
            alert = rules.checkpoint_alert(
                pid, x.key, x.title, x.due_on, x.done_on, today, calendar, checkpoint_window
            )
            if alert is not None:
                found.append(alert)
    return found


@dataclass
class ScanResult:
    """What a scan found: every alert of the day, how many were new, on how many projects."""

    on: date
    projects: int
    alerts: list[Alert] = field(default_factory=list)
    new: int = 0

    @property
    def at_risk(self) -> int:
        return len({a.project_id for a in self.alerts})


#: The inbox's columns as the scan writes them.
_ALERT_COLUMNS = (
    "project_id",
    "agent_user_id",
    "kind",
    "subject",
    "raised_on",
    "level",
    "title_zh",
    "title_en",
    "due_on",
    "created_at",
)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the day's new alerts; one that a concurrent scan stored meanwhile is skipped
    (``ON CONFLICT DO NOTHING`` on the per-day unique key).

    On PostgreSQL the rows are streamed with ``COPY`` into a temporary table and moved with one
    ``INSERT … SELECT``: an executemany sends one INSERT per row, and psycopg dumps big array
    parameters in Python — each several times slower for thousands of rows.
    """
    now = datetime.now(UTC)
    for r in rows:
        r.setdefault("created_at", now)
    if session.get_bind().dialect.name == "postgresql":
        table, names = AlertRow.__tablename__, ", ".join(_ALERT_COLUMNS)
        raw = session.connection().connection.dbapi_connection  # psycopg, in this transaction
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE {table}_new (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            with cur.copy(f"COPY {table}_new ({names}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(tuple(r[c] for c in _ALERT_COLUMNS))
            cur.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_new "
                "ON CONFLICT DO NOTHING"
            )
            cur.execute(f"DROP TABLE {table}_new")
        return
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(AlertRow.__table__).on_conflict_do_nothing()  # Core: no ORM per row
    for i in range(0, len(rows), 5000):
        session.execute(statement, rows[i : i + 5000])


def scan_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    *,
    deferral_window: int = rules.DEFERRAL_WINDOW,
    checkpoint_window: int = rules.CHECKPOINT_WINDOW,
) -> ScanResult:
    """The daily scan: raise today's alerts into the inboxes of the projects' agents.

    Idempotent: an alert is stored once per (project, kind, subject, day), so running the scan
    again the same day adds only what is new.  Set-based (see :func:`collect_alerts`).
    """
    begin_write(session)
    found = collect_alerts(
        session,
        today,
        calendar,
        deferral_window=deferral_window,
        checkpoint_window=checkpoint_window,
    )
    agent_of = dict(
        session.execute(select(_P.id, _P.agent_user_id).where(_P.status.in_(FOLLOWED))).all()
    )
    inbox_ = AlertRow.__table__.c
    known = set(
        session.execute(
            select(inbox_.project_id, inbox_.kind, inbox_.subject).where(inbox_.raised_on == today)
        ).all()
    )
    rows = []
    for a in found:
        key = (a.project_id, a.kind, a.subject)
        if key in known:
            continue
        known.add(key)
        rows.append(
            {
                "project_id": a.project_id,
                "agent_user_id": agent_of.get(a.project_id),
                "kind": a.kind,
                "subject": a.subject,
                "raised_on": today,
                "level": a.level,
                "title_zh": a.title.zh,
                "title_en": a.title.en,
                "due_on": a.due_on,
            }
        )
    if rows:
        _insert_ignoring_duplicates(session, rows)
    return ScanResult(today, len(agent_of), found, len(rows))


# --- the inbox ----------------------------------------------------------------------------------


def alert_out(a: AlertRow, codes: dict[int, str], lang: Lang = "zh") -> dict[str, Any]:
    return {
        "id": a.id,
        "project_id": a.project_id,
        "project_code": codes.get(a.project_id),
        "kind": a.kind,
        "kind_name": rules.KIND_NAMES.get(a.kind, Text(a.kind, a.kind))(lang),
        "subject": a.subject,
        "level": a.level,
        "title": a.title_en if lang == "en" else a.title_zh,
        "raised_on": a.raised_on.isoformat(),
        "due_on": a.due_on.isoformat() if a.due_on else None,
        "read": a.read_at is not None,
        "read_at": a.read_at.isoformat() if a.read_at else None,
    }


def inbox(
    session: Session,
    actor: Actor,
    *,
    agent_user_id: int | None = None,
    unread_only: bool = False,
    limit: int = 100,
    offset: int = 0,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """An agent's inbox, newest day first and overdue before warning on the same day."""
    target = _agent_target(actor, agent_user_id)
    q = select(AlertRow).where(AlertRow.agent_user_id == target)
    if unread_only:
        q = q.where(AlertRow.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    unread = (
        session.scalar(
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.agent_user_id == target, AlertRow.read_at.is_(None))
        )
        or 0
    )
    rows = session.scalars(
        q.order_by(
            AlertRow.raised_on.desc(),
            (AlertRow.level == "overdue").desc(),
            AlertRow.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    codes = dict(
        session.execute(
            select(ProjectRow.id, ProjectRow.code).where(
                ProjectRow.id.in_({r.project_id for r in rows})
            )
        ).all()
    )
    return {
        "items": [alert_out(r, codes, lang) for r in rows],
        "total": total,
        "unread": unread,
        "limit": limit,
        "offset": offset,
    }


def mark_read(
    session: Session, actor: Actor, ids: Sequence[int] = (), *, everything: bool = False
) -> int:
    """Mark the agent's own alerts read (``everything``: all unread).  Returns how many changed.

    Raises
    ------
    AgentNotFound
        An id that is not one of the caller's alerts (named).
    """
    if actor.role != "agent" or actor.user_id is None:
        raise AgentForbidden("只有代办员本人可以标记已读", "only the agent marks their alerts read")
    begin_write(session)
    mine = AlertRow.agent_user_id == actor.user_id
    now = datetime.now(UTC)
    if everything:
        result = session.execute(
            update(AlertRow).where(mine, AlertRow.read_at.is_(None)).values(read_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    wanted = list(dict.fromkeys(ids))
    owned = set(session.scalars(select(AlertRow.id).where(mine, AlertRow.id.in_(wanted))))
    for i in wanted:
        if i not in owned:
            raise AgentNotFound(f"提醒 {i} 不存在", f"alert {i} not found")
    result = session.execute(
        update(AlertRow)
        .where(AlertRow.id.in_(wanted), AlertRow.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the agent's dashboard and the administrator's workload -------------------------------------


def _alert_dict(a: Alert, lang: Lang) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "kind_name": rules.KIND_NAMES.get(a.kind, Text(a.kind, a.kind))(lang),
        "subject": a.subject,
        "level": a.level,
        "title": a.title(lang),
        "due_on": a.due_on.isoformat() if a.due_on else None,
    }


def _sorted_alerts(found: Iterable[Alert]) -> list[Alert]:
    return sorted(
        found, key=lambda a: (RISK_RANK[a.level], a.due_on or date.max, a.kind, a.subject)
    )


def dashboard(
    session: Session,
    actor: Actor,
    today: date,
    calendar: WorkCalendar,
    *,
    agent_user_id: int | None = None,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """My projects, at-risk ones first (overdue, then warning, then the most behind plan), each
    with its alerts, current phase, next milestone and open actions; and my figures."""
    target = _agent_target(actor, agent_user_id)
    user = _agent_user(session, target)
    briefs = _briefs(session, agent_user_id=target)
    found = collect_alerts(session, today, calendar, project_ids=list(briefs))
    by_project: dict[int, list[Alert]] = {}
    for a in found:
        by_project.setdefault(a.project_id, []).append(a)
    views = _step_views_bulk(session, list(briefs.values()), calendar)
    marks = project_milestones(session, list(briefs.values()), today, calendar, views)
    meetings_, actions_ = _meetings_of(session, list(briefs))
    enterprises = dict(
        session.execute(
            select(ProjectRow.id, EnterpriseRow.name)
            .join(EnterpriseRow, EnterpriseRow.id == ProjectRow.enterprise_id)
            .where(ProjectRow.id.in_(list(briefs)))
        ).all()
    )
    items = []
    for p in briefs.values():
        mine = _sorted_alerts(by_project.get(p.id, []))
        steps = views[p.id]
        phase = current_phase(steps, phases(steps)) if steps else "pre_landing"
        seq = calendar.sequence(p.filed_on)
        variance = (
            seq.index_of(p.predicted_finish) - seq.index_of(p.baseline_finish)
            if p.predicted_finish
            else None
        )
        upcoming = [m for m in marks[p.id] if m.met_on is None]
        nxt = upcoming[0] if upcoming else None
        meet = [m for m in meetings_ if m.project_id == p.id and m.held_on >= today]
        items.append(
            {
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "enterprise": enterprises.get(p.id),
                "status": p.status,
                "phase": phase,
                "phase_name": PHASES[phase](lang),
                "filed_on": p.filed_on.isoformat(),
                "baseline_finish": p.baseline_finish.isoformat(),
                "predicted_finish": p.predicted_finish.isoformat() if p.predicted_finish else None,
                "variance_workdays": variance,
                "risk": rules.worst_level(mine),
                "alerts": [_alert_dict(a, lang) for a in mine],
                "next_milestone": nxt.to_dict(lang) if nxt else None,
                "milestones_at_risk": sum(
                    1 for m in upcoming if m.status in {"overdue", "at_risk"}
                ),
                "open_actions": sum(
                    1 for a in actions_ if a.project_id == p.id and a.status == "open"
                ),
                "next_meeting": {
                    "id": meet[0].id,
                    "title": meet[0].title,
                    "held_on": meet[0].held_on.isoformat(),
                }
                if meet
                else None,
            }
        )
    items.sort(key=lambda i: (RISK_RANK[i["risk"]], -(i["variance_workdays"] or 0), i["id"]))
    profile = session.get(AgentProfileRow, user.id)
    unread = (
        session.scalar(
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.agent_user_id == user.id, AlertRow.read_at.is_(None))
        )
        or 0
    )
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


def agent_projects(
    session: Session, actor: Actor, *, agent_user_id: int | None = None
) -> list[dict[str, Any]]:
    """The projects an agent carries (every status), newest first."""
    target = _agent_target(actor, agent_user_id)
    _agent_user(session, target)
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


def workload(session: Session, actor: Actor, today: date, calendar: WorkCalendar) -> dict[str, Any]:
    """Workload figures per agent for the administrator: projects carried (active, completed),
    capacity and utilisation, projects at risk today, open follow-up actions, unread alerts;
    and how many active projects have no agent."""
    if actor.role != "admin":
        raise AgentForbidden(
            "只有管理员可以查看代办员工作量", "only administrators read the agents' workload"
        )
    briefs = _briefs(session)
    found = collect_alerts(session, today, calendar)
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
    open_actions = dict(
        session.execute(
            select(ProjectRow.agent_user_id, func.count())
            .select_from(MeetingActionRow)
            .join(ProjectRow, ProjectRow.id == MeetingActionRow.project_id)
            .where(MeetingActionRow.status == "open")
            .group_by(ProjectRow.agent_user_id)
        ).all()
    )
    unread = dict(
        session.execute(
            select(AlertRow.agent_user_id, func.count())
            .where(AlertRow.read_at.is_(None))
            .group_by(AlertRow.agent_user_id)
        ).all()
    )
    agents = []
    profiles = {p.user_id: p for p in session.scalars(select(AgentProfileRow))}
    for user in session.scalars(
        select(UserRow).where(UserRow.role == "agent").order_by(UserRow.id)
    ):
        figures = per.get(user.id, {"active": 0, "completed": 0, "at_risk": 0, "overdue": 0})
        out = profile_out(session, user, profiles.get(user.id))
        capacity = out["capacity"]
        agents.append(
            {
                **out,
                # ``active`` below is the count of projects in review; the profile's flag
                # (taking new projects or not) is kept as ``enabled``
                "enabled": out["active"],
                **figures,
                "utilisation": round(figures["active"] / capacity, 2) if capacity else None,
                "open_actions": open_actions.get(user.id, 0),
                "unread_alerts": unread.get(user.id, 0),
            }
        )
    none = per.get(None, {"active": 0, "at_risk": 0})
    return {
        "today": today.isoformat(),
        "agents": agents,
        "unassigned": {"active": none["active"], "at_risk": none["at_risk"]},
    }


# --- the daily digest (每日提醒) --------------------------------------------------------------------


def digest(
    session: Session,
    on: date,
    calendar: WorkCalendar,
    *,
    username: str | None = None,
    window: int = DIGEST_WINDOW,
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
    users_q = select(UserRow).where(UserRow.role == "agent").order_by(UserRow.id)
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
        briefs = _briefs(session, agent_user_id=only)
        alerts_q = alerts_q.where(AlertRow.agent_user_id == only)
    else:
        briefs = _briefs(session)
    stored = session.scalars(alerts_q).all()
    followed = [p for p in briefs.values() if p.agent_user_id in wanted_ids]
    marks = project_milestones(session, followed, on, calendar)
    meetings_, actions_ = _meetings_of(session, [p.id for p in followed])
    out = []
    groups: list[tuple[int | None, str, str, str]] = [
        (u.id, u.username, u.display_name or u.username, u.phone) for u in users
    ]
    if username is None and any(a.agent_user_id is None for a in stored):
        groups.append((None, "—", "", ""))
    for uid, uname, name, phone in groups:
        d = AgentDigest(uid, uname, name, phone, on)
        mine = [p for p in briefs.values() if p.agent_user_id == uid]
        d.projects = len(mine)
        by_project: dict[int, DigestProject] = {}
        for a in stored:
            if a.agent_user_id != uid:
                continue
            p = briefs.get(a.project_id)
            entry = by_project.get(a.project_id) or by_project.setdefault(
                a.project_id,
                DigestProject(
                    a.project_id, p.code if p else str(a.project_id), p.name if p else ""
                ),
            )
            entry.alerts.append(
                Alert(
                    a.project_id, a.kind, a.subject, a.level, Text(a.title_zh, a.title_en), a.due_on
                )
            )
        for entry in by_project.values():
            entry.alerts = _sorted_alerts(entry.alerts)
        d.at_risk = sorted(
            by_project.values(),
            key=lambda e: (RISK_RANK[rules.worst_level(e.alerts)], -len(e.alerts), e.code),
        )
        if uid is not None:
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
        out.append(d)
    return out


# --- the iCalendar feed ---------------------------------------------------------------------------


def calendar_feed(
    session: Session,
    actor: Actor,
    agent_user_id: int,
    today: date,
    calendar: WorkCalendar,
    lang: Lang = "zh",
) -> bytes:
    """An agent's calendar (``.ics``): every milestone of their projects as an all-day event on
    its due date, every joint meeting on its day, every follow-up action as a to-do.

    Readable by the agent, regulators and administrators; another agent gets 'not found'.
    """
    target = _agent_target(actor, agent_user_id)
    user = _agent_user(session, target)
    briefs = _briefs(session, agent_user_id=user.id)
    marks = project_milestones(session, list(briefs.values()), today, calendar)
    meetings_, actions_ = _meetings_of(session, list(briefs))
    names = contacts(session)
    items: list[CalendarItem] = []
    for p in briefs.values():
        for m in marks[p.id]:
            zh, en = MILESTONE_STATUS[m.status].zh, MILESTONE_STATUS[m.status].en
            mark = "✓ " if m.met_on else ("⚠ " if m.status in {"overdue", "at_risk"} else "")
            forecast = f"; forecast {m.forecast_on}" if m.forecast_on else ""
            items.append(
                CalendarItem(
                    uid=f"milestone-{p.id}-{m.key}@onetrip",
                    summary=f"{mark}{p.code} {m.title(lang)}",
                    start=m.due_on,
                    description=f"{zh} {en}{forecast}"
                    + (f"; met {m.met_on}" if m.met_on else "")
                    + f"\n{p.name}",
                    categories=("milestone", m.kind),
                    status="CONFIRMED",
                )
            )
    for m in meetings_:
        p = briefs[m.project_id]
        attendees = "、".join(
            (names.get(a.department) or Contact(a.department, a.department)).name
            for a in m.attendees
        )
        decisions = "\n".join(f"- {d.text}" for d in m.decisions)
        items.append(
            CalendarItem(
                uid=f"meeting-{m.id}@onetrip",
                summary=f"{'联席会议' if lang == 'zh' else 'joint meeting'}：{m.title}（{p.code}）",
                start=m.held_on,
                description=f"{p.name}\n{attendees}" + (f"\n{decisions}" if decisions else ""),
                location=m.location,
                categories=("meeting",),
                status="CONFIRMED",
            )
        )
    for a in actions_:
        p = briefs[a.project_id]
        items.append(
            CalendarItem(
                uid=f"action-{a.id}@onetrip",
                summary=f"{a.text}（{a.owner}，{p.code}）",
                start=a.due_on,
                kind="todo",
                categories=("action",),
                status="COMPLETED" if a.status == "closed" else "NEEDS-ACTION",
            )
        )
    name = user.display_name or user.username
    title = f"{name} 代办日程" if lang == "zh" else f"{name} — agent calendar"
    return to_ics(title, items, datetime.now(UTC).replace(microsecond=0))
