"""Filing a project at the one window (一窗受理): the 一次告知 questionnaire, project codes, and
the project planned once with its steps and tasks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue, parse_catalog
from approvals.errors import AccessDenied, FilingInvalid, ProjectError
from approvals.graph import Mechanisms
from approvals.orm import EnterpriseRow, ProjectRow, StepRow, TaskRow
from approvals.planning import Plan, plan
from approvals.ports import PlotAssessments, PlotFacts
from approvals.project import AssessmentCoverage, Project, parse_assessment
from approvals.project_code import INDUSTRY_DIVISIONS, is_valid, make, prefix
from approvals.questionnaire import next_questions, resolve_answers
from approvals.service import ensure_default_catalogue
from approvals.services import capacity, intermediaries, statistics
from approvals.services.progress import advance, replan
from i18n import LocalizedError, Text
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


#: Plausible ranges of the questionnaire's figures: (lowest, whether the lowest is allowed,
#: highest).  A figure outside them is a typing slip, not a project (the largest industrial
#: projects invest a few hundred 亿元 and burn a few million tce a year).
FIGURE_RANGES: dict[str, tuple[float, bool, float]] = {
    "investment": (0, False, 10_000_000),  # 万元: at most 1,000 亿元
    "land_area_mu": (0, False, 30_000),  # 亩: 20 km²
    "building_area": (0, False, 10_000_000),  # m²
    "annual_energy_tce": (0, True, 50_000_000),  # 吨标准煤 a year
}

#: How far a declared land area may exceed the plot's surveyed area (rounding of 亩).
AREA_TOLERANCE = 0.05

#: Plot statuses a project may be filed on: 挂牌 for anyone; once sold (or built on), only for
#: the enterprise that bought it.
_SOLD = {"sold", "started", "completed", "producing"}


def _label(catalogue: Catalogue, key: str) -> Text:
    """A field's name in both languages: the question's text and unit."""
    fixed = {
        "name": Text("项目名称", "project name"),
        "plot": Text("标准地地块编码", "standard plot code"),
    }
    if key in fixed:
        return fixed[key]
    q = catalogue.questions.get(key)
    if q is None:
        return Text(key, key)
    unit = f"（{q.unit}）" if q.unit else ""
    unit_en = f" ({q.unit})" if q.unit else ""
    return Text(f"{q.text}{unit}", f"{q.text_en or q.text}{unit_en}")


def _field(catalogue: Catalogue, key: str, zh: str, en: str) -> Text:
    label = _label(catalogue, key)
    return Text(f"{label.zh}：{zh}", f"{label.en}: {en}")


def _figure_problems(catalogue: Catalogue, answers: dict[str, Any]) -> dict[str, Text]:
    """Each figure outside its plausible range, by field."""
    out: dict[str, Text] = {}
    for key, (low, low_ok, high) in FIGURE_RANGES.items():
        value = answers.get(key)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue  # absent, or refused as not a number by the questionnaire
        if not math.isfinite(value):
            out[key] = _field(catalogue, key, "应为有限的数值", "must be a finite number")
        elif value < low or (value == low and not low_ok):
            zh = "不能为负数" if low_ok else "应大于 0"
            en = "must not be negative" if low_ok else "must be greater than 0"
            out[key] = _field(catalogue, key, f"{zh}（填写了 {value:g}）", f"{en} (got {value:g})")
        elif value > high:
            out[key] = _field(
                catalogue,
                key,
                f"{value:,.0f} 超出合理范围（不超过 {high:,.0f}），请核对单位",
                f"{value:,.0f} is beyond a plausible {high:,.0f}; check the unit",
            )
    return out


def _answer_problems(
    catalogue: Catalogue, attributes: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Text]]:
    """The answers with defaults filled in, and each missing or malformed answer by field."""
    out: dict[str, Text] = {}
    for q in next_questions(catalogue, attributes):
        if not q.has_default:
            out[q.key] = _field(catalogue, q.key, "必须填写", "is required")
    typed = dict(attributes)
    for q in catalogue.questions.values():
        if q.key in typed and typed[q.key] is not None:
            try:
                resolve_answers(catalogue, {q.key: typed[q.key]})
            except ProjectError as e:
                out[q.key] = _field(
                    catalogue,
                    q.key,
                    e.message.zh.split("：", 1)[-1],
                    e.message.en.split(": ", 1)[-1],
                )
                del typed[q.key]
    answers = resolve_answers(catalogue, typed)
    out.update({k: v for k, v in _figure_problems(catalogue, answers).items() if k not in out})
    return answers, out


def claimed_plots(session: Session, code: str | None = None) -> dict[str, set[int]]:
    """Plot code → the enterprises whose projects (not refused) are filed on it (on ``code``
    only, when given)."""
    q = (
        select(ProjectRow.plot_code, ProjectRow.enterprise_id)
        .distinct()
        .where(ProjectRow.plot_code.is_not(None), ProjectRow.status != "rejected")
    )
    if code is not None:
        q = q.where(ProjectRow.plot_code == code)
    rows = session.execute(q)
    out: dict[str, set[int]] = {}
    for plot, enterprise in rows:
        if plot:
            out.setdefault(plot, set()).add(enterprise)
    return out


def _plot_problems(
    session: Session,
    catalogue: Catalogue,
    facts: PlotFacts | None,
    plot_code: str,
    enterprise_id: int,
    declared_mu: Any,
) -> dict[str, Text]:
    """Whether the project may be filed on the plot: it exists; it is 挂牌 (listed) and no other
    enterprise has filed on it, or it was sold to this enterprise (the buyer the registry
    records, or the enterprise already filing on it); the declared land area fits the plot."""
    if facts is None:
        return {
            "plot": _field(
                catalogue, "plot", f"地块 {plot_code} 不存在", f"no plot has the code {plot_code}"
            )
        }
    out: dict[str, Text] = {}
    holders = claimed_plots(session, facts.code).get(facts.code, set())
    others = holders - {enterprise_id}
    enterprise = session.get(EnterpriseRow, enterprise_id)
    mine = enterprise is not None and facts.buyer in (enterprise.name, enterprise.credit_code)
    if facts.status == "reserve":
        out["plot"] = _field(
            catalogue,
            "plot",
            f"地块 {facts.code} 尚在储备（{facts.status_zh}），未挂牌出让，不能申报",
            f"plot {facts.code} is still in reserve ({facts.status_en}), not listed for sale",
        )
    elif facts.status in _SOLD and (others or (facts.buyer and not mine)):
        out["plot"] = _field(
            catalogue,
            "plot",
            f"地块 {facts.code} {facts.status_zh}，受让人为其他企业",
            f"plot {facts.code} is {facts.status_en} to another company",
        )
    elif facts.status not in _SOLD and facts.status != "listed":
        out["plot"] = _field(
            catalogue,
            "plot",
            f"地块 {facts.code} 状态为{facts.status_zh}，不能申报",
            f"plot {facts.code} is {facts.status_en}; a project cannot be filed on it",
        )
    elif others:
        out["plot"] = _field(
            catalogue,
            "plot",
            f"地块 {facts.code} 已被其他企业的项目申报占用",
            f"plot {facts.code} is already claimed by another company's project",
        )
    if (
        isinstance(declared_mu, int | float)
        and not isinstance(declared_mu, bool)
        and facts.area_mu > 0
        and declared_mu > facts.area_mu * (1 + AREA_TOLERANCE)
    ):
        out["land_area_mu"] = _field(
            catalogue,
            "land_area_mu",
            f"申报 {declared_mu:g} 亩，超过地块 {facts.code} 的面积 {facts.area_mu:.1f} 亩",
            f"{declared_mu:g} mu declared, more than plot {facts.code}'s {facts.area_mu:.1f} mu",
        )
    return out


@dataclass(frozen=True, slots=True)
class FilingPlan:
    """What filing will do, computed once for both the preview (一次告知) and the filing: the
    answers with defaults, the regional assessments that cover the project and its plan."""

    catalogue: Catalogue
    answers: dict[str, Any]
    assessments: tuple[AssessmentCoverage, ...]
    plan: Plan
    #: the project as the planner sees it (for the two-clock plan of its own activities)
    project: Project | None = None


def prepare_filing(
    session: Session,
    catalogue: Catalogue,
    calendar: WorkCalendar,
    *,
    enterprise_id: int,
    attributes: dict[str, Any],
    filed_on: date,
    plot_code: str | None = None,
    regional_assessments: Sequence[Any] = (),
    plots: PlotAssessments | None = None,
    name: str | None = None,
) -> FilingPlan:
    """Check a filing field by field and plan it — the one computation behind the 一次告知
    preview and :func:`file_project`.

    With a plot (and the registry wired in as ``plots``) the plot must be fileable and the
    zone's regional assessments replace the declared ones.

    Raises
    ------
    FilingInvalid
        Naming every field that is missing, malformed or implausible, and the plot's problem.
    """
    answers, problems = _answer_problems(catalogue, attributes)
    if name is not None and not name.strip():
        problems = {"name": _field(catalogue, "name", "必须填写", "is required"), **problems}
    facts_of = getattr(plots, "facts", None)
    if plot_code and facts_of is not None:
        for key, text in _plot_problems(
            session,
            catalogue,
            facts_of(session, plot_code),
            plot_code,
            enterprise_id,
            answers.get("land_area_mu"),
        ).items():
            problems.setdefault(key, text)
    if problems:
        raise FilingInvalid(problems)
    try:
        assessments = assessments_for(session, plot_code, regional_assessments, filed_on, plots)
    except ProjectError as e:
        raise FilingInvalid({"regional_assessments": e.message}) from e
    except LocalizedError as e:  # the registry's not-found, when no facts were asked
        raise FilingInvalid({"plot": _field(catalogue, "plot", e.message.zh, e.message.en)}) from e
    domain = Project(answers, assessments, name=name or "", start_date=filed_on, plot=plot_code)
    # the live workflow follows the government's clock: its steps are the review items, each
    # with department tasks; the enterprise's and intermediaries' own activities (design,
    # construction, reports) are left out and bridged like items that do not apply, so no
    # department ever holds a task for them (their progress is the enterprise's to report)
    baseline = plan(catalogue, domain, calendar, filed_on, Mechanisms(activities=False))
    return FilingPlan(catalogue, answers, assessments, baseline, domain)


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
            TaskRow(
                project_id=project.id,
                department=d,
                status="waiting",
                days=item.days,
                step_code=item.code,
                stage=item.stage,
            )
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
    FilingInvalid
        A field is missing, malformed or implausible, or the plot cannot be filed on
        (:func:`prepare_filing`, the same check and plan as the 一次告知 preview).
    ProjectError
        The code is malformed or taken, the enterprise is unknown.
    """
    enterprise_id = _filing_enterprise(session, actor, enterprise_id)
    project, prepared = _new_project(
        session,
        calendar,
        enterprise_id,
        name=name,
        attributes=attributes,
        filed_on=filed_on,
        form=form,
        plot_code=plot_code,
        regional_assessments=regional_assessments,
        code=code,
        region=region,
        plots=plots,
    )
    _start_filed_project(session, actor, calendar, project, prepared.plan, filed_on, prepared)
    return project


