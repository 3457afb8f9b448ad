"""Filing a project at the one window (一窗受理): the 一次告知 questionnaire, project codes, and
the project planned once with its steps and tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue, parse_catalog
from approvals.errors import AccessDenied, ProjectError
from approvals.graph import Mechanisms
from approvals.orm import EnterpriseRow, ProjectRow, StepRow, TaskRow
from approvals.planning import Plan, plan
from approvals.ports import PlotAssessments
from approvals.project import AssessmentCoverage, Project, parse_assessment
from approvals.project_code import INDUSTRY_DIVISIONS, is_valid, make, prefix
from approvals.questionnaire import next_questions, resolve_answers
from approvals.service import ensure_default_catalogue
from approvals.services import capacity
from approvals.services.progress import advance, replan
from storage.audit import record


def assessments_for(
    session: Session,
    plot_code: str | None,
    declared: Sequence[Any],
    on: date,
    plots: PlotAssessments | None = None,
) -> tuple[AssessmentCoverage, ...]:
    """The regional assessments that cover the project: the plot's zone's (when a plot registry
    is wired in and a plot is named), else those the applicant declared."""
    if plot_code and plots is not None:
        return tuple(plots(session, plot_code, on))
    return tuple(parse_assessment(a, f"regional_assessments[{i}]") for i, a in enumerate(declared))


def new_project_code(
    session: Session,
    filed_on: date,
    attributes: dict[str, Any],
    region: str,
    project_type: str = "03",
) -> str:
    industry = INDUSTRY_DIVISIONS.get(str(attributes.get("industry")), "41")
    head = make(filed_on.year, region, industry, project_type, 1)
    like = prefix(head) + "-%"
    serial = (
        session.scalar(
            select(func.count()).select_from(ProjectRow).where(ProjectRow.code.like(like))
        )
        or 0
    ) + 1
    return make(filed_on.year, region, industry, project_type, serial)


def questionnaire(catalogue: Catalogue, answers: dict[str, Any]) -> dict[str, Any]:
    """一次告知: the questions still to answer, or — once complete — the full list of items and
    materials the project will need, told once."""
    pending = next_questions(catalogue, answers)
    return {"complete": not pending, "next_questions": [q.key for q in pending]}


def _filing_enterprise(session: Session, actor: Actor, named: int | None) -> int:
    """The enterprise the project is filed for: the enterprise itself, or — for the one window
    (:attr:`Action.PROJECT_FILE_FOR`) — the one it names."""
    if can(actor, Action.PROJECT_FILE_FOR):
        enterprise_id = named
    elif can(actor, Action.PROJECT_FILE):
        enterprise_id = actor.enterprise_id
    else:
        raise AccessDenied(
            "只有项目单位或综合窗口可以申报项目",
            "only an enterprise or the one window may file a project",
        )
    if enterprise_id is None or session.get(EnterpriseRow, enterprise_id) is None:
        raise ProjectError(
            f"企业 {enterprise_id} 不存在", f"enterprise {enterprise_id} does not exist"
        )
    return enterprise_id


def _complete_answers(catalogue: Catalogue, attributes: dict[str, Any]) -> dict[str, Any]:
    """The questionnaire's answers with defaults filled in; refused while one is missing."""
    pending = next_questions(catalogue, attributes)
    missing = [q.key for q in pending if not q.has_default]
    if missing:
        raise ProjectError(
            f"一次告知问卷尚未完成，缺少：{'、'.join(missing)}",
            f"the questionnaire is incomplete; missing answers: {', '.join(missing)}",
        )
    return resolve_answers(catalogue, attributes)


def _check_code(session: Session, code: str) -> None:
    if not is_valid(code):
        raise ProjectError(
            f"项目代码 '{code}' 格式不符（应为 年份-行政区划-行业-类型-流水号，如 2026-330110-34-03-000001）",
            f"project code '{code}' is malformed (year-region-industry-type-serial, e.g. 2026-330110-34-03-000001)",
        )
    if session.scalar(select(ProjectRow.id).where(ProjectRow.code == code)):
        raise ProjectError(f"项目代码 '{code}' 已被使用", f"project code '{code}' is already taken")


