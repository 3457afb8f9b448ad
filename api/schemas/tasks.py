"""Department review tasks: the task with its clock, the worklist, the task in detail."""

from __future__ import annotations

from api.schemas.common import Out, PageMeta


class Deferral(Out):
    """A deferred (容缺) material and its deadline."""

    material: str
    due_on: str
    supplied_on: str | None


class TaskSummary(Out):
    id: int
    department: str
    status: str
    version: int
    ready_on: str | None
    accepted_on: str | None
    due_on: str | None
    decided_on: str | None
    stopped_since: str | None
    stopped_days: int
    stop_kind: str | None
    clock: str
    workdays_left: int | None
    blocked_by: list[str]
    deferrals: list[Deferral]
    reviewer: str | None
    note: str


class WorklistTask(TaskSummary):
    project_id: int
    project_code: str
    project_name: str
    step_code: str
    step_name: str
    critical: bool
    slack: int | None
    overdue_workdays: int
    intake_due_on: str | None
    intake_overdue: bool


class WorklistOut(PageMeta):
    items: list[WorklistTask]


class MaterialCertificate(Out):
    id: int
    number: str
    status: str  # valid | revoked
    issued_on: str
    item: str


class MaterialUploadRef(Out):
    id: int
    filename: str
    sha256: str
    size: int


class MaterialState(Out):
    """A material a step needs: passed on as a certificate (``certificate``; ``pending`` while the
    earlier item has not issued it; ``revoked``), uploaded, or missing."""

    code: str
    name: str
    name_en: str
    deferrable: bool
    deferral_days: int
    state: str
    certificate: MaterialCertificate | None
    upload: MaterialUploadRef | None


class Correction(Out):
    id: int
    requested_on: str
    reasons: str
    materials: list[str]
    resolved_on: str | None
    stage: str  # review | intake (一次性告知补正 before acceptance)


class TaskOut(TaskSummary):
    project_id: int
    project_code: str
    project_name: str
    step_code: str
    step_name: str
    step_kind: str
    step_mode: str
    items: list[str]
    critical: bool
    slack: int | None
    materials: list[MaterialState]
    corrections: list[Correction]
    intake_due_on: str | None  # 受理时限
    intake_overdue: bool
