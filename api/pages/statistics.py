"""效能统计 on the pages: the figures of a period with charts (Chart.js, served from
``/static/vendor``), filters by period, department, zone and industry, the exports (CSV, Excel)
and the monthly report PDF under the page session, and the follow-up of a bad rating.  The
administration and the regulators see every department, a reviewer its own."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.policy import Action, roles_for, scoped
from api.auth import actor_of
from api.clock import Clock
from api.pages.layout import context, page_lang, require_user, run_form_action
from api.presenters import statistics as sp
from api.routes.common import IdPath
from api.routes.statistics import CENTRE, export
from approvals.service import departments, work_calendar
from approvals.services import statistics as st

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FILTER_KEYS = ("month", "start", "end", "department", "zone", "industry")


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {k: request.query_params[k] for k in FILTER_KEYS if request.query_params.get(k)}


@get("/stats", include_in_schema=False, sync_to_thread=True)
def stats_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request, *roles_for(Action.EFFICIENCY_READ))
    who = actor_of(user)
    lang = page_lang(request)
    params = _query(request)
    stats, label = sp.compute(session, who, params, clock.today(), work_calendar(session))
    qs = urlencode(params)
    charts = {
        "departments": [d["name_en"] if lang == "en" else d["name"] for d in stats.departments],
        "median": [d["median_workdays"] for d in stats.departments],
        "p90": [d["p90_workdays"] for d in stats.departments],
        "onTime": [round((d["on_time_rate"] or 0) * 100, 1) for d in stats.departments],
        "ratings": stats.overall["ratings"],
        "permit": (stats.projects or {})
        .get("code_to_permit", {})
        .get("standard", {})
        .get("histogram", []),
        "permitOther": (stats.projects or {})
        .get("code_to_permit", {})
        .get("other", {})
        .get("histogram", []),
        "lang": lang,
    }
    return Template(
        "stats.html",
        context=context(
            request,
            session,
            clock,
            stats=stats,
            label=label,
            params=params,
            qs=("?" + qs) if qs else "",
            periods=st.periods(clock.today()),
            zones=sp.zones(session),
            all_departments=[] if scoped(who, Action.EFFICIENCY_READ) else departments(session),
            scoped=scoped(who, Action.EFFICIENCY_READ),
            charts=json.dumps(charts, ensure_ascii=False),
            follow_up_label=lambda s: st.follow_up_label(s, lang == "en"),
        ),
    )


def _export_page(kind: str, path: str) -> Any:
    @get(path, include_in_schema=False, sync_to_thread=True)
    def handler(
        request: Request[Any, Any, Any],
        session: NamedDependency[Session],
        clock: NamedDependency[Clock],
    ) -> Response[bytes]:
        user = require_user(request, *roles_for(Action.EFFICIENCY_READ))
        stats, label = sp.compute(
            session, actor_of(user), _query(request), clock.today(), work_calendar(session)
        )
        return export(stats, label, kind, page_lang(request), CENTRE, clock.today())

    handler.__name__ = f"stats_page_{kind}"
    return handler


stats_csv = _export_page("csv", "/stats/export.csv")
stats_xlsx = _export_page("xlsx", "/stats/export.xlsx")
stats_pdf = _export_page("pdf", "/stats/report.pdf")


@post("/stats/ratings/{rating_id:int}/follow-up", include_in_schema=False, sync_to_thread=True)
def stats_follow_up(
    rating_id: IdPath,
    data: Form,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Redirect:
    user = require_user(request, *roles_for(Action.EFFICIENCY_READ))
    back_to = "/stats" + (("?" + str(data.get("back") or "")) if data.get("back") else "")
    return run_form_action(
        request,
        session,
        back_to,
        lambda: st.follow_up_rating(
            session, actor_of(user), rating_id, str(data.get("note") or ""), clock.today()
        ),
        ("已记录差评回访", "follow-up recorded"),
    )


ROUTES = [stats_page, stats_csv, stats_xlsx, stats_pdf, stats_follow_up]
