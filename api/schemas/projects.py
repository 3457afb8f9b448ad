"""Projects: the summary, filing (一窗受理) with its notice, the live plan, materials, ratings."""

from __future__ import annotations

from typing import Any

from api.schemas.catalog import PlanMaterial, ReducedToCommitment, Requirement, Waived
from api.schemas.common import Out, PageMeta
from api.schemas.tasks import MaterialState, TaskSummary


class EnterpriseRef(Out):
    id: int
    name: str | None


class ClockDelays(Out):
    """Whose a delay is (working days): the departments' (部门原因), the enterprise's (企业原因),
    an intermediary's (中介原因), and a line saying so."""

    department: int
    enterprise: int
    intermediary: int
    note: str


class ProjectOut(Out):
    id: int
    code: str
    name: str
    status: str
    version: int
    enterprise: EnterpriseRef
    plot: str | None
    filed_on: str
    attributes: dict[str, Any]
    form: dict[str, Any]
    baseline_finish: str
    predicted_finish: str | None
    plan_finish: str | None
    finish_delays: ClockDelays | None
    baseline_makespan_workdays: int
    serial_workdays: int
    steps: dict[str, int]
    agent_user_id: int | None


class ProjectPage(PageMeta):
    items: list[ProjectOut]


class AgentContact(Out):
    """The project's agent (代办员): name and contact."""

    id: int
    name: str
    phone: str
    email: str
    office: str
    assigned_on: str | None


class FilingNoticeItem(Out):
    code: str
    name: str
    departments: list[str]
    days: int


class FilingNotice(Out):
    """一次告知: every item and material, told once."""

    items: list[FilingNoticeItem]
    waived: list[Waived]
    reduced_to_commitment: list[ReducedToCommitment]
    materials_to_submit: list[PlanMaterial]
    certificates_passed_on: list[PlanMaterial]


class FiledProjectOut(ProjectOut):
    agent: AgentContact | None
    notice: FilingNotice


class PlanStep(Out):
    code: str
    name: str
    kind: str
    mode: str
    stage: int
    departments: list[str]
    days: int
    status: str
    requires: list[Requirement]
    baseline_start: str | None
    baseline_end: str | None
    actual_start: str | None
    actual_end: str | None
    forecast_start: str | None
    forecast_end: str | None
    baseline_es: int
    baseline_ef: int
    forecast_es: int | None
    forecast_ef: int | None
    variance_workdays: int | None
    plan_end: str | None
    delays: ClockDelays | None
    waits_for: str | None
    slack: int | None
    critical: bool
    tasks: list[TaskSummary]
    change_reason: str | None


class PlanChange(Out):
    """Why the plan moved (a step's end, the project's finish)."""

    on: str
    step: str | None
    old_end: str | None
    new_end: str | None
    old_finish: str | None
    new_finish: str | None
    reason: str


class LivePlanOut(Out):
    project_id: int
    code: str
    name: str
    status: str
    filed_on: str
    today: str
    today_workday: int
    baseline_finish: str
    predicted_finish: str | None
    plan_finish: str | None
    finish_delays: ClockDelays | None
    variance_workdays: int | None
    baseline_makespan_workdays: int
    serial_workdays: int
    waived: list[Waived]
    reduced_to_commitment: list[ReducedToCommitment]
    provisional: bool
    steps: list[PlanStep]
    changes: list[PlanChange]


class ProjectTask(TaskSummary):
    step_code: str
    step_name: str
    critical: bool
    slack: int | None


class ProjectTasksOut(Out):
    items: list[ProjectTask]


class NeededMaterial(MaterialState):
    needed_by: list[str]


class Upload(Out):
    id: int
    code: str
    filename: str
    sha256: str
    size: int
    content_type: str
    current: bool
    uploaded_at: str


class MaterialsOut(Out):
    needed: list[NeededMaterial]
    uploads: list[Upload]


class UploadedOut(Out):
    id: int
    code: str
    sha256: str
    size: int
    filename: str
    content_type: str


class Certificate(Out):
    id: int
    code: str
    name: str
    number: str
    item: str
    issued_on: str
    issued_by: str
    status: str  # valid | revoked
    content_sha256: str
    verify_path: str


class CertificatesOut(Out):
    items: list[Certificate]


class RatedOut(Out):
    step: str
    score: int
    label: str
    comment: str


class Rating(RatedOut):
    departments: list[str]
    rated_at: str


class RatingsOut(Out):
    items: list[Rating]


class AuditEntry(Out):
    id: int
    at: str
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str
    project_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditOut(Out):
    items: list[AuditEntry]
