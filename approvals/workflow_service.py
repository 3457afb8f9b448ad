"""Use cases of the review workflow (一窗受理、并联审批) over a database session.

Each use case loads what it needs, applies the pure rules of :mod:`approvals.workflow` and the
planner, records the action in the audit trail, re-plans the project and leaves the commit to
the caller (one request = one unit of work).  Visibility is enforced here, not only in the web
layer: an enterprise sees its own projects, a reviewer its department's tasks, an agent the
projects assigned to them, regulators and administrators everything.

Concurrency: every action on a project first locks the project row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite serialises writers anyway), so two departments acting on the same project at
the same moment both succeed, one after the other; a task or project updated from a stale
``version`` is refused (:class:`~approvals.errors.StaleVersion`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from access.actor import SYSTEM, Actor
from approvals import capacity_service
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue, Material, parse_catalog
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import AccessDenied, NotFoundError, ProjectError, StaleVersion
from approvals.orm import (
    BlobRow,
    CertificateRow,
    CorrectionRow,
    DeferralRow,
    DepartmentRow,
    EnterpriseRow,
    EscalationRow,
    MaterialRow,
    PlanChangeRow,
    ProjectRow,
    RatingRow,
    StepRow,
    TaskRow,
)
from approvals.planning import plan
from approvals.project import AssessmentCoverage, Project, parse_assessment
from approvals.project_code import INDUSTRY_DIVISIONS, is_valid, make, prefix
from approvals.questionnaire import next_questions, resolve_answers
from approvals.schedule import forecast_indexed
from approvals.service import catalogue_version, ensure_default_catalogue
from storage.audit import record

#: Upload limits (bytes) and the file types accepted, recognised by their first bytes.
MAX_MATERIAL_BYTES = 20 * 1024 * 1024
FILE_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),  # OFD, DOCX and XLSX are ZIP containers
]
RATING_LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}




# --- loading and visibility ---------------------------------------------------------------------


def project_catalogue(session: Session, project: ProjectRow) -> Catalogue:
    """The catalogue version the project was filed under (parsed once per process)."""
    return catalogue_version(session, project.catalog_id)


def visible_projects_query(actor: Actor):
    q = select(ProjectRow)
    if actor.reads_everything:
        return q
    if actor.role == "enterprise":
        return q.where(ProjectRow.enterprise_id == (actor.enterprise_id or -1))
    if actor.role == "reviewer":
        sub = select(TaskRow.project_id).where(
            TaskRow.department == actor.department, TaskRow.status != "waiting"
        )
        return q.where(ProjectRow.id.in_(sub))
    if actor.role == "agent":
        return q.where(ProjectRow.agent_user_id == (actor.user_id or -1))
    return q.where(False)


def get_project(
    session: Session, actor: Actor, project_id: int, *, lock: bool = False, whole: bool = False
) -> ProjectRow:
    """The project if the actor may see it; otherwise 'not found' (its existence is not told).
    ``whole`` loads its steps, tasks and deferrals eagerly (for plans and task lists)."""
    q = visible_projects_query(actor).where(ProjectRow.id == project_id)
    if lock:
        q = q.with_for_update()
    if whole:  # steps, their tasks and deferrals in three queries rather than one per step
        q = q.options(
            selectinload(ProjectRow.steps)
            .selectinload(StepRow.tasks)
            .selectinload(TaskRow.deferrals)
        )
    project = session.scalar(q)
    if project is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    return project


def get_task(session: Session, actor: Actor, task_id: int) -> TaskRow:
    task = session.get(TaskRow, task_id)
    if task is None:
        raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    if actor.role == "reviewer":
        if task.department != actor.department:
            raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    elif not actor.reads_everything:
        get_project(session, actor, task.project_id)  # raises NotFound when not visible
    return task


def _check_version(what: str, row_version: int, sent: int | None) -> None:
    if sent is not None and sent != row_version:
        raise StaleVersion(what, sent, row_version)


def _lock_project(session: Session, project_id: int) -> ProjectRow:
    project = session.scalar(
        select(ProjectRow).where(ProjectRow.id == project_id).with_for_update()
    )
    assert project is not None
    return project


def _require_reviewer_of(actor: Actor, task: TaskRow) -> None:
    if actor.role != "reviewer" or actor.department != task.department:
        raise AccessDenied(
            f"只有 {task.department} 的审批人员可以办理此任务",
            f"only reviewers of department {task.department} may act on this task",
        )


def _require_owner(actor: Actor, project: ProjectRow) -> None:
    if actor.role != "enterprise" or actor.enterprise_id != project.enterprise_id:
        raise AccessDenied(
            "只有项目单位本身可以执行此操作", "only the project's enterprise may do this"
        )


# --- filing (一窗受理) ----------------------------------------------------------------------------


def assessments_for(
    session: Session, plot_code: str | None, declared: Sequence[Any], on: date
) -> tuple[AssessmentCoverage, ...]:
    """The regional assessments that cover the project: the plot's zone's (when the plot registry
    knows the plot), else those the applicant declared."""
    if plot_code:
        try:
            from landplots.service import assessments_for_plot  # the plots registry, when installed
        except ImportError:
            pass
        else:
            return tuple(assessments_for_plot(session, plot_code, on))
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
) -> ProjectRow:
    """File a project once: plan it, create its steps and tasks, make the first ones ready.

    The enterprise files for itself; an administrator (the one window, 综合窗口) may file on an
    enterprise's behalf by naming it.

    Raises
    ------
    ProjectError
        A questionnaire answer is missing or malformed, the code is malformed or taken, the
        enterprise is unknown.
    """
    if actor.role == "enterprise":
        enterprise_id = actor.enterprise_id
    elif actor.role != "admin":
        raise AccessDenied(
            "只有项目单位或综合窗口可以申报项目",
            "only an enterprise or the one window may file a project",
        )
    if enterprise_id is None or session.get(EnterpriseRow, enterprise_id) is None:
        raise ProjectError(
            f"企业 {enterprise_id} 不存在", f"enterprise {enterprise_id} does not exist"
        )
    if not name.strip():
        raise ProjectError("项目名称不能为空", "the project name is required")
    catalog_row = ensure_default_catalogue(session)
    catalogue = parse_catalog(catalog_row.document, "active catalogue")
    pending = next_questions(catalogue, attributes)
    missing = [q.key for q in pending if not q.has_default]
    if missing:
        raise ProjectError(
            f"一次告知问卷尚未完成，缺少：{'、'.join(missing)}",
            f"the questionnaire is incomplete; missing answers: {', '.join(missing)}",
        )
    answers = resolve_answers(catalogue, attributes)
    if code is not None:
        if not is_valid(code):
            raise ProjectError(
                f"项目代码 '{code}' 格式不符（应为 年份-行政区划-行业-类型-流水号，如 2026-330110-34-03-000001）",
                f"project code '{code}' is malformed (year-region-industry-type-serial, e.g. 2026-330110-34-03-000001)",
            )
        if session.scalar(select(ProjectRow.id).where(ProjectRow.code == code)):
            raise ProjectError(
                f"项目代码 '{code}' 已被使用", f"project code '{code}' is already taken"
            )
    else:
        code = new_project_code(session, filed_on, answers, region)
    assessments = assessments_for(session, plot_code, regional_assessments, filed_on)
    domain = Project(
        answers, assessments, name=name, code=code, start_date=filed_on, plot=plot_code
    )
    baseline = plan(catalogue, domain, calendar, filed_on)
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
    _advance(session, project, filed_on, calendar)
    replan(
        session,
        project,
        filed_on,
        calendar,
        "项目申报（一窗受理），生成基线计划",
        "project filed at the one window; baseline planned",
    )
    capacity_service.after_event(session, filed_on, calendar, f"filed {project.code}")
    return project


# --- materials (一次采集、多方复用) ---------------------------------------------------------------


def sniff_content_type(data: bytes) -> str | None:
    for signature, content_type in FILE_SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


def safe_filename(filename: str) -> str:
    """The file's name, refused when it tries to name a path (traversal) or hides control bytes."""
    name = (filename or "").strip()
    if (
        not name
        or len(name) > 200
        or name in {".", ".."}
        or any(c in name for c in "/\\\x00")
        or any(ord(c) < 32 for c in name)
    ):
        raise ProjectError(
            f"文件名 '{filename[:80]}' 不合法（不得包含路径或控制字符）",
            f"file name '{filename[:80]}' is not allowed (no paths or control characters)",
        )
    return name


