"""Efficiency statistics (效能统计, issue 17 §3): the figures of a period as JSON, CSV, Excel and
the monthly report PDF (月度效能报告), and the follow-up of a bad rating.  A reviewer reads its
own department's figures, the administration and the regulators every department's
(:attr:`~access.policy.Action.EFFICIENCY_READ`)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.orm import Session

from access.policy import Action
from api.auth import allowed
from api.clock import Clock
from api.openapi import READ, WRITE, problems
from api.presenters import statistics as sp
from api.routes.common import IdPath, actor, idempotent
from api.schemas.common import to
from api.schemas.statistics import FollowUpOut, StatisticsOut
from approvals.service import work_calendar
from approvals.services import statistics as st

Q = Annotated[str | None, msgspec.Meta(max_length=64)]
_TAGS = ["statistics"]


def _params(month: Q, start: Q, end: Q, department: Q, zone: Q, industry: Q) -> dict[str, Any]:
    return {
        "month": month,
        "start": start,
        "end": end,
        "department": department,
        "zone": zone,
        "industry": industry,
    }


def statistics_out(stats: st.Statistics) -> StatisticsOut:
    f = stats.filters
    return to(
        StatisticsOut,
        {
            "start": f.start.isoformat(),
            "end": f.end.isoformat(),
            "department": f.department,
            "zone": f.zone,
            "industry": f.industry,
            "overall": stats.overall,
            "departments": stats.departments,
            "items": stats.items,
            "comments": stats.comments,
            "projects": stats.projects,
            "project_rows": stats.project_rows,
        },
    )


def _compute(
    request: Request[Any, Any, Any], session: Session, clock: Clock, params: dict[str, Any]
) -> tuple[st.Statistics, str]:
    return sp.compute(session, actor(request), params, clock.today(), work_calendar(session))


@get(
    "/api/statistics",
    operation_id="getStatistics",
    tags=_TAGS,
    sync_to_thread=True,
    guards=[allowed(Action.EFFICIENCY_READ)],
    responses=problems(*READ, 422),
    summary="效能统计 Efficiency statistics of a period",
)
def get_statistics(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    month: Q = None,
    start: Q = None,
    end: Q = None,
    department: Q = None,
    zone: Q = None,
    industry: Q = None,
) -> StatisticsOut:
    """``month`` (YYYY-MM, default the current month) or ``start`` and ``end``; optionally one
    ``department`` (a reviewer: its own only), the plots of one ``zone``, one ``industry``."""
    stats, _ = _compute(
        request, session, clock, _params(month, start, end, department, zone, industry)
    )
    return statistics_out(stats)


def _file(data: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(
    stats: st.Statistics, label: str, kind: str, lang: str, centre: str, today: Any
) -> Response[bytes]:
    """The same figures as a file: ``csv``, ``xlsx`` or the monthly report ``pdf``."""
    stem = f"efficiency-{label.replace(' — ', '_')}"
    if kind == "csv":
        return _file(sp.to_csv(stats, lang), "text/csv; charset=utf-8", f"{stem}.csv")
    if kind == "xlsx":
        return _file(sp.to_xlsx(stats, lang), XLSX, f"{stem}.xlsx")
    scope = stats.filters.department or "全部部门"
    return _file(sp.to_pdf(stats, label, centre, scope, today), "application/pdf", f"{stem}.pdf")


CENTRE = "行政服务中心"


def _export_route(kind: str, path: str, operation: str, summary: str, description: str) -> Any:
    @get(
        path,
        operation_id=operation,
        tags=_TAGS,
        sync_to_thread=True,
        guards=[allowed(Action.EFFICIENCY_READ)],
        responses=problems(*READ, 422),
        summary=summary,
        media_type={"csv": "text/csv", "xlsx": XLSX, "pdf": "application/pdf"}[kind],
        response_description=description,
    )
    def handler(
        request: Request[Any, Any, Any],
        session: NamedDependency[Session],
        clock: NamedDependency[Clock],
        month: Q = None,
        start: Q = None,
        end: Q = None,
        department: Q = None,
        zone: Q = None,
        industry: Q = None,
        lang: Q = None,
    ) -> Response[bytes]:
        params = _params(month, start, end, department, zone, industry)
        stats, label = _compute(request, session, clock, params)
        return export(stats, label, kind, "en" if lang == "en" else "zh", CENTRE, clock.today())

    handler.__name__ = f"statistics_{kind}"
    return handler


statistics_csv = _export_route(
    "csv",
    "/api/statistics/export.csv",
    "exportStatisticsCsv",
    "效能统计导出 CSV",
    "各表依次排列（按部门、按事项、按项目、改革机制、好差评），UTF-8 带 BOM"
    " Every table under its title, UTF-8 with a BOM",
)
statistics_xlsx = _export_route(
    "xlsx",
    "/api/statistics/export.xlsx",
    "exportStatisticsXlsx",
    "效能统计导出 Excel",
    "每表一个工作表 One sheet per table (departments, items, projects, mechanisms, ratings)",
)
statistics_pdf = _export_route(
    "pdf",
    "/api/statistics/report.pdf",
    "getMonthlyReport",
    "月度效能报告 PDF Monthly report",
    "月度效能报告（中文，A4 横向）The monthly efficiency report as PDF",
)


class FollowUpBody(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


@post(
    "/api/ratings/{rating_id:int}/follow-up",
    operation_id="followUpRating",
    tags=_TAGS,
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.EFFICIENCY_READ)],
    responses=problems(*WRITE),
    summary="差评整改回访 Record the follow-up of a bad rating",
)
def follow_up(
    rating_id: IdPath,
    data: JSONBody[FollowUpBody],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[FollowUpOut]:
    def act() -> tuple[int, Any]:
        row = st.follow_up_rating(session, actor(request), rating_id, data.note, clock.today())
        return 200, to(
            FollowUpOut,
            {
                "id": row.id,
                "follow_up_on": row.follow_up_on,
                "follow_up_by": row.follow_up_by,
                "follow_up_note": row.follow_up_note,
            },
        )

    return idempotent(session, request, data, act)


ROUTES = [get_statistics, statistics_csv, statistics_xlsx, statistics_pdf, follow_up]
