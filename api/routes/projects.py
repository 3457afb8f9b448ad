"""Projects: filing once (一窗受理), the live plan, materials, 补正 answers, ratings, audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.policy import Action
from agent_service.services import assignment as assignment_service
from api.answers import AnswerCache, kept, project_answer
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import (
    Id,
    IdPath,
    PageParam,
    SearchParam,
    SizeParam,
    SortParam,
    actor,
    idempotent,
    page_meta,
    paging_query,
)
from api.schemas.common import to
from api.schemas.projects import (
    AuditOut,
    CertificatesOut,
    FiledProjectOut,
    LivePlanOut,
    MaterialsOut,
    ProjectOut,
    ProjectPage,
    ProjectTasksOut,
    RatedOut,
    RatingsOut,
    UploadedOut,
)
from api.schemas.tasks import TaskSummary
from approvals.orm import CertificateRow, EnterpriseRow, MaterialRow, RatingRow
from approvals.service import work_calendar
from approvals.services import filing, materials, progress, queries
from approvals.services.ratings import RATING_LABELS, rate_step
from storage import versions
from storage.engine import json_loads


class ProjectIn(msgspec.Struct, forbid_unknown_fields=True):
    """一表申请: the one application form."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    form: dict[str, Any] = msgspec.field(default_factory=dict)
    plot: str | None = None
    regional_assessments: list[Any] = msgspec.field(default_factory=list)
    code: str | None = None
    region: str = "330110"
    enterprise_id: Id | None = None  # the one window (admin) files on an enterprise's behalf


def project_summaries(session: Session, rows: list[Any], lang: str = "zh") -> list[dict[str, Any]]:
    """Projects as listed (项目概要): two grouped queries for every row (enterprises, step counts);
    one when the rows are plain ones that carry their ``enterprise_name``
    (:func:`approvals.services.queries.project_page`), none when they carry their
    ``step_counts`` too (:func:`approvals.services.queries.plain_project`).  Plain rows carry their JSON documents as
    text (:data:`~approvals.services.queries.SUMMARY_COLUMNS`): the answer has them as
    :class:`msgspec.Raw`, encoded verbatim — give it to :func:`~api.schemas.common.to` with ``builtins=True``."""
    if all(hasattr(p, "enterprise_name") for p in rows):
        names = {p.enterprise_id: p.enterprise_name for p in rows}
    else:
        names = dict(
            session.execute(
                select(EnterpriseRow.id, EnterpriseRow.name).where(
                    EnterpriseRow.id.in_({p.enterprise_id for p in rows})
                )
            ).all()
        )
    if all(hasattr(p, "step_counts") for p in rows):  # counted as read (plain_project)
        counts = {p.id: p.step_counts for p in rows}
    else:
        counts = queries.step_counts(session, [p.id for p in rows])
    return [_project_dict(p, names.get(p.enterprise_id), counts[p.id], lang) for p in rows]


def project_out(session: Session, p: Any, lang: str = "zh") -> dict[str, Any]:
    return project_summaries(session, [p], lang)[0]


def _project_dict(
    p: Any, enterprise: str | None, counts: dict[str, int], lang: str = "zh"
) -> dict[str, Any]:
    """A project (an ORM row, or a plain row of ``SUMMARY_COLUMNS``) as listed."""
    attributes, form, plan_finish, delays = _documents(p, lang)
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "status": p.status,
        "version": p.version,
        "enterprise": {"id": p.enterprise_id, "name": enterprise},
        "plot": p.plot_code,
        "filed_on": p.filed_on.isoformat(),
        "attributes": attributes,
        "form": form,
        "baseline_finish": p.baseline_finish.isoformat(),
        "predicted_finish": p.predicted_finish.isoformat() if p.predicted_finish else None,
        "plan_finish": plan_finish,
        "finish_delays": delays,
        "baseline_makespan_workdays": p.baseline_makespan,
        "serial_workdays": p.serial_workdays,
        "steps": counts,
        "agent_user_id": p.agent_user_id,
    }