def required_materials(
    catalogue: Catalogue, step: StepRow, attributes: dict[str, Any]
) -> list[Material]:
    """The materials the step's items need, once each, in catalogue order."""
    seen: dict[str, Material] = {}
    for code in step.items:
        for m in catalogue.items[code].materials:
            try:
                if not evaluate(m.applies_if, attributes):
                    continue
            except MissingAttribute:
                pass
            if m.code not in seen or not m.deferrable:
                seen[m.code] = m
    return list(seen.values())


def _later_certificates(catalogue: Catalogue, project: ProjectRow, step: StepRow) -> set[str]:
    """Certificates issued inside the plan by a step that is *not* a prerequisite of ``step``:
    they cannot be asked of it (e.g. the piling part of 桩基先行 comes before the planning
    permit its whole item needs)."""
    by_code = {s.code: s for s in project.steps}
    ancestors: set[str] = set()
    stack = list(step.requires)
    while stack:
        code = stack.pop()
        if code not in ancestors:
            ancestors.add(code)
            stack.extend(by_code[code].requires)
    later: set[str] = set()
    for s in project.steps:
        if s.code in ancestors or s.code == step.code:
            continue
        for item in s.items:
            later.update(o.code for o in catalogue.items[item].outputs)
    return later


@dataclass(frozen=True)
class MaterialFacts:
    """What material status needs about a project, loaded once for all its steps."""

    catalogue: Catalogue
    certificates: dict[str, CertificateRow]
    uploads: dict[str, MaterialRow]


def material_facts(session: Session, project: ProjectRow) -> MaterialFacts:
    """The project's catalogue, certificates and current uploads by material code."""
    certificates = {
        c.code: c
        for c in session.scalars(
            select(CertificateRow).where(CertificateRow.project_id == project.id)
        )
    }
    uploads = {
        m.code: m
        for m in session.scalars(
            select(MaterialRow).where(
                MaterialRow.project_id == project.id, MaterialRow.current.is_(True)
            )
        )
    }
    return MaterialFacts(project_catalogue(session, project), certificates, uploads)