def _add_steps(session: Session, project: ProjectRow, baseline: Plan) -> None:
    """One step per planned item, one waiting task per department of the step."""
    for position, item in enumerate(baseline.items):
        step = StepRow(
            project_id=project.id,
            code=item.code,
            name=item.name,
            name_en=item.name_en,
            kind=item.kind,
            mode=item.mode,
            stage=item.stage,
            days=item.days,
            position=position,
            departments=list(item.departments),
            items=list(item.items),
            requires=dict(item.requires),
            status="waiting",
            baseline_es=item.es,
            baseline_ef=item.ef,
            forecast_es=item.es,
            forecast_ef=item.ef,
            slack=item.slack,
            critical=item.critical,
        )
        step.tasks = [
            TaskRow(project_id=project.id, department=d, status="waiting", days=item.days)
            for d in item.departments
        ]
        session.add(step)
    session.flush()


def file_project(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    name: str,
    attributes: dict[str, Any],
    filed_on: date,
    form: dict[str, Any] | None = None,
    plot_code: str | None = None,
    regional_assessments: Sequence[Any] = (),
    code: str | None = None,
    region: str = "330110",
    enterprise_id: int | None = None,
    plots: PlotAssessments | None = None,
) -> ProjectRow:
    """File a project once: plan it, create its steps and tasks, make the first ones ready.

    The enterprise files for itself; an administrator (the one window, 综合窗口) may file on an
    enterprise's behalf by naming it.  ``plots`` (the plot registry, wired by the composition
    root) gives a named plot's zone's regional assessments.

    Raises
    ------
    ProjectError
        A questionnaire answer is missing or malformed, the code is malformed or taken, the
        enterprise is unknown.
    """
    enterprise_id = _filing_enterprise(session, actor, enterprise_id)
    if not name.strip():
        raise ProjectError("项目名称不能为空", "the project name is required")
    catalog_row = ensure_default_catalogue(session)
    catalogue = parse_catalog(catalog_row.document, "active catalogue")
    answers = _complete_answers(catalogue, attributes)
    if code is not None:
        _check_code(session, code)
    else:
        code = new_project_code(session, filed_on, answers, region)
    assessments = assessments_for(session, plot_code, regional_assessments, filed_on, plots)
    domain = Project(
        answers, assessments, name=name, code=code, start_date=filed_on, plot=plot_code
    )
    # the live workflow follows the government's clock: its steps are the review items, each
    # with department tasks; the enterprise's and intermediaries' own activities (design,
    # construction, reports) are left out and bridged like items that do not apply, so no
    # department ever holds a task for them (their progress is the enterprise's to report)
    baseline = plan(catalogue, domain, calendar, filed_on, Mechanisms(activities=False))
    project = ProjectRow(
        code=code,
        name=name,
        enterprise_id=enterprise_id,
        catalog_id=catalog_row.id,
        plot_code=plot_code,
        attributes=answers,
        regional_assessments=list(regional_assessments),
        form=form or {},
        filed_on=filed_on,
        status="in_review",
        baseline=baseline.to_dict(),
        baseline_finish=baseline.finish_date,
        baseline_makespan=baseline.makespan,
        serial_workdays=baseline.serial,
        predicted_finish=baseline.finish_date,
    )
    session.add(project)
    session.flush()
    _add_steps(session, project, baseline)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="project.file",
        entity="project",
        entity_id=project.id,
        project_id=project.id,
        after={"code": code, "name": name, "plot": plot_code, "steps": len(baseline.items)},
    )
    advance(session, project, filed_on, calendar)
    replan(
        session,
        project,
        filed_on,
        calendar,
        "项目申报（一窗受理），生成基线计划",
        "project filed at the one window; baseline planned",
    )
    capacity.after_event(session, filed_on, calendar, f"filed {project.code}")
    return project
