"""Proxy agents (代办员): dashboard, inbox, workload, 代办清单, milestones, joint meetings."""

from __future__ import annotations

from api.schemas.common import Out
from api.schemas.projects import AgentContact, ClockDelays, EnterpriseRef


class AgentProfileOut(Out):
    id: int
    username: str
    name: str
    phone: str
    email: str
    office: str
    regions: list[str]
    industries: list[str]
    capacity: int
    active: bool


class DashboardAgent(AgentProfileOut):
    load: int


class DashboardSummary(Out):
    projects: int
    active: int
    at_risk: int
    overdue: int
    alerts: int
    unread_alerts: int
    open_actions: int
    upcoming_meetings: int


class ProjectAlert(Out):
    kind: str
    kind_name: str
    subject: str
    level: str
    title: str
    due_on: str | None


class MilestoneOut(Out):
    key: str
    kind: str
    title: str
    due_on: str
    forecast_on: str | None
    met_on: str | None
    status: str
    status_name: str
    steps: list[str]
    delays: ClockDelays | None


class MeetingRef(Out):
    id: int
    title: str
    held_on: str


class DashboardProject(Out):
    id: int
    code: str
    name: str
    enterprise: str | None
    status: str
    phase: str
    phase_name: str
    filed_on: str
    baseline_finish: str
    predicted_finish: str | None
    plan_finish: str | None
    finish_delays: ClockDelays | None
    variance_workdays: int | None
    risk: str | None
    alerts: list[ProjectAlert]
    next_milestone: MilestoneOut | None
    milestones_at_risk: int
    open_actions: int
    next_meeting: MeetingRef | None


class DashboardOut(Out):
    agent: DashboardAgent
    today: str
    summary: DashboardSummary
    projects: list[DashboardProject]


class AgentProject(Out):
    id: int
    code: str
    name: str
    status: str
    enterprise: EnterpriseRef
    filed_on: str
    baseline_finish: str
    predicted_finish: str | None
    zone: str | None
    industry: str | None


class AgentProjectsOut(Out):
    items: list[AgentProject]


class InboxAlert(Out):
    id: int
    project_id: int
    project_code: str | None
    kind: str
    kind_name: str
    subject: str
    level: str
    title: str
    raised_on: str
    due_on: str | None
    read: bool
    read_at: str | None


class InboxOut(Out):
    items: list[InboxAlert]
    total: int
    unread: int
    limit: int
    offset: int


class MarkedOut(Out):
    marked: int


class AgentWorkload(Out):
    """An agent's profile with its figures: ``active`` counts the active projects carried,
    ``enabled`` says whether the agent takes new ones."""

    id: int
    username: str
    name: str
    phone: str
    email: str
    office: str
    regions: list[str]
    industries: list[str]
    capacity: int
    active: int
    enabled: bool
    completed: int
    at_risk: int
    overdue: int
    utilisation: float | None
    open_actions: int
    unread_alerts: int


class Unassigned(Out):
    active: int
    at_risk: int


class WorkloadOut(Out):
    today: str
    agents: list[AgentWorkload]
    unassigned: Unassigned


class DepartmentContactOut(Out):
    code: str
    name: str
    contact_person: str
    phone: str
    address: str


class ScanOut(Out):
    on: str
    projects: int
    alerts: int
    new: int
    at_risk: int


class ProjectAgentOut(Out):
    project_id: int
    project_code: str
    agent: AgentContact | None


class AgentRef(Out):
    id: int
    username: str
    name: str


class Assignment(Out):
    id: int
    kind: str
    agent: AgentRef | None
    previous_agent: AgentRef | None
    reason: str
    assigned_on: str
    assigned_by: str


class AssignmentsOut(Out):
    items: list[Assignment]


class ProjectBrief(Out):
    id: int
    code: str
    name: str
    status: str
    agent_user_id: int | None


class EntryDepartment(DepartmentContactOut):
    task_status: str | None
    clock: str | None
    task_due_on: str | None


class EntryMaterial(Out):
    code: str
    name: str
    state: str
    deferrable: bool
    deferred_until: str | None


class ChecklistEntry(Out):
    key: str
    phase: str
    kind: str
    title: str
    status: str
    start: str | None
    due: str | None
    baseline_due: str | None
    done_on: str | None
    critical: bool
    slack: int | None
    departments: list[EntryDepartment]
    materials: list[EntryMaterial]
    materials_missing: int
    note: str
    ticked: bool
    ticked_on: str | None


class ChecklistPhase(Out):
    phase: str
    name: str
    current: bool
    total: int
    done: int
    entries: list[ChecklistEntry]


class ChecklistOut(Out):
    project: ProjectBrief
    today: str
    current_phase: str
    phases: list[ChecklistPhase]


class NoteOut(Out):
    key: str
    note: str
    done: bool
    done_on: str | None


class MilestonesOut(Out):
    items: list[MilestoneOut]


class MilestoneAdded(Out):
    id: int
    key: str
    title: str
    due_on: str


class MilestoneMet(Out):
    id: int
    met_on: str | None


class Attendee(DepartmentContactOut):
    person: str


class Decision(Out):
    position: int
    text: str
    recorded_on: str


class ActionOut(Out):
    """A follow-up action of a joint meeting."""

    id: int
    meeting_id: int
    text: str
    owner: str
    owner_department: str | None
    due_on: str
    status: str
    closed_on: str | None
    closed_by: str | None
    closing_note: str


class MeetingOut(Out):
    id: int
    project_id: int
    title: str
    held_on: str
    location: str
    agenda: str
    status: str
    status_name: str
    convened_by: str
    minutes_on: str | None
    attendees: list[Attendee]
    decisions: list[Decision]
    actions: list[ActionOut]


class MeetingsOut(Out):
    items: list[MeetingOut]