def material_status(
    session: Session, project: ProjectRow, step: StepRow, facts: MaterialFacts | None = None
) -> list[dict[str, Any]]:
    """For each material a step needs: supplied by a certificate, uploaded, or missing.
    ``facts`` (from :func:`material_facts`) saves the queries when every step is listed."""
    facts = facts or material_facts(session, project)
    catalogue, certificates, uploads = facts.catalogue, facts.certificates, facts.uploads
    later = _later_certificates(catalogue, project, step)
    out = []
    for m in required_materials(catalogue, step, project.attributes):
        if m.code in later and m.code not in certificates:
            continue
        cert = certificates.get(m.code)
        upload = uploads.get(m.code)
        state = "certificate" if cert else ("uploaded" if upload else "missing")
        out.append(
            {
                "code": m.code,
                "name": m.name,
                "name_en": m.name_en,
                "deferrable": m.deferrable,
                "deferral_days": m.deferral_days,
                "state": state,
                "certificate": {
                    "number": cert.number,
                    "issued_on": cert.issued_on.isoformat(),
                    "item": cert.item_code,
                }
                if cert
                else None,
                "upload": {
                    "id": upload.id,
                    "filename": upload.filename,
                    "sha256": upload.sha256,
                    "size": upload.size,
                }
                if upload
                else None,
            }
        )
    return out


def upload_material(
    session: Session,
    actor: Actor,
    project_id: int,
    code: str,
    filename: str,
    data: bytes,
    on: date,
    calendar: WorkCalendar,
) -> MaterialRow:
    """Store a material once (by its hash) for every item that needs it.  Supplies any deferred
    (容缺) material of that code.

    Raises
    ------
    ProjectError
        Too large, empty, of a type not accepted (checked by content, not by name), a name with a
        path in it, or a code no planned item needs.
    """
    project = get_project(session, actor, project_id, lock=True)
    _require_owner(actor, project)
    name = safe_filename(filename)
    if not data:
        raise ProjectError(f"材料 {code}：文件为空", f"material {code}: the file is empty")
    if len(data) > MAX_MATERIAL_BYTES:
        raise ProjectError(
            f"材料 {code}：文件超过 {MAX_MATERIAL_BYTES // (1024 * 1024)} MB",
            f"material {code}: larger than {MAX_MATERIAL_BYTES // (1024 * 1024)} MB",
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        raise ProjectError(
            f"材料 {code}：不支持的文件类型（接受 PDF、PNG、JPEG、TIFF、OFD/ZIP）",
            f"material {code}: file type not accepted (PDF, PNG, JPEG, TIFF, OFD/ZIP)",
        )
    catalogue = project_catalogue(session, project)
    needed = {
        m.code for s in project.steps for m in required_materials(catalogue, s, project.attributes)
    }
    if code not in needed:
        raise ProjectError(
            f"本项目的事项不需要材料 '{code}'",
            f"no planned item of this project needs material '{code}'",
        )
    sha = hashlib.sha256(data).hexdigest()
    if session.get(BlobRow, sha) is None:
        session.add(BlobRow(sha256=sha, size=len(data), content=data))
    previous = session.scalars(
        select(MaterialRow).where(
            MaterialRow.project_id == project.id,
            MaterialRow.code == code,
            MaterialRow.current.is_(True),
        )
    ).all()
    for p in previous:
        p.current = False
    row = MaterialRow(
        project_id=project.id,
        code=code,
        sha256=sha,
        filename=name,
        content_type=content_type,
        size=len(data),
        uploaded_by=actor.username,
    )
    session.add(row)
    supplied = session.scalars(
        select(DeferralRow)
        .join(TaskRow)
        .where(
            TaskRow.project_id == project.id,
            DeferralRow.material_code == code,
            DeferralRow.supplied_on.is_(None),
        )
    ).all()
    for d in supplied:
        d.supplied_on = on
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="material.upload",
        entity="material",
        entity_id=row.id,
        project_id=project.id,
        before={"sha256": previous[-1].sha256} if previous else None,
        after={
            "code": code,
            "sha256": sha,
            "size": len(data),
            "filename": name,
            "supplied_deferrals": len(supplied),
        },
    )
    return row


# --- task actions ------------------------------------------------------------------------------


def _clock(task: TaskRow) -> wf.TaskClock:
    return wf.TaskClock(
        status=task.status,  # type: ignore[arg-type]
        days=task.days,
        ready_on=task.ready_on,
        accepted_on=task.accepted_on,
        due_on=task.due_on,
        decided_on=task.decided_on,
        stopped_since=task.stopped_since,
        stopped_days=task.stopped_days,
        deferrals=tuple(
            wf.Deferral(d.material_code, d.due_on, d.supplied_on) for d in task.deferrals
        ),
    )


def _apply(task: TaskRow, clock: wf.TaskClock) -> None:
    task.status = clock.status
    task.ready_on, task.accepted_on, task.due_on, task.decided_on = (
        clock.ready_on,
        clock.accepted_on,
        clock.due_on,
        clock.decided_on,
    )
    task.stopped_since, task.stopped_days = clock.stopped_since, clock.stopped_days