def _documents(p: Any, lang: str) -> tuple[Any, Any, Any, dict[str, Any] | None]:
    """A project's attributes, form, plan finish and worded finish delays.  A plain row of
    ``SUMMARY_COLUMNS`` has its documents as text: passed on as read (:func:`_raw_json`), its
    delays worded once per distinct value (:func:`_finish_view`)."""
    if hasattr(p, "attributes_json"):
        return (
            _raw_json(p.attributes_json),
            _raw_json(p.form_json),
            *_finish_view(p.finish_delays_json, lang),
        )
    delays = p.finish_delays
    return (
        p.attributes,
        p.form,
        (delays or {}).get("plan_finish"),
        progress.delays_view(delays, lang),
    )


def _raw_json(text: str | None) -> Any:
    """A JSON column's text as the answer passes it on: :class:`msgspec.Raw`, spliced into the
    answer verbatim.  ``NaN`` / ``Infinity`` (the standard module's tokens, which SQLite's text
    may hold) are not JSON: such a document is decoded as a read decodes it (they become
    ``null``, as before)."""
    if text is None:
        return None
    if "NaN" in text or "Infinity" in text:
        return json_loads(text)
    return msgspec.Raw(text)


#: (the text of a project's ``finish_delays``, lang) → its plan_finish and delays_view: the same
#: few values recur in every list, decoding and wording them was a sixth of a list's CPU.
_FINISH_VIEWS: dict[tuple[str | None, str], tuple[Any, dict[str, Any] | None]] = {}


def _finish_view(text: str | None, lang: str) -> tuple[Any, dict[str, Any] | None]:
    """``plan_finish`` and :func:`~approvals.services.progress.delays_view` of a project's
    ``finish_delays`` read as text (a fresh dict each call: answers are never shared)."""
    key = (text, lang)
    found = _FINISH_VIEWS.get(key)
    if found is None:
        delays = json_loads(text) if text is not None else None
        found = ((delays or {}).get("plan_finish"), progress.delays_view(delays, lang))
        if len(_FINISH_VIEWS) >= 4096:
            _FINISH_VIEWS.clear()
        _FINISH_VIEWS[key] = found
    plan_finish, view = found
    return plan_finish, (dict(view) if view is not None else None)


@get(
    "/api/projects",
    operation_id="listProjects",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(400, 401),
    summary="可见的项目 The caller's visible projects",
)
def list_projects(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    page: PageParam = None,
    size: SizeParam = None,
    sort: SortParam = None,
    q: SearchParam = None,
) -> ProjectPage:
    """An enterprise sees its own projects; a reviewer those with tasks for its department; an
    agent those assigned to them; regulators and administrators all.  ``q`` searches code and
    name; ``sort`` is one of filed_on, code, name, status, baseline_finish, predicted_finish
    (default ``-filed_on``)."""
    paging = paging_query(queries.PROJECT_SORTS, "-filed_on", page, size, sort, q)
    found = queries.project_page(session, actor(request), paging, status=status, plain=True)
    lang = request_lang(request)
    return to(
        ProjectPage,
        {
            "items": summary_fragments(session, request.app.state.answers, list(found.items), lang),
            **page_meta(found),
        },
        builtins=True,  # JSON documents and kept summaries passed on as msgspec.Raw
    )


def summary_fragments(
    session: Session, cache: AnswerCache | None, rows: list[Any], lang: str
) -> list[Any]:
    """Each project of a page as listed, encoded (:class:`msgspec.Raw`), kept per project under
    its revision (``revision_``, read with the page) like its detail and plan (:mod:`api.answers`):
    a busy list mostly shows projects unchanged since the last time it was read, so the page
    reads only ids and revisions, and the projects not kept are read in one more statement.

    A project changed between the two statements is built as it is now and kept under the
    revision the page read: a newer answer under an older revision, which the next page (it
    reads the newer revision) does not use — never an older answer under a newer one."""
    if not rows:
        return []

    def build(missing: list[int]) -> list[dict[str, Any]]:
        full = queries.plain_projects(session, [rows[i].id for i in missing])
        return project_summaries(session, [full[rows[i].id] for i in missing], lang)

    bodies = kept(
        cache,
        versions.version(session),  # read with the page
        "summary",
        [("summary", lang, p.id, p.revision_) for p in rows],
        build,
    )
    return [msgspec.Raw(body) for body in bodies]


