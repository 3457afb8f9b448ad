"""Agents' profiles (服务范围, capacity), their load, and the departments' contacts; the zone
and industry of a project that the assignment rule matches on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.accounts import NewUser, add_user
from access.actor import Actor, Role
from access.orm import UserRow
from access.policy import Action, can
from agent_service.errors import AgentForbidden, AgentInputError, AgentNotFound
from agent_service.model import AgentProfile
from agent_service.orm import AgentProfileRow
from agent_service.services.common import ACTIVE, agent_user
from approvals.orm import DepartmentRow, ProjectRow
from landplots.orm import PlotRow
from storage.audit import record
from storage.engine import begin_write

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
        .where(UserRow.role == Role.AGENT)
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
    if not can(actor, Action.AGENT_MANAGE):
        raise AgentForbidden(
            "只有管理员可以设置代办员的服务范围", "only administrators edit agents' profiles"
        )
    user = agent_user(session, user_id)
    if capacity < 0:
        raise AgentInputError("承载量：不能为负数", "capacity: must not be negative")
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
    if not can(actor, Action.AGENT_MANAGE):
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


def create_agent(
    session: Session,
    actor: Actor,
    new: NewUser,
    *,
    regions: Sequence[str],
    industries: Sequence[str],
    capacity: int,
    office: str = "",
) -> UserRow:
    """An administrator creates a 代办员 account together with its profile: the zones it serves,
    its industries, how many projects it takes at once and its phone (the assignment rule needs
    them from the first day); the caller commits.

    Raises
    ------
    AgentInputError
        Naming the field: no zone, capacity below 1, no phone.
    AccountError, AccessForbidden
        What :func:`access.accounts.add_user` refuses.
    """
    if new.role != Role.AGENT:
        raise AgentInputError("role：须为代办员", "role: must be agent")
    if not [r for r in regions if r.strip()]:
        raise AgentInputError("regions：请至少指定一个负责片区", "regions: at least one zone")
    if capacity < 1:
        raise AgentInputError("capacity：至少为 1", "capacity: at least 1")
    if not new.phone.strip():
        raise AgentInputError("phone：代办员须留联系电话", "phone: required for an agent")
    user = add_user(session, actor, new)
    save_profile(
        session,
        actor,
        user.id,
        regions=regions,
        industries=industries,
        capacity=capacity,
        office=office,
    )
    return user