def _snapshot(task: TaskRow) -> dict[str, Any]:
    return {
        "status": task.status,
        "version": task.version,
        "accepted_on": _iso(task.accepted_on),
        "due_on": _iso(task.due_on),
        "stopped_since": _iso(task.stopped_since),
        "stopped_days": task.stopped_days,
    }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _begin_task_action(
    session: Session, actor: Actor, task_id: int, version: int | None
) -> tuple[TaskRow, ProjectRow, dict[str, Any]]:
    task = get_task(session, actor, task_id)
    project = _lock_project(session, task.project_id)
    session.refresh(task)  # after the lock: the latest committed state
    _require_reviewer_of(actor, task)
    _check_version(f"任务 {task.id} (task {task.id})", task.version, version)
    return task, project, _snapshot(task)


def _finish_task_action(
    session: Session,
    actor: Actor,
    task: TaskRow,
    project: ProjectRow,
    before: dict[str, Any],
    action: str,
    on: date,
    calendar: WorkCalendar,
    reason: tuple[str, str],
    extra: dict[str, Any] | None = None,
) -> TaskRow:
    task.reviewer = actor.username
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action=action,
        entity="task",
        entity_id=task.id,
        project_id=project.id,
        before=before,
        after={**_snapshot(task), **(extra or {})},
    )
    _roll_up(session, project, task.step, on)
    _advance(session, project, on, calendar)
    replan(session, project, on, calendar, *reason, subject=task.step.code)
    capacity_service.after_event(session, on, calendar, reason[1])
    return task


def _department_name(session: Session, code: str, lang: str = "zh") -> str:
    d = session.get(DepartmentRow, code)
    return (d.name_en if lang == "en" else d.name) if d else code


def accept_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    version: int | None = None,
) -> TaskRow:
    """受理: essential materials must be there; deferrable missing ones (容缺) get deadlines."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    status = material_status(session, project, task.step)
    missing_essential = [
        m["code"] for m in status if m["state"] == "missing" and not m["deferrable"]
    ]
    missing_deferrable = {
        m["code"]: m["deferral_days"] for m in status if m["state"] == "missing" and m["deferrable"]
    }
    clock = wf.accept(
        _clock(task),
        on,
        calendar,
        missing_essential=missing_essential,
        missing_deferrable=missing_deferrable,
        names={m["code"]: m["name"] for m in status},
    )
    _apply(task, clock)
    task.deferrals = [DeferralRow(material_code=d.code, due_on=d.due_on) for d in clock.deferrals]
    dept = _department_name(session, task.department)
    deferred = "、".join(clock_d.code for clock_d in clock.deferrals)
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.accept",
        on,
        calendar,
        (
            f"{dept}受理 {task.step.code}{'（容缺：' + deferred + '）' if deferred else ''}",
            f"{task.department} accepted {task.step.code}"
            + (f" with deferred materials {deferred}" if deferred else ""),
        ),
        {"deferred": [d.code for d in clock.deferrals]},
    )


def approve_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    version: int | None = None,
    note: str = "",
) -> TaskRow:
    """准予许可.  When the step's last department approves, the step is done and its certificates
    are issued to the project (passed on to later items)."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    _apply(task, wf.approve(_clock(task), on))
    task.note = note
    dept = _department_name(session, task.department)
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.approve",
        on,
        calendar,
        (f"{dept}办结 {task.step.code}", f"{task.department} approved {task.step.code}"),
    )


