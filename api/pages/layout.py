"""What every page shares: the language, the signed-in user, the header's navigation, the
template context, the post-redirect-get answers of forms, and the error page.

Login sets an HttpOnly cookie holding the same short-lived token as the API; forms are protected
by litestar's CSRF middleware; the language is Simplified Chinese unless the ``lang`` cookie (set
by the switch in the header) says English.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.actor import Role
from access.notifications import read_unread_first, unread_count
from access.policy import ROLE_LABELS
from api.auth import TOKEN_COOKIE, Principal, decode_token
from api.clock import Clock
from api.errors import TITLES
from api.errors import page_lang as error_lang
from api.pages import texts
from approvals.service import departments
from i18n import Forbidden, LocalizedError

LANG_COOKIE = "lang"

HOME_BY_ROLE = {
    "enterprise": "/enterprise",
    "reviewer": "/reviewer",
    "agent": "/agent",
    "regulator": "/regulator",
    "admin": "/admin/projects",
    "intermediary": "/intermediary",
}

#: The header's links of each role (url, key in :mod:`api.pages.texts`): the approvals pages,
#: then the plot map, the commitments and the agents (every page module's links, in one table).
_PUBLIC = [("/map", "nav_map"), ("/public/commitments", "nav_public_commitments")]
NAV: dict[str, list[tuple[str, str]]] = {
    Role.ENTERPRISE: [
        ("/enterprise", "my_projects"),
        ("/enterprise/projects/new", "new_project"),
        ("/enterprise/credit", "nav_credit"),
        *_PUBLIC,
    ],
    Role.REVIEWER: [
        ("/reviewer", "worklist"),
        ("/reviewer/done", "nav_done"),
        ("/stats", "nav_stats"),
        *_PUBLIC,
    ],
    Role.INTERMEDIARY: [("/intermediary", "intermediary_worklist"), *_PUBLIC],
    Role.AGENT: [
        ("/agent", "agent"),
        ("/agent/projects", "my_assigned_projects"),
        ("/agent/alerts", "nav_alerts"),
        *_PUBLIC,
    ],
    Role.REGULATOR: [
        ("/regulator", "projects"),
        ("/map", "nav_map"),
        ("/regulator/commitments", "nav_commitments"),
        ("/public/commitments", "nav_public_commitments"),
        ("/stats", "nav_stats"),
    ],
    Role.ADMIN: [
        ("/admin/projects", "projects"),
        ("/admin/catalog", "catalogue"),
        ("/admin/calendar", "calendar"),
        ("/admin/users", "users"),
        ("/admin/jobs", "jobs"),
        ("/admin/ratings", "nav_ratings"),
        ("/admin/prices", "nav_prices"),
        ("/stats", "nav_stats"),
        ("/map", "nav_map"),
        ("/admin/plots", "nav_plot_import"),
        ("/regulator/commitments", "nav_commitments"),
        ("/public/commitments", "nav_public_commitments"),
        ("/admin/agents", "nav_agents"),
        ("/admin/intermediaries", "nav_intermediaries"),
    ],
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
            who = decode_token(raw, state.signing_key, state.settings.previous_secret_keys)
        except NotAuthorizedException:
            return None
        return None if who.user_id in state.disabled_users else who
    return None


def require_user(request: Request[Any, Any, Any], *roles: str) -> Principal:
    user = current_user(request)
    if user is None:
        raise NotAuthorizedException("未登录 (not authenticated)")
    if roles and user.role not in roles:
        zh, en = ROLE_LABELS.get(user.role, (user.role, user.role))
        raise Forbidden(f"{zh}无权访问此页", f"the role {en} may not open this page")
    return user


def header_first(session: Session, user: Principal) -> None:
    """Have the header's unread count read by the page's first statement that reads the cache
    version (a project's, a task's: :func:`storage.versions.columns`), not by one of its own.
    For pages that only read."""
    read_unread_first(session, user.user_id)


def nav_for(user: Principal | None, lang: str) -> list[tuple[str, str]]:
    if user is None:
        return [("/login", texts.text("login", lang))]
    return [(url, texts.text(key, lang)) for url, key in NAV.get(user.role, _PUBLIC)]


DepartmentNames = dict[str, tuple[str, str]]


def department_names(session: Session) -> DepartmentNames:
    """Each department's name (中文, English) by code, as the database has them now."""
    return {d.code: (d.name, d.name_en or d.name) for d in departments(session)}


def department_name(names: DepartmentNames, code: str, lang: str = "zh") -> str:
    zh, en = names.get(code, (code, code))
    return en if lang == "en" else zh


def material_names(catalogue: Any) -> dict[str, tuple[str, str]]:
    """Every material's and certificate's name (中文, English) by code, from a project's
    catalogue: pages show names, the codes stay in forms' values."""
    out: dict[str, tuple[str, str]] = {}
    for item in catalogue.items.values():
        for m in (*item.materials, *item.outputs):
            out.setdefault(m.code, (m.name, m.name_en or m.name))
    return out


def context(
    request: Request[Any, Any, Any], session: Session, clock: Clock, **extra: Any
) -> dict[str, Any]:
    lang = page_lang(request)
    user = current_user(request)
    role = ROLE_LABELS.get(user.role, (user.role, user.role)) if user else ("", "")
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
        # the header's 消息 link and its unread count (read with the cache version when this
        # request has not read it yet: then it costs no statement of its own)
        "unread_notifications": unread_count(session, user.user_id) if user else 0,
        "department_names": department_names(session),  # for the templates' ``dept`` filter
        "calendar_warning": _calendar_warning(request, session, clock, user, lang),
        **extra,
    }


#: The pages where the administrator is told that next year's holidays are not loaded yet.
CALENDAR_WARNING_PAGES = frozenset({"/admin/projects", "/admin/calendar"})


def _calendar_warning(
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    user: Principal | None,
    lang: str,
) -> str | None:
    """From November on, on the administrator's home and calendar pages: next year's holiday
    arrangement is not loaded (plans reaching into it count weekends only)."""
    if user is None or user.role != Role.ADMIN or request.url.path not in CALENDAR_WARNING_PAGES:
        return None
    from approvals.calendar import missing_next_year
    from approvals.service import work_calendar

    year = missing_next_year(work_calendar(session), clock.today())
    if year is None:
        return None
    if lang == "en":
        return (
            f"The {year} holiday arrangement is not loaded: plans reaching into {year} count "
            "weekends only. Load it on the calendar page once the State Council publishes it."
        )
    return (
        f"{year} 年节假日安排尚未导入：延伸到 {year} 年的计划暂仅按周末推算。"
        "国务院办公厅公布后，请在“工作日历”页导入。"
    )


def error_page(
    request: Request[Any, Any, Any], status: int, detail: str, headers: dict[str, str] | None
) -> Response[Any]:
    """An error as a page in the site's layout; a 401 goes to the login form instead."""
    if status == 401:
        return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
    lang = error_lang(request)
    zh, en = TITLES.get(status, ("错误", "Error"))
    try:
        with request.app.state.sessions() as session:
            ctx = context(request, session, request.app.state.clock)
    except Exception:  # the database itself may be what failed
        ctx = {
            "lang": lang,
            "t": lambda k: k,
            "nav": [],
            "user": None,
            "current_path": request.url.path,
            "today": "",
        }
    ctx.update(status=status, title=en if lang == "en" else zh, detail=detail)
    return Template("error.html", context=ctx, status_code=status, headers=headers)


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
