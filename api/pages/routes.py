"""Server-rendered pages for every role (litestar templates; every asset served by the app).

Pages call the same services as the HTTP API.  Login sets an HttpOnly cookie holding the same
short-lived token; forms are protected by litestar's CSRF middleware; the language is
Simplified Chinese unless the ``lang`` cookie (set by the switch in the header) says English.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from api.accounts import (
    ROLES,
    AccountError,
    Principal,
    UserRow,
    authenticate,
    create_user,
    principal_of,
)
from api.auth import TOKEN_COOKIE, decode_token, issue_token
from api.clock import Clock
from api.pages import texts
from api.pages.gantt import render_gantt
from api.pages.graph_svg import render_catalogue_graph
from api.routes.catalog import catalogue_out, question_out
from api.routes.common import IdPath
from api.settings import Settings
from approvals import workflow as wf
from approvals.calendar import builtin_arrangements, parse_arrangement
from approvals.documents import parse_document
from approvals.orm import CertificateRow, CorrectionRow, DepartmentRow, EnterpriseRow, ProjectRow
from approvals.planning import plan
from approvals.project import Project, parse_assessment
from approvals.questionnaire import relevant_questions, resolve_answers
from approvals.service import active_catalogue, store_arrangement, work_calendar
from approvals.services import clocks, filing, materials, progress, queries, ratings, review
from i18n import LocalizedError
from storage.audit import AuditRow, record

LANG_COOKIE = "lang"
_DEPARTMENT_NAMES: dict[str, tuple[str, str]] = {}

HOME_BY_ROLE = {
    "enterprise": "/enterprise",
    "reviewer": "/reviewer",
    "agent": "/agent",
    "regulator": "/regulator",
    "admin": "/admin/projects",
}


def page_lang(request: Request[Any, Any, Any]) -> str:
    value = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return "en" if value.startswith("en") else "zh"


def current_user(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    if isinstance(user, Principal):
        return user
    raw = request.cookies.get(TOKEN_COOKIE)
    if raw:
        try:
            state = request.app.state
            return decode_token(raw, state.signing_key, state.settings.previous_secret_keys)
        except NotAuthorizedException:
            return None
    return None


def require_user(request: Request[Any, Any, Any], *roles: str) -> Principal:
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException("未登录 (not authenticated)")
    if roles and user.role not in roles:
        from litestar.exceptions import PermissionDeniedException

        raise PermissionDeniedException(
            f"角色“{user.role}”无权访问此页 (role '{user.role}' may not open this page)"
        )
    return user


def nav_for(user: Principal | None, lang: str) -> list[tuple[str, str]]:
    if user is None:
        return [("/login", texts.text("login", lang))]
    t = lambda k: texts.text(k, lang)  # noqa: E731
    items = {
        "enterprise": [
            ("/enterprise", t("my_projects")),
            ("/enterprise/projects/new", t("new_project")),
        ],
        "reviewer": [("/reviewer", t("worklist"))],
        "agent": [("/agent", t("agent"))],
        "regulator": [("/regulator", t("projects"))],
        "admin": [
            ("/admin/projects", t("projects")),
            ("/admin/catalog", t("catalogue")),
            ("/admin/calendar", t("calendar")),
            ("/admin/users", t("users")),
            ("/admin/jobs", t("jobs")),
        ],
    }
    return items.get(user.role, []) + extra_nav(user, lang)


#: Other packages add pages (agents, plots, commitments) with their links here.
EXTRA_NAV: list[Any] = []


def extra_nav(user: Principal, lang: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for provider in EXTRA_NAV:
        out += provider(user, lang)
    return out


def refresh_departments(session: Session) -> None:
    global _DEPARTMENT_NAMES
    _DEPARTMENT_NAMES = {
        d.code: (d.name, d.name_en or d.name) for d in session.scalars(select(DepartmentRow))
    }


def department_name(code: str, lang: str = "zh") -> str:
    zh, en = _DEPARTMENT_NAMES.get(code, (code, code))
    return en if lang == "en" else zh


def context(
    request: Request[Any, Any, Any], session: Session, clock: Clock, **extra: Any
) -> dict[str, Any]:
    lang = page_lang(request)
    user = current_user(request)
    refresh_departments(session)
    role = ROLES.get(user.role, (user.role, user.role)) if user else ("", "")
    return {
        "lang": lang,
        "t": lambda key: texts.text(key, lang),
        "user": user,
        "role_name": role[1] if lang == "en" else role[0],
        "nav": nav_for(user, lang),
        "current_path": request.url.path,
        "today": clock.today().isoformat(),
        "message": request.query_params.get("msg"),
        "error": request.query_params.get("err"),
        **extra,
    }


def back(url: str, *, msg: str | None = None, err: str | None = None) -> Redirect:
    url, hash_, fragment = url.partition("#")  # the message goes before the fragment
    sep = "&" if "?" in url else "?"
    if msg:
        url += f"{sep}msg={quote(msg)}"
    elif err:
        url += f"{sep}err={quote(err)}"
    return Redirect(url + hash_ + fragment, status_code=303)


def run_form_action(
    request: Request[Any, Any, Any],
    session: Session,
    url: str,
    action: Any,
    ok: tuple[str, str],
    *,
    then: Any = None,
) -> Redirect:
    """Do a form's action in the request's unit of work; on a domain error come back with it.
    ``then(result)``, when given, names the page to go to on success (e.g. what was created)."""
    lang = page_lang(request)
    try:
        result = action()
        session.commit()
    except LocalizedError as e:
        session.rollback()
        return back(url, err=e.text(lang))  # type: ignore[arg-type]
    return back(then(result) if then else url, msg=ok[1] if lang == "en" else ok[0])


# --- login, language -------------------------------------------------------------------------


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    user = current_user(request)
    return Redirect(HOME_BY_ROLE.get(user.role, "/login") if user else "/login", status_code=303)


@get("/login", include_in_schema=False, sync_to_thread=True)
def login_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    next_url: Annotated[str, QueryParameter(name="next", max_length=300)] = "",
) -> Template:
    return Template(
        "login.html", context=context(request, session, clock, next_url=_safe_next(next_url))
    )


def _safe_next(url: str) -> str:
    """Only same-site paths (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


@post("/login", include_in_schema=False, sync_to_thread=True, opt={"read_only": True})
def login_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    lang = page_lang(request)
    username, password = data.get("username", ""), data.get("password", "")
    limiter = request.app.state.login_limiter
    key = f"{request.client.host if request.client else '?'}|{username}"
    try:
        limiter.check(key)
    except Exception as e:  # TooManyRequests
        return back("/login", err=str(getattr(e, "detail", e)))
    user = authenticate(session, username, password)
    if user is None:
        limiter.failed(key)
        return back(
            "/login", err="wrong username or password" if lang == "en" else "用户名或密码错误"
        )
    limiter.succeeded(key)
    who = principal_of(user)
    token, seconds = issue_token(who, request.app.state.signing_key, settings.token_minutes)
    target = _safe_next(data.get("next", "")) or HOME_BY_ROLE.get(who.role, "/")
    return Redirect(
        target,
        status_code=303,
        cookies=[
            Cookie(
                key=TOKEN_COOKIE,
                value=token,
                max_age=seconds,
                httponly=True,
                samesite="lax",
                path="/",
            ),
        ],
    )


@post("/logout", include_in_schema=False)
async def logout() -> Redirect:
    return Redirect(
        "/login",
        status_code=303,
        cookies=[
            Cookie(key=TOKEN_COOKIE, value="", max_age=0, httponly=True, samesite="lax", path="/")
        ],
    )


@get("/lang/{code:str}", include_in_schema=False)
async def set_lang(
    code: FromPath[str], next_url: Annotated[str, QueryParameter(name="next", max_length=300)] = "/"
) -> Redirect:
    lang = "en" if code == "en" else "zh"
    return Redirect(
        _safe_next(next_url) or "/",
        status_code=303,
        cookies=[
            Cookie(key=LANG_COOKIE, value=lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
        ],
    )


# --- projects (every role, as visible) ----------------------------------------------------------


def project_rows(session: Session, user: Principal, lang: str) -> list[dict[str, Any]]:
    q = queries.visible_projects_query(actor_of(user)).order_by(ProjectRow.id.desc()).limit(200)
    return [
        {
            "id": p.id,
            "code": p.code,
            "name": p.name,
            "status_name": texts.named(texts.PROJECT_STATUS, p.status, lang),
            "filed_on": p.filed_on.isoformat(),
            "baseline_finish": p.baseline_finish.isoformat(),
            "predicted_finish": p.predicted_finish.isoformat() if p.predicted_finish else None,
        }
        for p in session.scalars(q)
    ]


def actor_of(user: Principal) -> Actor:
    """The signed-in user as the services know them."""
    return Actor(user.username, user.role, user.user_id, user.department, user.enterprise_id)


def _projects_page(
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    roles: tuple[str, ...],
    heading_key: str,
) -> Template:
    user = require_user(request, *roles)
    lang = page_lang(request)
    return Template(
        "projects.html",
        context=context(
            request,
            session,
            clock,
            heading=texts.text(heading_key, lang),
            projects=project_rows(session, user, lang),
            can_file=user.role == "enterprise",
        ),
    )


@get("/enterprise", include_in_schema=False, sync_to_thread=True)
def enterprise_home(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, ("enterprise",), "my_projects")


@get("/regulator", include_in_schema=False, sync_to_thread=True)
def regulator_home(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, ("regulator",), "projects")


@get("/admin/projects", include_in_schema=False, sync_to_thread=True)
def admin_projects(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, ("admin",), "projects")


#: Other packages contribute blocks (HTML) to the project page: fn(session, project, user, lang) → str.
PROJECT_BLOCKS: list[Any] = []
#: A function (session, project) → {"name", "phone"} naming the project's agent (agents package).
AGENT_OF: list[Any] = []


@get("/projects/{project_id:int}", include_in_schema=False, sync_to_thread=True)
def project_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    lang = page_lang(request)
    p = queries.get_project(session, actor_of(user), project_id, whole=True)
    calendar = work_calendar(session)
    live = progress.live_plan(session, p, clock.today(), calendar, lang)
    for s in live["steps"]:
        s["status_name"] = texts.named(texts.STEP_STATUS, s["status"], lang)
        for task in s["tasks"]:
            task["clock_name"] = texts.named(texts.CLOCK_NAMES, task["clock"], lang)
    batches = {i["code"]: i["batch"] for i in p.baseline["items"]}
    seq = calendar.sequence(p.filed_on)
    gantt = render_gantt(live, batches, seq.date_of, lang)
    materials: dict[str, dict[str, Any]] = {}
    facts = queries.material_facts(session, p)
    for s in p.steps:
        for m in queries.material_status(session, p, s, facts):
            entry = materials.setdefault(
                m["code"],
                {
                    **m,
                    "needed_by": [],
                    "state_name": texts.named(texts.MATERIAL_STATE, m["state"], lang),
                },
            )
            entry["needed_by"].append(s.code)
    corrections = [
        {
            "task_id": t.id,
            "step_code": s.code,
            "department": department_name(t.department, lang),
            "requested_on": c.requested_on.isoformat(),
            "reasons": c.reasons,
            "materials": c.material_codes,
        }
        for s in p.steps
        for t in s.tasks
        if t.status == "corrections"
        for c in session.scalars(
            select(CorrectionRow).where(
                CorrectionRow.task_id == t.id, CorrectionRow.resolved_on.is_(None)
            )
        )
    ]
    certificates = session.scalars(
        select(CertificateRow).where(CertificateRow.project_id == p.id).order_by(CertificateRow.id)
    ).all()
    owner = user.role == "enterprise" and user.enterprise_id == p.enterprise_id
    from approvals.orm import RatingRow

    rated = set(session.scalars(select(RatingRow.step_code).where(RatingRow.project_id == p.id)))
    agent = next((fn(session, p) for fn in AGENT_OF), None)
    return Template(
        "project.html",
        context=context(
            request,
            session,
            clock,
            project={
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "status_name": texts.named(texts.PROJECT_STATUS, p.status, lang),
            },
            plan=live,
            gantt=gantt,
            materials=list(materials.values()),
            corrections=corrections,
            certificates=[
                {"name": c.name, "number": c.number, "issued_on": c.issued_on.isoformat()}
                for c in certificates
            ],
            can_upload=owner,
            can_rate=owner,
            can_audit=user.role in {"regulator", "admin"} or owner,
            rateable=[s for s in p.steps if s.status == "done" and s.code not in rated],
            rating_labels=sorted(ratings.RATING_LABELS.items(), reverse=True),
            agent=agent,
            extra_blocks=[fn(session, p, user, lang) for fn in PROJECT_BLOCKS],
        ),
    )


@get("/projects/{project_id:int}/audit", include_in_schema=False, sync_to_thread=True)
def project_audit_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    p = queries.get_project(session, actor_of(user), project_id)
    entries = session.scalars(
        select(AuditRow).where(AuditRow.project_id == p.id).order_by(AuditRow.id.desc()).limit(300)
    ).all()
    return Template(
        "audit.html",
        context=context(request, session, clock, project={"code": p.code}, entries=entries),
    )


# --- enterprise: filing through the questionnaire, materials, corrections, ratings -------------


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
            full = plan(
                catalogue, Project(resolved, assessments), work_calendar(session), clock.today()
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
    require_user(request, "enterprise")
    return _new_project_page(request, session, clock)


@post("/enterprise/projects/new", include_in_schema=False, sync_to_thread=True)
def new_project_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template | Redirect:
    user = require_user(request, "enterprise")
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
            plots=request.app.state.plot_assessments,
        )
        for hook in AFTER_FILING:
            hook(session, p)
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


#: Hooks run in the filing unit of work (e.g. assigning a proxy agent).
AFTER_FILING: list[Any] = []


@post("/projects/{project_id:int}/materials", include_in_schema=False, sync_to_thread=True)
def upload_material_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Redirect:
    user = require_user(request, "enterprise")
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
    user = require_user(request, "enterprise")
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
    user = require_user(request, "enterprise")
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


# --- reviewer: worklist, task page, decisions ---------------------------------------------------


@get("/reviewer", include_in_schema=False, sync_to_thread=True)
def reviewer_home(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request, "reviewer")
    lang = page_lang(request)
    rows = clocks.worklist(session, actor_of(user), clock.today(), work_calendar(session))
    for r in rows:
        r["clock_name"] = texts.named(texts.CLOCK_NAMES, r["clock"], lang)
        r["status_name"] = wf.STATUS_NAMES.get(r["status"], (r["status"], r["status"]))[
            1 if lang == "en" else 0
        ]
    return Template(
        "worklist.html",
        context=context(
            request,
            session,
            clock,
            tasks=rows,
            department=department_name(user.department or "", lang),
        ),
    )


@get("/tasks/{task_id:int}", include_in_schema=False, sync_to_thread=True)
def task_page(
    task_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    lang = page_lang(request)
    from api.routes.tasks import _task_out

    task = queries.get_task(session, actor_of(user), task_id)
    out = _task_out(session, task, clock)
    out["clock_name"] = texts.named(texts.CLOCK_NAMES, out["clock"], lang)
    out["status_name"] = wf.STATUS_NAMES.get(out["status"], (out["status"], out["status"]))[
        1 if lang == "en" else 0
    ]
    for m in out["materials"]:
        m["state_name"] = texts.named(texts.MATERIAL_STATE, m["state"], lang)
    kinds = [(k, v[1] if lang == "en" else v[0]) for k, v in wf.SPECIAL_PROCEDURES.items()]
    return Template(
        "task.html",
        context=context(
            request,
            session,
            clock,
            task=out,
            special_kinds=kinds,
            can_act=user.role == "reviewer" and user.department == task.department,
        ),
    )


_DECISIONS = {
    "accept": (review.accept_task, ("已受理", "accepted")),
    "approve": (review.approve_task, ("已办结，证照已核发", "approved")),
    "reject": (review.reject_task, ("已作出不予许可决定", "rejected")),
    "corrections": (
        review.request_corrections,
        ("已一次性告知补正，计时暂停", "corrections requested"),
    ),
    "special": (
        review.start_special_procedure,
        ("已启动特别程序，计时暂停", "special procedure started"),
    ),
    "special-end": (
        review.end_special_procedure,
        ("特别程序结束，恢复计时", "special procedure ended"),
    ),
}


@post("/tasks/{task_id:int}/{action:str}", include_in_schema=False)
async def decide_page_entry(
    task_id: IdPath,
    action: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Redirect:
    form = await request.form()
    data = {k: form.getall(k) if k == "materials" else form.get(k) for k in form}
    from litestar.concurrency import sync_to_thread

    return await sync_to_thread(_decide_page, task_id, action, request, session, clock, data)


def _decide_page(
    task_id: int,
    action: str,
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    data: dict[str, Any],
) -> Redirect:
    user = require_user(request, "reviewer")
    url = f"/tasks/{task_id}"
    if action not in _DECISIONS:
        return back(url, err=f"unknown action {action}")
    fn, ok = _DECISIONS[action]
    version = int(data["version"]) if str(data.get("version") or "").isdigit() else None
    kwargs: dict[str, Any] = {"version": version}
    if action == "approve":
        kwargs["note"] = str(data.get("note") or "")
    if action in {"reject", "corrections"}:
        kwargs["reasons"] = str(data.get("reasons") or "")
    if action == "corrections":
        kwargs["materials"] = [str(m) for m in (data.get("materials") or [])]
    if action == "special":
        kwargs["kind"] = str(data.get("kind") or "")
    return run_form_action(
        request,
        session,
        url,
        lambda: fn(
            session, actor_of(user), task_id, clock.today(), work_calendar(session), **kwargs
        ),
        ok,
    )


# --- administrator: catalogue, calendar, users, background jobs ----------------------------------


@get("/admin/jobs", include_in_schema=False, sync_to_thread=True)
def admin_jobs(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """后台任务: the job engine, its queue and the latest runs (failures first, with the error)."""
    from api.jobs.status import job_status

    require_user(request, "admin")
    settings = request.app.state.settings
    status = job_status(
        session, settings.database_url, settings.jobs, jobs=getattr(request.app.state, "jobs", None)
    )
    return Template("admin_jobs.html", context=context(request, session, clock, status=status))


@get("/admin/catalog", include_in_schema=False, sync_to_thread=True)
def admin_catalog(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, "admin", "regulator")
    lang = page_lang(request)
    catalogue = active_catalogue(session)
    return Template(
        "admin_catalog.html",
        context=context(
            request,
            session,
            clock,
            catalogue=catalogue_out(catalogue),
            graph=render_catalogue_graph(catalogue, lang),
        ),
    )


@get("/admin/calendar", include_in_schema=False, sync_to_thread=True)
def admin_calendar(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, "admin")
    cal = work_calendar(session)
    years = []
    for year in range(min(builtin_arrangements()), clock.today().year + 3):
        a = cal.arrangement(year)
        years.append(
            {
                "year": year,
                "known": a is not None,
                "holidays": len(a.holidays) if a else 0,
                "workdays": len(a.workdays) if a else 0,
                "source": a.source if a else "",
            }
        )
    return Template(
        "admin_calendar.html", context=context(request, session, clock, years=list(reversed(years)))
    )


@post("/admin/calendar", include_in_schema=False, sync_to_thread=True)
def admin_calendar_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    user = require_user(request, "admin")

    def act() -> None:
        arrangement = parse_arrangement(
            parse_document(data.get("document", ""), "arrangement", None)
        )
        store_arrangement(session, arrangement, by=user.username)
        record(
            session,
            actor=user.username,
            role=user.role,
            action="calendar.load",
            entity="calendar",
            entity_id=arrangement.year,
            after={
                "year": arrangement.year,
                "holidays": len(arrangement.holidays),
                "workdays": len(arrangement.workdays),
            },
        )

    return run_form_action(
        request, session, "/admin/calendar", act, ("节假日安排已导入", "arrangement loaded")
    )


@get("/admin/users", include_in_schema=False, sync_to_thread=True)
def admin_users(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, "admin")
    lang = page_lang(request)
    return Template(
        "admin_users.html",
        context=context(
            request,
            session,
            clock,
            users=session.scalars(select(UserRow).order_by(UserRow.id)).all(),
            roles=[(r, v[1] if lang == "en" else v[0]) for r, v in ROLES.items()],
            departments=session.scalars(select(DepartmentRow).order_by(DepartmentRow.code)).all(),
            enterprises=session.scalars(select(EnterpriseRow).order_by(EnterpriseRow.id)).all(),
        ),
    )


@post("/admin/users", include_in_schema=False, sync_to_thread=True)
def admin_users_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    admin = require_user(request, "admin")

    def act() -> None:
        try:
            u = create_user(
                session,
                data.get("username", ""),
                data.get("password", ""),
                data.get("role", ""),
                display_name=data.get("display_name", ""),
                department=data.get("department") or None,
                enterprise_id=int(data["enterprise_id"])
                if (data.get("enterprise_id") or "").isdigit()
                else None,
            )
        except AccountError as e:
            from approvals.errors import ProjectError

            raise ProjectError(str(e), str(e)) from None
        record(
            session,
            actor=admin.username,
            role=admin.role,
            action="user.create",
            entity="user",
            entity_id=u.id,
            after={"username": u.username, "role": u.role},
        )

    return run_form_action(request, session, "/admin/users", act, ("用户已创建", "user created"))


ROUTES = [
    admin_jobs,
    home,
    login_page,
    login_submit,
    logout,
    set_lang,
    enterprise_home,
    regulator_home,
    admin_projects,
    project_page,
    project_audit_page,
    new_project,
    new_project_submit,
    upload_material_page,
    resubmit_page,
    rate_page,
    reviewer_home,
    task_page,
    decide_page_entry,
    admin_catalog,
    admin_calendar,
    admin_calendar_submit,
    admin_users,
    admin_users_submit,
]