def reject_task(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    reasons: str,
    version: int | None = None,
) -> TaskRow:
    """不予许可, with reasons."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    _apply(task, wf.reject(_clock(task), on, reasons))
    task.note = reasons
    dept = _department_name(session, task.department)
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.reject",
        on,
        calendar,
        (
            f"{dept}对 {task.step.code} 作出不予许可决定：{reasons}",
            f"{task.department} rejected {task.step.code}: {reasons}",
        ),
        {"reasons": reasons},
    )


def request_corrections(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    reasons: str,
    materials: Sequence[str],
    version: int | None = None,
) -> TaskRow:
    """补正: told once, naming every material to correct; the clock stops until resubmission."""
    task, project, before = _begin_task_action(session, actor, task_id, version)
    if not reasons.strip():
        raise ProjectError("补正通知必须说明理由", "a correction request must give its reasons")
    needed = {m["code"] for m in material_status(session, project, task.step)}
    unknown = [m for m in materials if m not in needed]
    if unknown:
        raise ProjectError(
            f"该事项不需要材料：{'、'.join(unknown)}",
            f"this step does not need materials: {', '.join(unknown)}",
        )
    _apply(task, wf.stop_clock(_clock(task), on, "corrections"))
    task.stop_kind = "corrections"
    session.add(
        CorrectionRow(
            task_id=task.id,
            requested_on=on,
            requested_by=actor.username,
            reasons=reasons,
            material_codes=list(materials),
        )
    )
    dept = _department_name(session, task.department)
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.corrections",
        on,
        calendar,
        (
            f"{dept}要求补正 {task.step.code}（{reasons}），计时暂停",
            f"{task.department} asked for corrections on {task.step.code} ({reasons}); clock stopped",
        ),
        {"reasons": reasons, "materials": list(materials)},
    )


def start_special_procedure(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    kind: str,
    reason: str = "",
    version: int | None = None,
) -> TaskRow:
    """Expert review, hearing, testing…: the clock stops (行政许可法第四十五条)."""
    if kind not in wf.SPECIAL_PROCEDURES:
        raise ProjectError(
            f"未知的特别程序 '{kind}'（可选：{', '.join(wf.SPECIAL_PROCEDURES)}）",
            f"unknown special procedure '{kind}' (one of {', '.join(wf.SPECIAL_PROCEDURES)})",
        )
    task, project, before = _begin_task_action(session, actor, task_id, version)
    _apply(task, wf.stop_clock(_clock(task), on, "special"))
    task.stop_kind = kind
    zh, en = wf.SPECIAL_PROCEDURES[kind]
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.special.start",
        on,
        calendar,
        (
            f"{task.step.code} 进入{zh}，计时暂停" + (f"：{reason}" if reason else ""),
            f"{task.step.code} entered {en}; clock stopped",
        ),
        {"kind": kind, "reason": reason},
    )


def end_special_procedure(
    session: Session,
    actor: Actor,
    task_id: int,
    on: date,
    calendar: WorkCalendar,
    *,
    version: int | None = None,
) -> TaskRow:
    task, project, before = _begin_task_action(session, actor, task_id, version)
    if task.status != "special":
        raise wf.WorkflowError("该任务不在特别程序中", "the task is not in a special procedure")
    _apply(task, wf.resume(_clock(task), on, calendar))
    kind = task.stop_kind or ""
    task.stop_kind = None
    zh, en = wf.SPECIAL_PROCEDURES.get(kind, (kind, kind))
    return _finish_task_action(
        session,
        actor,
        task,
        project,
        before,
        "task.special.end",
        on,
        calendar,
        (f"{task.step.code} {zh}结束，恢复计时", f"{task.step.code}: {en} ended; clock resumed"),
    )


def resubmit_corrections(
    session: Session, actor: Actor, project_id: int, task_id: int, on: date, calendar: WorkCalendar
) -> TaskRow:
    """The enterprise answers a 补正: every material named must have been uploaded again since the
    request; the task's clock resumes."""
    project = get_project(session, actor, project_id, lock=True)
    _require_owner(actor, project)
    task = session.get(TaskRow, task_id)
    if task is None or task.project_id != project.id:
        raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    if task.status != "corrections":
        raise wf.WorkflowError(
            "该任务没有待补正的通知", "the task has no pending correction request"
        )
    correction = session.scalar(
        select(CorrectionRow)
        .where(CorrectionRow.task_id == task.id, CorrectionRow.resolved_on.is_(None))
        .order_by(CorrectionRow.id.desc())
    )
    assert correction is not None
    stale = []
    for code in correction.material_codes:
        latest = session.scalar(
            select(MaterialRow).where(
                MaterialRow.project_id == project.id,
                MaterialRow.code == code,
                MaterialRow.current.is_(True),
            )
        )
        if latest is None or latest.uploaded_at < correction.requested_at:
            stale.append(code)
    if stale:
        raise ProjectError(
            f"以下补正材料尚未重新提交：{'、'.join(stale)}",
            f"these materials have not been submitted again since the request: {', '.join(stale)}",
        )
    before = _snapshot(task)
    _apply(task, wf.resume(_clock(task), on, calendar))
    task.stop_kind = None
    correction.resolved_on = on
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="task.resubmit",
        entity="task",
        entity_id=task.id,
        project_id=project.id,
        before=before,
        after=_snapshot(task),
    )
    _roll_up(session, project, task.step, on)
    replan(
        session,
        project,
        on,
        calendar,
        f"项目单位补正 {task.step.code}，恢复计时",
        f"the enterprise answered the corrections on {task.step.code}; clock resumed",
        subject=task.step.code,
    )
    capacity_service.after_event(session, on, calendar, f"corrections answered on {task.step.code}")
    return task


def rate_step(
    session: Session, actor: Actor, project_id: int, step_code: str, score: int, comment: str = ""
) -> RatingRow:
    """好差评: the enterprise rates a completed step once (1 非常不满意 … 5 非常满意)."""
    project = get_project(session, actor, project_id, lock=True)
    _require_owner(actor, project)
    step = next((s for s in project.steps if s.code == step_code), None)
    if step is None:
        raise NotFoundError(
            f"事项 {step_code} 不在本项目中", f"step {step_code} is not part of this project"
        )
    if step.status != "done":
        raise wf.WorkflowError(
            f"事项 {step_code} 尚未办结，不能评价", f"step {step_code} is not completed yet"
        )
    if not 1 <= score <= 5:
        raise ProjectError("评分应为 1–5", "the score must be 1 to 5")
    if session.scalar(
        select(RatingRow.id).where(
            RatingRow.project_id == project.id, RatingRow.step_code == step_code
        )
    ):
        raise wf.WorkflowError(
            f"事项 {step_code} 已评价", f"step {step_code} has been rated already"
        )
    row = RatingRow(
        project_id=project.id,
        step_code=step_code,
        departments=list(step.departments),
        score=score,
        comment=comment,
        rated_by=actor.username,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="step.rate",
        entity="step",
        entity_id=step.id,
        project_id=project.id,
        after={"score": score, "label": RATING_LABELS[score], "comment": comment},
    )
    return row


# --- progress: steps, readiness, certificates ----------------------------------------------------


