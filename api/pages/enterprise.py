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
from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES
from approvals.errors import FilingInvalid
from approvals.questionnaire import next_questions, relevant_questions
from approvals.service import active_catalogue, work_calendar
from approvals.services import filing, materials, ratings
from i18n import LocalizedError
from landplots.model import PlotStatus
from landplots.services import registry


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


#: The form's checkbox of each regional assessment (区域评价) is ``ra-<type>``.
RA_PREFIX = "ra-"


def _regional(form: dict[str, str]) -> list[str]:
    """The regional assessments ticked on the form (one checkbox each, by its Chinese name),
    and any given as a comma-separated list of types (``regional_assessments``)."""
    raw = form.get("regional_assessments", "").replace("，", ",")
    given = [r.strip() for r in raw.split(",") if r.strip()]
    ticked = [k[len(RA_PREFIX) :] for k, v in form.items() if k.startswith(RA_PREFIX) and v]
    return list(dict.fromkeys([*ticked, *given]))


def _plot_choices(session: Session, enterprise_id: int | None, lang: str) -> list[dict[str, Any]]:
    """The plot picker: listed (挂牌) plots nobody else has filed on, and plots this enterprise
    already files on, with zone and area."""
    claimed = filing.claimed_plots(session)
    out = []
    for p in registry.get_plots(session):
        holders = claimed.get(p.code, set())
        mine = enterprise_id in holders
        if mine or (p.status is PlotStatus.LISTED and not holders):
            out.append(
                {
                    "code": p.code,
                    "label": f"{p.code} · {p.zone} · {p.area_mu:.1f} {'mu' if lang == 'en' else '亩'}"
                    f" · {p.status.text(lang)}",
                }
            )
    return out


def _new_project_page(
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    form: dict[str, str] | None = None,
    refused: FilingInvalid | None = None,
) -> Template:
    """The questionnaire, then the 一次告知 preview — planned by :func:`filing.prepare_filing`,
    the very computation filing runs, so the preview is the plan the project will get.  Every
    missing or refused answer is marked at its field."""
    lang = page_lang(request)
    user = require_user(request, Role.ENTERPRISE)
    catalogue = active_catalogue(session)
    form = form or {}
    answers = _parse_answers(catalogue, form)
    relevant = relevant_questions(catalogue, answers)
    questions = [question_out(q) for q in relevant]
    shown_before = set(filter(None, form.get("__shown", "").split(",")))
    field_errors: dict[str, str] = {}
    for q in relevant:
        if q.key in shown_before and q.key not in answers and not q.has_default:
            field_errors[q.key] = "必须填写" if lang == "zh" else "required"
    notice = None
    error = None
    if refused is None and form and not field_errors and not next_questions(catalogue, answers):
        try:
            prepared = filing.prepare_filing(
                session,
                catalogue,
                work_calendar(session),
                enterprise_id=actor_of(user).enterprise_id or 0,
                attributes=answers,
                filed_on=clock.today(),
                plot_code=(form.get("plot") or "").strip() or None,
                regional_assessments=_regional(form),
                plots=request.app.state.plot_assessments,
            )
            full = prepared.plan.to_dict(lang)
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
        except FilingInvalid as e:
            refused = e
        except LocalizedError as e:
            error = e.text(lang)  # type: ignore[arg-type]
    if refused is not None:
        field_errors.update({k: t(lang) for k, t in refused.fields.items()})  # type: ignore[arg-type]
        # the messages name each field by its label; the summary carries no internal key
        error = "；".join(t(lang) for t in refused.problems)  # type: ignore[arg-type]
    elif field_errors:
        error = (
            f"{len(field_errors)} answer(s) missing: see the marked fields"
            if lang == "en"
            else f"还有 {len(field_errors)} 项未填写，请见标出的栏目"
        )
    shown = dict(answers)
    shown["__name"] = form.get("name", "")
    shown["__regional"] = _regional(form)
    shown["__plot"] = form.get("plot", "")
    ctx = context(
        request,
        session,
        clock,
        questions=questions,
        answers=shown,
        notice=notice,
        field_errors=field_errors,
        shown_keys=",".join(q.key for q in relevant),
        plot_choices=_plot_choices(session, actor_of(user).enterprise_id, lang),
        assessment_types=[
            (code, en if lang == "en" else zh)
            for code, (zh, en) in REGIONAL_ASSESSMENT_TYPES.items()
        ],
    )
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
    try:
        p = filing.file_project(
            session,
            actor_of(user),
            work_calendar(session),
            name=data.get("name", ""),
            attributes=answers,
            plot_code=(data.get("plot") or "").strip() or None,
            regional_assessments=_regional(data),
            filed_on=clock.today(),
            plots=request.app.state.plot_assessments,
        )
        agent_pages.assign_after_filing(session, p)  # in the filing's unit of work
        session.commit()
    except FilingInvalid as e:
        session.rollback()
        return _new_project_page(request, session, clock, data, refused=e)
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
    content = (
        upload.file.read(materials.MAX_MATERIAL_BYTES + 1)
        if isinstance(upload, UploadFile)
        else b""
    )
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
