"""Efficiency statistics (效能统计): the figures of a period per department, per item and for the
administration, the projects against the reform's targets, and the 好差评 with their follow-up."""

from __future__ import annotations

from api.schemas.common import Number, Out


class Figures(Out):
    """One department's, one item's or the whole administration's figures (rates in [0, 1],
    days in working days; ``ratings`` counts grades 1 … 5)."""

    cases: int
    approved: int
    rejected: int
    median_workdays: Number | None
    p90_workdays: Number | None
    max_workdays: int | None
    committed_days: int | None
    statutory_days: int | None
    within_committed_rate: Number | None
    within_statutory_rate: Number | None
    on_time: int
    overdue: int
    on_time_rate: Number | None
    overdue_rate: Number | None
    mean_wait_workdays: Number | None
    correction_rate: Number | None
    correction_rounds: int
    mean_correction_rounds: Number | None
    stopped_tasks: int
    stopped_days: int
    ratings: list[int]
    rated: int
    rating_average: Number | None
    bad_ratings: int


class DepartmentFigures(Figures, kw_only=True):
    department: str
    name: str
    name_en: str


class ItemFigures(Figures, kw_only=True):
    item: str
    name: str
    name_en: str
    stage: int | None
    department: str
    department_name: str


class RatingComment(Out):
    id: int
    project: str
    step: str
    departments: list[str]
    score: int
    comment: str
    rated_on: str | None
    follow_up: str  # none | pending | done
    follow_up_on: str | None
    follow_up_by: str | None
    follow_up_note: str


class TargetFigures(Out):
    count: int
    median: Number | None
    p90: Number | None
    max: int | None
    target: int
    within: int
    within_rate: Number | None
    histogram: list[list[int]]


class CodeToPermit(Out):
    standard: TargetFigures
    other: TargetFigures


class ApprovalToCompletion(Out):
    standard: TargetFigures
    other: TargetFigures
    all: TargetFigures


class MechanismSaving(Out):
    mechanism: str
    name: str
    name_en: str
    saved_workdays: int
    uses: int


class ProjectFigures(Out):
    completed: int
    code_to_permit: CodeToPermit
    approval_to_completion: ApprovalToCompletion
    mechanisms: list[MechanismSaving]


class ProjectLine(Out):
    id: int
    code: str
    name: str
    standard_plot: bool
    coded_on: str | None
    permit_on: str | None
    completed_on: str | None
    days_code_to_permit: int | None
    within_permit_target: bool | None
    approval_workdays: int | None
    within_approval_target: bool | None
    saved_waivers: int
    saved_early_starts: int
    saved_merges: int
    saved_splits: int


class StatisticsOut(Out):
    start: str
    end: str
    department: str | None
    zone: str | None
    industry: str | None
    overall: Figures
    departments: list[DepartmentFigures]
    items: list[ItemFigures]
    comments: list[RatingComment]
    projects: ProjectFigures | None
    project_rows: list[ProjectLine]


class FollowUpIn(Out):
    note: str


class FollowUpOut(Out):
    id: int
    follow_up_on: str
    follow_up_by: str
    follow_up_note: str