def _roll_up(session: Session, project: ProjectRow, step: StepRow, on: date) -> None:
    """A step's status from its tasks; a completed step issues its certificates."""
    statuses = {t.status for t in step.tasks}
    if "rejected" in statuses:
        step.status = "rejected"
        project.status = "rejected"
    elif statuses == {"approved"}:
        if step.status != "done":
            step.status = "done"
            step.actual_end = max(t.decided_on for t in step.tasks if t.decided_on)
            _issue_certificates(session, project, step, on)
    elif statuses & {"in_review", "corrections", "special"} or (statuses & {"approved"}):
        step.status = "in_progress"
    if step.actual_start is None:
        started = [t.accepted_on for t in step.tasks if t.accepted_on]
        if started:
            step.actual_start = min(started)
    if all(s.status == "done" for s in project.steps):
        project.status = "completed"


def _issue_certificates(session: Session, project: ProjectRow, step: StepRow, on: date) -> None:
    catalogue = project_catalogue(session, project)
    existing = set(
        session.scalars(select(CertificateRow.code).where(CertificateRow.project_id == project.id))
    )
    for code in step.items:
        for out in catalogue.items[code].outputs:
            if out.code in existing:
                continue
            existing.add(out.code)
            session.add(
                CertificateRow(
                    project_id=project.id,
                    code=out.code,
                    name=out.name,
                    item_code=code,
                    number=f"{project.code}-{out.code}",
                    issued_on=on,
                    issued_by=step.departments[0],
                )
            )
    session.flush()


def _advance(
    session: Session, project: ProjectRow, on: date, calendar: WorkCalendar
) -> list[StepRow]:
    """Make ready every waiting step whose prerequisites allow it: all done, or — for an early
    start (提前介入) — the prerequisite under way and within its lead of its forecast end."""
    steps = {s.code: s for s in project.steps}
    today = calendar.sequence(project.filed_on).index_of(on)
    made_ready = []
    for step in project.steps:
        if step.status != "waiting":
            continue
        ok = True
        for code, lead in step.requires.items():
            pred = steps[code]
            if pred.status == "done":
                continue
            if (
                lead > 0
                and pred.status == "in_progress"
                and pred.forecast_ef is not None
                and today >= pred.forecast_ef - lead
            ):
                continue
            ok = False
            break
        if ok:
            step.status = "ready"
            for task in step.tasks:
                if task.status == "waiting":
                    _apply(task, wf.make_ready(_clock(task), on))
            made_ready.append(step)
    if made_ready:
        session.flush()
    return made_ready


# --- the live plan ------------------------------------------------------------------------------


def replan(
    session: Session,
    project: ProjectRow,
    on: date,
    calendar: WorkCalendar,
    reason_zh: str,
    reason_en: str,
    subject: str | None = None,
) -> None:
    """Re-plan after an event: actual dates for what is done, forecasts for the rest; record each
    step whose forecast end moved, and the predicted finish, with the event as the reason."""
    steps = list(project.steps)
    seq = calendar.sequence(project.filed_on)
    today = seq.index_of(on)
    index = {s.code: i for i, s in enumerate(steps)}
    durations = []
    fixed_start: dict[int, int] = {}
    min_start: dict[int, int] = {}
    min_finish: dict[int, int] = {}
    blocked = False
    for i, s in enumerate(steps):
        if s.status == "done" and s.actual_start and s.actual_end:
            a, b = seq.index_of(s.actual_start), seq.index_of(s.actual_end)
            durations.append(b - a + 1)
            fixed_start[i] = a
        elif s.status == "done":  # a zero-day or never-accepted step approved directly
            b = seq.index_of(s.actual_end or on)
            durations.append(0)
            fixed_start[i] = b
        elif s.status == "in_progress" and s.actual_start:
            a = seq.index_of(s.actual_start)
            durations.append(s.days)
            fixed_start[i] = a
            finish = today + 1
            for t in s.tasks:
                if t.status == "in_review" and t.due_on:
                    finish = max(finish, seq.index_of(t.due_on) + 1)
                elif t.status in wf.CLOCK_STOPPED and t.due_on and t.stopped_since:
                    remaining = max(seq.index_of(t.due_on) - seq.index_of(t.stopped_since), 0)
                    finish = max(finish, today + remaining + 1)
            min_finish[i] = finish
        else:
            if s.status == "rejected":
                blocked = True
            durations.append(s.days)
            min_start[i] = today
    succs: list[list[tuple[int, int]]] = [[] for _ in steps]
    for i, s in enumerate(steps):
        for code, lead in s.requires.items():
            succs[index[code]].append((i, lead))
    forecast = forecast_indexed(
        durations, succs, fixed_start=fixed_start, min_start=min_start, min_finish=min_finish
    )
    assert forecast is not None, "a stored plan cannot have a cycle"
    critical = set(forecast.critical_path)
    old_finish = project.predicted_finish
    changes: list[PlanChangeRow] = []
    moved: dict[str, date] = {}
    for i, s in enumerate(steps):  # plan order is batch order: prerequisites come first
        old_end = (
            seq.date_of(max(s.forecast_ef - 1, s.forecast_es or 0))
            if s.forecast_ef is not None
            else None
        )
        s.forecast_es, s.forecast_ef = forecast.es[i], forecast.ef[i]
        s.slack = forecast.ls[i] - forecast.es[i]
        s.critical = i in critical
        new_end = seq.date_of(max(forecast.ef[i] - 1, forecast.es[i]))
        if old_end is not None and new_end != old_end:
            moved[s.code] = new_end
            zh, en = _change_reason(
                s, subject, (reason_zh, reason_en), moved, forecast, index, today, on
            )
            changes.append(
                PlanChangeRow(
                    project_id=project.id,
                    on=on,
                    step_code=s.code,
                    old_end=old_end,
                    new_end=new_end,
                    reason_zh=zh,
                    reason_en=en,
                )
            )
    new_finish = None if blocked else seq.date_of(max(forecast.makespan - 1, 0))
    project.predicted_finish = new_finish
    if old_finish != new_finish or not session.scalar(
        select(func.count())
        .select_from(PlanChangeRow)
        .where(PlanChangeRow.project_id == project.id)
    ):
        changes.append(
            PlanChangeRow(
                project_id=project.id,
                on=on,
                step_code=None,
                old_finish=old_finish,
                new_finish=new_finish,
                reason_zh=reason_zh,
                reason_en=reason_en,
            )
        )
    session.add_all(changes)
    session.flush()


