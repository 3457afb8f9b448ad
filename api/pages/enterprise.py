"""The enterprise's pages: filing a project through the questionnaire (一次告知, with the plan it
will get shown before filing), uploading materials, answering corrections and rating the items."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.actor import Role
from access.policy import Action, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages import agents as agent_pages
from api.pages.layout import back, context, page_lang, require_user, run_form_action
from api.routes.catalog import question_out
from api.routes.common import IdPath
from approvals.graph import Mechanisms
from approvals.planning import plan
from approvals.project import Project, parse_assessment
from approvals.questionnaire import relevant_questions, resolve_answers
from approvals.service import active_catalogue, work_calendar
from approvals.services import filing, materials, ratings
from i18n import LocalizedError


def _parse_answers(catalogue: Any, form: dict[str, str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in catalogue.questions.values():
        raw = (form.get(q.key) or "").strip()
        if raw == "":
            continue
        if q.type == "boolean":
            answers[q.key] = raw == "true"
        elif q.type == "number":
            try:
                answers[q.key] = float(raw) if "." in raw else int(raw)
            except ValueError:
                answers[q.key] = raw  # refused with a clear message by the questionnaire
        elif q.type == "choice":
            values = {str(o.value): o.value for o in q.options}
            answers[q.key] = values.get(raw, raw)
        else:
            answers[q.key] = raw
    return answers


def _new_project_page(
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    form: dict[str, str] | None = None,
) -> Template:
    lang = page_lang(request)
    catalogue = active_catalogue(session)
    form = form or {}
    answers = _parse_answers(catalogue, form)
    questions = [question_out(q) for q in relevant_questions(catalogue, answers)]
    notice = None
    error = None
    pending = [
        q
        for q in relevant_questions(catalogue, answers)
        if q.key not in answers and not q.has_default
    ]
    if form and not pending:
        try:
            resolved = resolve_answers(catalogue, answers)
            regional = [
                r.strip()
                for r in form.get("regional_assessments", "").replace("，", ",").split(",")
                if r.strip()
            ]
            assessments = tuple(
                parse_assessment(a, f"regional_assessments[{i}]") for i, a in enumerate(regional)
            )
            # what departments review, as a filing baselines it (no enterprise activities)
            full = plan(
                catalogue,
                Project(resolved, assessments),
                work_calendar(session),
                clock.today(),
                Mechanisms(activities=False),
            ).to_dict(lang)
            notice = {
                "items": full["items"],
                "waived": full["waived"],
                "reduced_to_commitment": full["reduced_to_commitment"],
                "materials_to_submit": [m for m in full["materials"] if m["provided_by"] is None],
                "certificates_passed_on": [m for m in full["materials"] if m["provided_by"]],
                "makespan_workdays": full["makespan_workdays"],
                "serial_workdays": full["serial_workdays"],
                "finish_date": full["finish_date"],
            }
        except LocalizedError as e:
            error = e.text(lang)  # type: ignore[arg-type]
    shown = dict(answers)
    shown["__name"] = form.get("name", "")
    shown["__regional"] = form.get("regional_assessments", "")
    shown["__plot"] = form.get("plot", "")
    ctx = context(request, session, clock, questions=questions, answers=shown, notice=notice)
    if error:
        ctx["error"] = error
    return Template("project_new.html", context=ctx)


@get("/enterprise/projects/new", include_in_schema=False, sync_to_thread=True)
def new_project(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, Role.ENTERPRISE)
    return _new_project_page(request, session, clock)


@post("/enterprise/projects/new", include_in_schema=False, sync_to_thread=True)
def new_project_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    user = require_user(request, Role.ENTERPRISE)
    if data.get("action") != "file":
        session.rollback()
        return _new_project_page(request, session, clock, data)
    catalogue = active_catalogue(session)
    answers = _parse_answers(catalogue, data)
    regional = [
        r.strip()
        for r in data.get("regional_assessments", "").replace("，", ",").split(",")
        if r.strip()
    ]
    try:
        p = filing.file_project(
            session,
            actor_of(user),
            work_calendar(session),
            name=data.get("name", ""),
            attributes=answers,
            plot_code=data.get("plot") or None,
            regional_assessments=regional,
            filed_on=clock.today(),
        )
        agent_pages.assign_after_filing(session, p)  # in the filing's unit of work
        session.commit()
    except LocalizedError as e:
        session.rollback()
        ctx_page = _new_project_page(request, session, clock, data)
        ctx_page.context["error"] = e.text(page_lang(request))  # type: ignore[index]
        return ctx_page
    lang = page_lang(request)
    return back(
        f"/projects/{p.id}",
        msg=f"filed {p.code}" if lang == "en" else f"已申报 {p.code}，各部门并联审查中",
    )


@post("/projects/{project_id:int}/materials", include_in_schema=False, sync_to_thread=True)
def upload_material_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Redirect:
    user = require_user(request, *roles_for(Action.PROJECT_SUPPLY))
    upload = data.get("file")
    content = upload.file.read(materials.MAX_MATERIAL_BYTES + 1) if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    url = f"/projects/{project_id}"
    return run_form_action(
        request,
        session,
        url,
        lambda: materials.upload_material(
            session,
            actor_of(user),
            project_id,
            str(data.get("code", "")),
            filename or "",
            content,
            clock.today(),
            work_calendar(session),
        ),
        ("材料已提交", "material uploaded"),
    )


@post("/projects/{project_id:int}/resubmit", include_in_schema=False, sync_to_thread=True)
def resubmit_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    user = require_user(request, *roles_for(Action.PROJECT_SUPPLY))
    task_id = int(data.get("task_id", "0") or 0)
    return run_form_action(
        request,
        session,
        f"/projects/{project_id}",
        lambda: materials.resubmit_corrections(
            session, actor_of(user), project_id, task_id, clock.today(), work_calendar(session)
        ),
        ("补正已提交，恢复计时", "corrections submitted"),
    )


@post("/projects/{project_id:int}/ratings", include_in_schema=False, sync_to_thread=True)
def rate_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    user = require_user(request, *roles_for(Action.PROJECT_SUPPLY))
    score = int(data.get("score", "0") or 0) if (data.get("score") or "").isdigit() else 0
    return run_form_action(
        request,
        session,
        f"/projects/{project_id}",
        lambda: ratings.rate_step(
            session,
            actor_of(user),
            project_id,
            data.get("step", ""),
            score,
            data.get("comment", ""),
        ),
        ("感谢评价", "thank you for rating"),
    )


ROUTES = [new_project, new_project_submit, upload_material_page, resubmit_page, rate_page]
