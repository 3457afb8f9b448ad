"""The enterprise's own activities (two clocks) and the intermediaries (中介机构, 中介超市)."""

from __future__ import annotations

from api.schemas.common import Out, PageMeta


class IntermediaryRef(Out):
    id: int
    name: str
    phone: str


class ActivityDelays(Out):
    enterprise: int
    intermediary: int


class PushDelays(Out):
    """Calendar days an activity's forecast moves because of what it waits for, by cause."""

    department: int
    enterprise: int
    intermediary: int


class ActivityOut(Out, kw_only=True):
    """An enterprise's or intermediary's activity: plan, progress, forecast and whose a delay is."""

    id: int
    project_id: int
    code: str
    name: str
    owner: str
    owner_name: str
    unit: str
    days: int
    stage: int
    status: str
    status_name: str
    planned_start: str
    planned_end: str
    actual_start: str | None
    actual_end: str | None
    forecast_start: str
    forecast_end: str
    # its own forecast, before the review steps it waits for push it (施工 after 施工许可)
    own_forecast_start: str | None = None
    own_forecast_end: str | None = None
    pushed_days: int = 0
    pushed_by: PushDelays | None = None
    waits_for: str | None = None
    push_note: str = ""
    delay_days: int
    delays: ActivityDelays
    delay_note: str
    intermediary: IntermediaryRef | None
    chosen_on: str | None
    committed_days: int | None
    service_state: str | None
    service_state_name: str | None
    due_on: str | None
    workdays_used: int | None
    overdue_workdays: int
    report_material_id: int | None
    rating: int | None
    rating_label: str | None
    rating_comment: str
    version: int


class ProjectActivitiesOut(Out):
    project_id: int
    items: list[ActivityOut]
    enterprise_delay_days: int
    enterprise_late: int
    intermediary_delay_days: int
    intermediary_late: int
    department_push_days: int = 0


class AssignedActivityOut(ActivityOut, kw_only=True):
    """An activity the caller's organisation was chosen for, with its project."""

    project_code: str
    project_name: str


class AssignedActivitiesOut(Out):
    items: list[AssignedActivityOut]


class OfferOut(Out):
    intermediary_id: int
    name: str
    committed_days: int
    rating: float | None
    ratings: int


class MarketOut(Out):
    """中介超市: the organisations qualified for one activity, best rated first."""

    code: str
    name: str
    chosen: int | None
    offers: list[OfferOut]


class IntermediaryOut(Out):
    id: int
    name: str
    credit_code: str
    contact_name: str
    phone: str
    services: dict[str, int]
    active: bool
    rating: float | None
    ratings: int


class IntermediariesOut(Out):
    items: list[IntermediaryOut]


class ReportOut(Out):
    activity_id: int
    material_id: int
    sha256: str
    size: int
    filename: str


class SupervisionOut(Out):
    """督办: one record of an intermediary past its committed days (one per activity and level)."""

    id: int
    project_id: int
    project_code: str
    activity_id: int
    activity_code: str
    activity_name: str
    intermediary: str | None
    level: str
    level_name: str
    raised_on: str
    due_on: str | None
    overdue_workdays: int
    delivered: bool


class SupervisionsOut(PageMeta):
    items: list[SupervisionOut]