def _change_reason(
    step: StepRow,
    subject: str | None,
    event: tuple[str, str],
    moved: dict[str, date],
    forecast: Any,
    index: dict[str, int],
    today: int,
    on: date,
) -> tuple[str, str]:
    """Why this step's forecast moved: its own event, its completion, a prerequisite that moved,
    its clock running past the due day, or not having started yet."""
    if step.code == subject:
        return event
    i = index[step.code]
    if step.status == "done" and step.actual_end:
        return (
            f"{step.code} 已于 {step.actual_end} 办结",
            f"{step.code} was completed on {step.actual_end}",
        )
    for pred, lead in step.requires.items():
        p = index[pred]
        if pred in moved and forecast.ef[p] - lead == forecast.es[i]:
            return (
                f"前置事项 {pred} 预计于 {moved[pred]} 办结",
                f"its prerequisite {pred} is now expected on {moved[pred]}",
            )
    if step.status == "in_progress":
        return (f"{step.code} 仍在办理（{on}）", f"{step.code} is still under review on {on}")
    if forecast.es[i] == today:
        return (f"{step.code} 尚未开始办理（{on}）", f"{step.code} has not started yet on {on}")
    return event


def live_plan(
    session: Session, project: ProjectRow, today: date, calendar: WorkCalendar, lang: str = "zh"
) -> dict[str, Any]:
    """The plan as everyone sees it: baseline against actual and forecast, per step and overall,
    with the clock of every task and the latest reason each step moved."""
    seq = calendar.sequence(project.filed_on)

    def day(i: int | None) -> str | None:
        return seq.date_of(max(i, 0)).isoformat() if i is not None else None

    def end(es: int | None, ef: int | None) -> str | None:
        return None if ef is None or es is None else seq.date_of(max(ef - 1, es)).isoformat()

    last_reason: dict[str | None, PlanChangeRow] = {}
    for c in session.scalars(
        select(PlanChangeRow)
        .where(PlanChangeRow.project_id == project.id)
        .order_by(PlanChangeRow.id)
    ):
        last_reason[c.step_code] = c
    baseline_finish = project.baseline_finish.isoformat()
    steps = []
    for s in project.steps:
        reason = last_reason.get(s.code)
        steps.append(
            {
                "code": s.code,
                "name": s.name_en if lang == "en" and s.name_en else s.name,
                "kind": s.kind,
                "mode": s.mode,
                "stage": s.stage,
                "departments": list(s.departments),
                "days": s.days,
                "status": s.status,
                "requires": [{"code": c, "lead": lead} for c, lead in s.requires.items()],
                "baseline_start": day(s.baseline_es),
                "baseline_end": end(s.baseline_es, s.baseline_ef),
                "actual_start": _iso(s.actual_start),
                "actual_end": _iso(s.actual_end),
                "forecast_start": day(s.forecast_es),
                "forecast_end": end(s.forecast_es, s.forecast_ef),
                "baseline_es": s.baseline_es,
                "baseline_ef": s.baseline_ef,
                "forecast_es": s.forecast_es,
                "forecast_ef": s.forecast_ef,
                "variance_workdays": (s.forecast_ef - s.baseline_ef)
                if s.forecast_ef is not None
                else None,
                "slack": s.slack,
                "critical": s.critical,
                "tasks": [task_summary(t, s, today, calendar) for t in s.tasks],
                "change_reason": (reason.reason_en if lang == "en" else reason.reason_zh)
                if reason
                else None,
            }
        )
    changes = session.scalars(
        select(PlanChangeRow)
        .where(PlanChangeRow.project_id == project.id)
        .order_by(PlanChangeRow.id)
    ).all()
    return {
        "project_id": project.id,
        "code": project.code,
        "name": project.name,
        "status": project.status,
        "filed_on": project.filed_on.isoformat(),
        "today": today.isoformat(),
        "today_workday": seq.index_of(today),
        "baseline_finish": baseline_finish,
        "predicted_finish": _iso(project.predicted_finish),
        "variance_workdays": (
            seq.index_of(project.predicted_finish)
            - seq.index_of(date.fromisoformat(baseline_finish))
        )
        if project.predicted_finish
        else None,
        "baseline_makespan_workdays": project.baseline_makespan,
        "serial_workdays": project.serial_workdays,
        "waived": project.baseline.get("waived", []),
        "reduced_to_commitment": project.baseline.get("reduced_to_commitment", []),
        "provisional": project.baseline.get("provisional", False),
        "steps": steps,
        "changes": [
            {
                "on": c.on.isoformat(),
                "step": c.step_code,
                "old_end": _iso(c.old_end),
                "new_end": _iso(c.new_end),
                "old_finish": _iso(c.old_finish),
                "new_finish": _iso(c.new_finish),
                "reason": c.reason_en if lang == "en" else c.reason_zh,
            }
            for c in changes
        ],
    }