@post(
    "/api/projects",
    operation_id="fileProject",
    tags=["projects"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.PROJECT_FILE)],
    responses=problems(*WRITE),
    summary="申报项目（一窗受理）File a project",
)
def file_project(
    data: JSONBody[ProjectIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[FiledProjectOut]:
    """File once: the questionnaire's answers, the form and the plot.  The plan is computed, each
    department whose items can start gets its task at once, an agent (代办员) is assigned by rule
    (zone and industry, least loaded), and the complete list of items and materials is returned
    (一次告知) with the agent's name and contact."""

    def act() -> tuple[int, Any]:
        calendar = work_calendar(session)
        p = filing.file_project(
            session,
            actor(request),
            calendar,
            name=data.name,
            attributes=data.attributes,
            form=data.form,
            plot_code=data.plot,
            regional_assessments=data.regional_assessments,
            code=data.code,
            filed_on=clock.today(),
            region=data.region,
            enterprise_id=data.enterprise_id,
            plots=request.app.state.plot_assessments,
        )
        assignment_service.assign_on_filing(session, p, clock.today(), by=actor(request).username)
        baseline = p.baseline
        body = project_out(session, p)
        body["agent"] = assignment_service.project_agent(session, actor(request), p.id)["agent"]
        body["notice"] = {
            "items": [
                {
                    "code": i["code"],
                    "name": i["name"],
                    "departments": i["departments"],
                    "days": i["days"],
                }
                for i in baseline["items"]
            ],
            "waived": baseline["waived"],
            "reduced_to_commitment": baseline["reduced_to_commitment"],
            "materials_to_submit": [m for m in baseline["materials"] if m["provided_by"] is None],
            "certificates_passed_on": [
                m for m in baseline["materials"] if m["provided_by"] is not None
            ],
        }
        return 201, to(FiledProjectOut, body)

    return idempotent(session, request, data, act)


@get(
    "/api/projects/{project_id:int}",
    operation_id="getProject",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="项目详情 A project",
)
def get_project(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> ProjectOut:
    who, lang = actor(request), request_lang(request)
    return project_answer(  # type: ignore[return-value]  # the same ProjectOut, encoded
        request.app.state.answers,
        session,
        who,
        project_id,
        ("project", lang),
        lambda: to(
            ProjectOut,
            project_out(session, queries.plain_project(session, who, project_id), lang),
            builtins=True,  # JSON documents passed on as msgspec.Raw
        ),
    )


@get(
    "/api/projects/{project_id:int}/plan",
    operation_id="getProjectPlan",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="实时计划与基线 The live plan against the baseline",
)
def get_plan(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> LivePlanOut:
    """Actual dates for what is done, forecasts for the rest, the predicted finish against the
    baseline, and each change with its reason."""
    who, lang, today = actor(request), request_lang(request), clock.today()

    def build() -> Any:
        p = queries.plan_project(session, who, project_id)  # plain rows, no ORM
        return to(
            LivePlanOut,
            progress.live_plan(session, p, today, work_calendar(session), lang),
            builtins=True,  # dates as ISO strings already
        )

    return project_answer(  # type: ignore[return-value]  # the same LivePlanOut, encoded
        request.app.state.answers, session, who, project_id, ("plan", lang, today), build
    )


@get(
    "/api/projects/{project_id:int}/tasks",
    operation_id="listProjectTasks",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="项目的审批任务 The project's tasks",
)
def project_tasks(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> ProjectTasksOut:
    p = queries.get_project(session, actor(request), project_id, whole=True)
    calendar = work_calendar(session)
    items = []
    for s in p.steps:
        for t in s.tasks:
            items.append(
                {
                    **progress.task_summary(t, s, clock.today(), calendar),
                    "step_code": s.code,
                    "step_name": s.name,
                    "critical": s.critical,
                    "slack": s.slack,
                }
            )
    return to(ProjectTasksOut, {"items": items})


@get(
    "/api/projects/{project_id:int}/materials",
    operation_id="listProjectMaterials",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="一套材料 The project's one set of materials",
)
def project_materials(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> MaterialsOut:
    """Every material the plan needs, once, with who needs it and whether it is uploaded, passed
    on as a certificate, or missing."""
    p = queries.get_project(session, actor(request), project_id)
    needs: dict[str, dict[str, Any]] = {}
    facts = queries.material_facts(session, p)
    for s in p.steps:
        for m in queries.material_status(session, p, s, facts):
            entry = needs.setdefault(m["code"], {**m, "needed_by": []})
            entry["needed_by"].append(s.code)
    uploads = session.scalars(
        select(MaterialRow).where(MaterialRow.project_id == p.id).order_by(MaterialRow.id)
    ).all()
    return to(
        MaterialsOut,
        {
            "needed": list(needs.values()),
            "uploads": [
                {
                    "id": u.id,
                    "code": u.code,
                    "filename": u.filename,
                    "sha256": u.sha256,
                    "size": u.size,
                    "content_type": u.content_type,
                    "current": u.current,
                    "uploaded_at": u.uploaded_at.isoformat(),
                }
                for u in uploads
            ],
        },
    )


@dataclass
class MaterialUpload:
    code: str
    file: UploadFile


@post(
    "/api/projects/{project_id:int}/materials",
    operation_id="uploadMaterial",
    tags=["projects"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.PROJECT_SUPPLY)],
    responses=problems(*WRITE),
    summary="上传材料 Upload a material",
)
def upload_material(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[MaterialUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[UploadedOut]:
    """Stored once by its hash and reused by every item that needs it; a deferred (容缺) material
    of that code is marked supplied.  PDF, PNG, JPEG, TIFF or OFD/ZIP, at most 20 MB."""
    content = data.file.file.read(materials.MAX_MATERIAL_BYTES + 1)
    filename = data.file.filename or ""

    def act() -> tuple[int, Any]:
        row = materials.upload_material(
            session,
            actor(request),
            project_id,
            data.code,
            filename,
            content,
            clock.today(),
            work_calendar(session),
        )
        return 201, to(
            UploadedOut,
            {
                "id": row.id,
                "code": row.code,
                "sha256": row.sha256,
                "size": row.size,
                "filename": row.filename,
                "content_type": row.content_type,
            },
        )

    import hashlib

    return idempotent(
        session,
        request,
        {"code": data.code, "sha256": hashlib.sha256(content).hexdigest(), "name": filename},
        act,
    )


@get(
    "/api/projects/{project_id:int}/materials/{material_id:int}/content",
    operation_id="downloadMaterial",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="下载材料 Download a material",
    media_type="application/octet-stream",
    response_description="材料原文件 The material's file as uploaded (its SHA-256 is the ETag)",
)
def download_material(
    project_id: IdPath,
    material_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[bytes]:
    p = queries.get_project(session, actor(request), project_id)
    row = session.get(MaterialRow, material_id)
    if row is None or row.project_id != p.id:
        from approvals.errors import NotFoundError

        raise NotFoundError(f"材料 {material_id} 不存在", f"material {material_id} not found")
    from approvals.orm import BlobRow

    blob = session.get(BlobRow, row.sha256)
    assert blob is not None
    from urllib.parse import quote

    return Response(
        blob.content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "ETag": f'"{row.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@get(
    "/api/projects/{project_id:int}/certificates",
    operation_id="listCertificates",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="已核发证照 Certificates issued",
)
def certificates(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> CertificatesOut:
    p = queries.get_project(session, actor(request), project_id)
    rows = session.scalars(
        select(CertificateRow).where(CertificateRow.project_id == p.id).order_by(CertificateRow.id)
    )
    return to(
        CertificatesOut,
        {
            "items": [
                {
                    "id": c.id,
                    "code": c.code,
                    "name": c.name,
                    "number": c.number,
                    "item": c.item_code,
                    "issued_on": c.issued_on.isoformat(),
                    "issued_by": c.issued_by,
                    "status": c.status,
                    "content_sha256": c.content_sha256,
                    "verify_path": f"/verify/{c.number}",
                }
                for c in rows
            ]
        },
    )


class ResubmitIn(msgspec.Struct, forbid_unknown_fields=True):
    task_id: Id


@post(
    "/api/projects/{project_id:int}/resubmissions",
    operation_id="resubmitCorrections",
    tags=["projects"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.PROJECT_SUPPLY)],
    responses=problems(*WRITE),
    summary="提交补正 Answer a correction request",
)
def resubmit(
    project_id: IdPath,
    data: JSONBody[ResubmitIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskSummary]:
    """After uploading the corrected materials: the task's clock resumes."""

    def act() -> tuple[int, Any]:
        calendar = work_calendar(session)
        task = materials.resubmit_corrections(
            session, actor(request), project_id, data.task_id, clock.today(), calendar
        )
        return 200, to(TaskSummary, progress.task_summary(task, task.step, clock.today(), calendar))

    return idempotent(session, request, data, act)


class RatingIn(msgspec.Struct, forbid_unknown_fields=True):
    step: str
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""


@post(
    "/api/projects/{project_id:int}/ratings",
    operation_id="rateStep",
    tags=["projects"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.PROJECT_SUPPLY)],
    responses=problems(*WRITE),
    summary="好差评 Rate a completed step",
)
def rate(
    project_id: IdPath,
    data: JSONBody[RatingIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[RatedOut]:
    def act() -> tuple[int, Any]:
        row = rate_step(session, actor(request), project_id, data.step, data.score, data.comment)
        return 201, to(
            RatedOut,
            {
                "step": row.step_code,
                "score": row.score,
                "label": RATING_LABELS[row.score],
                "comment": row.comment,
            },
        )

    return idempotent(session, request, data, act)


@get(
    "/api/projects/{project_id:int}/ratings",
    operation_id="listRatings",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="项目评价 The project's ratings",
)
def ratings(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> RatingsOut:
    p = queries.get_project(session, actor(request), project_id)
    rows = session.scalars(
        select(RatingRow).where(RatingRow.project_id == p.id).order_by(RatingRow.id)
    )
    return to(
        RatingsOut,
        {
            "items": [
                {
                    "step": r.step_code,
                    "departments": r.departments,
                    "score": r.score,
                    "label": RATING_LABELS[r.score],
                    "comment": r.comment,
                    "rated_at": r.rated_at.isoformat(),
                }
                for r in rows
            ]
        },
    )


@get(
    "/api/projects/{project_id:int}/audit",
    operation_id="getProjectAudit",
    tags=["projects"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="审计记录 The project's audit trail",
)
def project_audit(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> AuditOut:
    """Every action on the project: who, when, what, before and after (append-only)."""
    who = actor(request)

    def build() -> Any:
        rows = queries.project_audit(session, who, project_id)  # plain rows, no ORM
        return to(AuditOut, {"items": [audit_out(r) for r in rows]}, builtins=True)

    return project_answer(  # type: ignore[return-value]  # the same AuditOut, encoded
        request.app.state.answers, session, who, project_id, ("audit",), build
    )


def audit_out(r: Any) -> dict[str, Any]:
    """An :class:`~storage.audit.AuditRow` (or its plain row) as the API answers it."""
    return {
        "id": r.id,
        "at": r.at.isoformat(),
        "actor": r.actor,
        "role": r.role,
        "action": r.action,
        "entity": r.entity,
        "entity_id": r.entity_id,
        "project_id": r.project_id,
        "before": r.before,
        "after": r.after,
    }


ROUTES = [
    list_projects,
    file_project,
    get_project,
    get_plan,
    project_tasks,
    project_materials,
    upload_material,
    download_material,
    certificates,
    resubmit,
    rate,
    ratings,
    project_audit,
]