def _new_project(
    session: Session,
    calendar: WorkCalendar,
    enterprise_id: int,
    *,
    name: str,
    attributes: dict[str, Any],
    filed_on: date,
    form: dict[str, Any] | None,
    plot_code: str | None,
    regional_assessments: Sequence[Any],
    code: str | None,
    region: str,
    plots: PlotAssessments | None,
) -> tuple[ProjectRow, FilingPlan]:
    """The filing checked and planned against the active catalogue, and its project row (not yet
    added to the session) under the given or a new project code."""
    catalog_row = ensure_default_catalogue(session)
    catalogue = parse_catalog(catalog_row.document, "active catalogue")
    prepared = prepare_filing(
        session,
        catalogue,
        calendar,
        enterprise_id=enterprise_id,
        attributes=attributes,
        filed_on=filed_on,
        plot_code=plot_code,
        regional_assessments=regional_assessments,
        plots=plots,
        name=name,
    )
    answers, baseline = prepared.answers, prepared.plan
    if code is not None:
        _check_code(session, code)
    else:
        code = new_project_code(session, filed_on, answers, region)
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
    statistics.record_savings(project, baseline.savings)
    statistics.record_kind(session, project)
    return project, prepared


def _start_filed_project(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    project: ProjectRow,
    baseline: Plan,
    filed_on: date,
    prepared: FilingPlan | None = None,
) -> None:
    """Store the new project with its steps and its enterprise's and intermediaries' activities
    (two-clock plan), audit the filing, make the first steps ready, plan the forecast on both
    clocks, and let the departments' capacity see the new work."""
    session.add(project)
    session.flush()
    _add_steps(session, project, baseline)
    # the enterprise's and intermediaries' own activities, on their own clock (two-clock plan)
    if prepared is not None and prepared.project is not None:
        intermediaries.add_activities(
            session, project, prepared.catalogue, prepared.project, calendar, filed_on
        )
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="project.file",
        entity="project",
        entity_id=project.id,
        project_id=project.id,
        after={
            "code": project.code,
            "name": project.name,
            "plot": project.plot_code,
            "steps": len(baseline.items),
        },
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