def task_summary(
    task: TaskRow, step: StepRow, today: date, calendar: WorkCalendar
) -> dict[str, Any]:
    clock = _clock(task)
    return {
        "id": task.id,
        "department": task.department,
        "status": task.status,
        "version": task.version,
        "ready_on": _iso(task.ready_on),
        "accepted_on": _iso(task.accepted_on),
        "due_on": _iso(task.due_on),
        "decided_on": _iso(task.decided_on),
        "stopped_since": _iso(task.stopped_since),
        "stopped_days": task.stopped_days,
        "stop_kind": task.stop_kind,
        "clock": wf.clock_state(clock, today, calendar, step.slack),
        "workdays_left": wf.workdays_left(clock, today, calendar),
        "blocked_by": wf.blocked_by(clock, today),
        "deferrals": [
            {
                "material": d.material_code,
                "due_on": d.due_on.isoformat(),
                "supplied_on": _iso(d.supplied_on),
            }
            for d in task.deferrals
        ],
        "reviewer": task.reviewer,
        "note": task.note,
    }


# --- department worklists and clocks ---------------------------------------------------------------


def worklist(
    session: Session,
    actor: Actor,
    today: date,
    calendar: WorkCalendar,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """A department's open tasks across all projects: overdue first (most overdue first), then
    least slack on the project's critical path, then the earliest due date."""
    if actor.role == "reviewer":
        if department not in {None, actor.department}:
            raise AccessDenied(
                "审批人员只能查看本部门的任务", "reviewers see their own department's tasks only"
            )
        department = actor.department
    elif not actor.reads_everything:
        raise AccessDenied(
            "只有审批、监管人员和管理员可以查看部门任务",
            "only reviewers, regulators and administrators see worklists",
        )
    q = (
        select(TaskRow, StepRow, ProjectRow)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .join(ProjectRow, TaskRow.project_id == ProjectRow.id)
        .where(TaskRow.status.in_(wf.OPEN_STATUSES))
        .options(selectinload(TaskRow.deferrals))
    )
    if department:
        q = q.where(TaskRow.department == department)
    rows = []
    for task, step, project in session.execute(q):
        summary = task_summary(task, step, today, calendar)
        left = summary["workdays_left"]
        rows.append(
            {
                **summary,
                "project_id": project.id,
                "project_code": project.code,
                "project_name": project.name,
                "step_code": step.code,
                "step_name": step.name,
                "critical": step.critical,
                "slack": step.slack,
                "overdue_workdays": -left if left is not None and left < 0 else 0,
            }
        )
    rows.sort(
        key=lambda r: (
            0 if r["clock"] == "overdue" else 1,
            -r["overdue_workdays"],
            r["slack"] if r["slack"] is not None else 10**6,
            0 if r["critical"] else 1,
            r["due_on"] or "9999-12-31",
            r["id"],
        )
    )
    return rows


def scan_clocks(session: Session, today: date, calendar: WorkCalendar) -> list[EscalationRow]:
    """Record an escalation (督办) for every task newly overdue; make ready any step whose early
    start (提前介入) has come.  Idempotent: one escalation per task and level."""
    raised = []
    open_tasks = session.execute(
        select(TaskRow, StepRow)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .where(TaskRow.status == "in_review")
        .options(selectinload(TaskRow.deferrals))
    ).all()
    known = {(e.task_id, e.level) for e in session.scalars(select(EscalationRow))}
    for task, step in open_tasks:
        state = wf.clock_state(_clock(task), today, calendar, step.slack)
        # 督办 is for tasks past their due day; "warning" shows on the clock, it is not escalated
        for level in ["overdue"] if state == "overdue" else []:
            if (task.id, level) in known:
                continue
            row = EscalationRow(task_id=task.id, level=level, raised_on=today, due_on=task.due_on)
            session.add(row)
            known.add((task.id, level))
            raised.append(row)
            record(
                session,
                actor=SYSTEM.username,
                role=SYSTEM.role,
                action=f"task.escalate.{level}",
                entity="task",
                entity_id=task.id,
                project_id=task.project_id,
                after={"due_on": _iso(task.due_on), "level": level},
            )
    for project in session.scalars(select(ProjectRow).where(ProjectRow.status == "in_review")):
        if _advance(session, project, today, calendar):
            replan(
                session,
                project,
                today,
                calendar,
                "提前介入：前置事项即将办结，后续事项转为待受理",
                "early start: the prerequisite is about to finish",
            )
    session.flush()
    return raised
