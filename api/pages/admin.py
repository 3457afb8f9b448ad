"""The administrator's pages: the catalogue (also the regulator's), the working-day calendar,
the users and the background jobs."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.policy import Action, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages.graph_svg import render_catalogue_graph
from api.pages.layout import context, page_lang, require_user, run_form_action
from api.routes.catalog import catalogue_out
from approvals.calendar import builtin_arrangements
from approvals.documents import parse_document
from approvals.service import active_catalogue, load_calendar_arrangement, work_calendar


@get("/admin/jobs", include_in_schema=False, sync_to_thread=True)
def admin_jobs(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """后台任务: the job engine, its queue and the latest runs (failures first, with the error)."""
    from api.jobs.status import job_status

    require_user(request, *roles_for(Action.JOBS_READ))
    settings = request.app.state.settings
    status = job_status(
        session, settings.database_url, settings.jobs, jobs=getattr(request.app.state, "jobs", None)
    )
    lang = page_lang(request)
    for run in status.get("runs") or []:
        run["summary"] = job_summary(run.get("result"), lang)
        run["title"] = _named(JOB_NAMES, str(run.get("name")), lang)
        run["finished_local"] = _local(run.get("finished_at"))
    return Template("admin_jobs.html", context=context(request, session, clock, status=status))


#: The background jobs and the figures their runs report, by name (中文, English).
JOB_NAMES = {"daily": ("每日任务", "daily run")}
JOB_KEYS = {
    "day": ("日期", "day"),
    "alerts": ("预警扫描", "alert scan"),
    "projects": ("项目", "projects"),
    "at_risk": ("有风险", "at risk"),
    "new": ("新增", "new"),
    "monitor": ("承诺监测", "commitment monitoring"),
    "tasks": ("任务", "tasks"),
    "overdue": ("逾期", "overdue"),
    "rescheduled": ("改期", "rescheduled"),
    "capacity": ("部门承载量排程", "capacity scheduling"),
    "method": ("方法", "method"),
    "ledger": ("台账", "ledger"),
    "sealed": ("已签树头条目", "entries sealed"),
    "digests": ("代办员日报", "agent digests"),
    "seconds": ("用时（秒）", "seconds"),
    "digests_sent": ("日报", "digests"),
    "deadline_notices": ("临近时限提醒", "deadline reminders"),
    "activities": ("企业与中介活动", "enterprise and intermediary activities"),
    "supervised": ("中介超期督办", "intermediaries supervised"),
    "replanned": ("重新预测项目", "projects re-forecast"),
}
JOB_VALUES = {"none": ("无", "none")}


def _local(iso: str | None) -> str:
    """A stored UTC time as China's time to the minute (as the audit trail shows it)."""
    from datetime import datetime

    from api.pages.audit_view import local_time

    return local_time(datetime.fromisoformat(iso)) if iso else ""


def _named(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def job_summary(result: Any, lang: str) -> str:
    """A run's result as a line a person reads (labels, not the JSON's keys).

    >>> job_summary({"alerts": {"projects": 2, "at_risk": 0}, "ledger": {"sealed": None}}, "zh")
    '预警扫描：项目 2，有风险 0；台账：已签树头条目 —'
    """

    def value(v: Any) -> str:
        if v is None:
            return "—"
        if isinstance(v, dict):
            sep = ", " if lang == "en" else "，"
            return sep.join(f"{_named(JOB_KEYS, str(k), lang)} {value(x)}" for k, x in v.items())
        if isinstance(v, str):
            return _named(JOB_VALUES, v, lang)
        return str(v)

    if not isinstance(result, dict):
        return "" if result is None else value(result)
    colon, sep = (": ", "; ") if lang == "en" else ("：", "；")
    return sep.join(f"{_named(JOB_KEYS, str(k), lang)}{colon}{value(v)}" for k, v in result.items())


@get("/admin/catalog", include_in_schema=False, sync_to_thread=True)
def admin_catalog(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request, *roles_for(Action.CATALOGUE_READ))
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
            manage=user.role in roles_for(Action.CATALOGUE_MANAGE),
        ),
    )


@get("/admin/calendar", include_in_schema=False, sync_to_thread=True)
def admin_calendar(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.CALENDAR_MANAGE))
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
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    user = require_user(request, *roles_for(Action.CALENDAR_MANAGE))

    def act() -> None:
        document = parse_document(data.get("document", ""), "arrangement", None)
        load_calendar_arrangement(session, actor_of(user), document, clock.today())

    return run_form_action(
        request, session, "/admin/calendar", act, ("节假日安排已导入", "arrangement loaded")
    )


ROUTES = [
    admin_jobs,
    admin_catalog,
    admin_calendar,
    admin_calendar_submit,
]
