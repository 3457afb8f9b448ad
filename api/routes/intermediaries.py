"""The enterprise's own activities and the intermediaries (中介机构): progress, the 中介超市, the
registry, and the intermediary's own work (its chosen activities, report, delivery)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, PathParameter, QueryParameter
from sqlalchemy.orm import Session

from access.policy import Action
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import (
    MAX_ID,
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
from api.schemas.intermediaries import (
    ActivityOut,
    AssignedActivitiesOut,
    IntermediariesOut,
    IntermediaryOut,
    MarketOut,
    ProjectActivitiesOut,
    ReportOut,
    SupervisionsOut,
)
from approvals.service import active_catalogue, work_calendar
from approvals.services import intermediaries as service
from approvals.services import materials

CodePath = Annotated[str, PathParameter(min_length=1, max_length=64)]


def _activity(session: Session, row: Any, clock: Clock, lang: str) -> dict[str, Any]:
    session.refresh(row, ["intermediary"])
    return service.activity_out(row, clock.today(), work_calendar(session), lang)


@get(
    "/api/projects/{project_id:int}/activities",
    operation_id="listProjectActivities",
    tags=["activities"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="企业与中介活动（两个时钟） The project's enterprise and intermediary activities",
)
def list_activities(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> ProjectActivitiesOut:
    """Planned at filing on the two-clock plan; each with its progress, forecast and whose a
    delay is (企业自身用时 or 中介服务用时 — never a department's)."""
    return to(
        ProjectActivitiesOut,
        service.project_activities(
            session,
            actor(request),
            project_id,
            clock.today(),
            work_calendar(session),
            request_lang(request),
        ),
    )


class ProgressIn(msgspec.Struct, forbid_unknown_fields=True):
    event: Annotated[str, msgspec.Meta(pattern="^(start|finish)$")]
    on: date | None = None  # default: today
    started_on: date | None = None  # finishing an activity not reported started


@post(
    "/api/projects/{project_id:int}/activities/{activity_code:str}/progress",
    operation_id="reportActivityProgress",
    tags=["activities"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.ACTIVITY_REPORT)],
    responses=problems(*WRITE),
    summary="报告企业自身活动进度 Report the enterprise's own progress",
)
def report_progress(
    project_id: IdPath,
    activity_code: CodePath,
    data: JSONBody[ProgressIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ActivityOut]:
    """Design done, construction started or finished: ``start`` or ``finish`` on a day (not
    before filing, not in the future)."""

    def act() -> tuple[int, Any]:
        today = clock.today()
        row = service.report_progress(
            session,
            actor(request),
            project_id,
            activity_code,
            data.event,
            data.on or today,
            today,
            data.started_on,
        )
        return 200, to(ActivityOut, _activity(session, row, clock, request_lang(request)))

    return idempotent(session, request, data, act)


@get(
    "/api/projects/{project_id:int}/activities/{activity_code:str}/market",
    operation_id="getIntermediaryMarket",
    tags=["activities"],
    sync_to_thread=True,
    guards=[allowed(Action.INTERMEDIARY_CHOOSE)],
    responses=problems(*READ, 422),
    summary="中介超市 The intermediaries qualified for an activity",
)
def market(
    project_id: IdPath,
    activity_code: CodePath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> MarketOut:
    row, offers = service.offers(session, actor(request), project_id, activity_code)
    return to(
        MarketOut,
        {
            "code": row.code,
            "name": row.name,
            "chosen": row.intermediary_id,
            "offers": [_offer(o) for o in offers],
        },
    )


def _offer(o: Any) -> dict[str, Any]:
    return {
        "intermediary_id": o.intermediary_id,
        "name": o.name,
        "committed_days": o.committed_days,
        "rating": o.rating,
        "ratings": o.ratings,
    }


class ChoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    intermediary_id: Id


@post(
    "/api/projects/{project_id:int}/activities/{activity_code:str}/intermediary",
    operation_id="chooseIntermediary",
    tags=["activities"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.INTERMEDIARY_CHOOSE)],
    responses=problems(*WRITE),
    summary="选择中介机构 Choose an intermediary",
)
def choose(
    project_id: IdPath,
    activity_code: CodePath,
    data: JSONBody[ChoiceIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ActivityOut]:
    """Its clock starts today (day 1) against its committed working days for the service."""

    def act() -> tuple[int, Any]:
        row = service.choose(
            session, actor(request), project_id, activity_code, data.intermediary_id, clock.today()
        )
        return 200, to(ActivityOut, _activity(session, row, clock, request_lang(request)))

    return idempotent(session, request, data, act)


class ServiceRatingIn(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""


@post(
    "/api/projects/{project_id:int}/activities/{activity_code:str}/rating",
    operation_id="rateIntermediary",
    tags=["activities"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.INTERMEDIARY_CHOOSE)],
    responses=problems(*WRITE),
    summary="评价中介服务 Rate a delivered intermediary service",
)
def rate(
    project_id: IdPath,
    activity_code: CodePath,
    data: JSONBody[ServiceRatingIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ActivityOut]:
    def act() -> tuple[int, Any]:
        row = service.rate(
            session, actor(request), project_id, activity_code, data.score, data.comment
        )
        return 200, to(ActivityOut, _activity(session, row, clock, request_lang(request)))

    return idempotent(session, request, data, act)


@get(
    "/api/intermediaries",
    operation_id="listIntermediaries",
    tags=["activities"],
    sync_to_thread=True,
    guards=[allowed(Action.INTERMEDIARY_READ)],
    responses=problems(400, 401, 403, 503),
    summary="中介机构名录 Registered intermediaries",
)
def list_intermediaries(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> IntermediariesOut:
    return to(IntermediariesOut, {"items": service.list_intermediaries(session, actor(request))})


class IntermediaryIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    credit_code: Annotated[str, msgspec.Meta(min_length=1, max_length=18)]
    services: dict[str, int]  # activity code → committed working days
    contact_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""


@post(
    "/api/intermediaries",
    operation_id="registerIntermediary",
    tags=["activities"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.INTERMEDIARY_MANAGE)],
    responses=problems(*WRITE),
    summary="登记中介机构 Register an intermediary organisation",
)
def register(
    data: JSONBody[IntermediaryIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[IntermediaryOut]:
    def act() -> tuple[int, Any]:
        row = service.register_intermediary(
            session,
            actor(request),
            active_catalogue(session),
            name=data.name,
            credit_code=data.credit_code,
            services=data.services,
            contact_name=data.contact_name,
            phone=data.phone,
        )
        out = {
            "id": row.id,
            "name": row.name,
            "credit_code": row.credit_code,
            "contact_name": row.contact_name,
            "phone": row.phone,
            "services": row.services,
            "active": row.active,
            "rating": None,
            "ratings": 0,
        }
        return 201, to(IntermediaryOut, out)

    return idempotent(session, request, data, act)


@get(
    "/api/intermediary/activities",
    operation_id="listMyIntermediaryActivities",
    tags=["activities"],
    sync_to_thread=True,
    guards=[allowed(Action.INTERMEDIARY_WORK)],
    responses=problems(400, 401, 403, 503),
    summary="受托的中介服务 The activities the caller's organisation was chosen for",
)
def my_activities(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> AssignedActivitiesOut:
    """Only those: no other activity, project or organisation is visible to an intermediary."""
    items = service.my_activities(
        session, actor(request), clock.today(), work_calendar(session), request_lang(request)
    )
    return to(AssignedActivitiesOut, {"items": items})


@get(
    "/api/intermediary/activities/{activity_id:int}",
    operation_id="getMyIntermediaryActivity",
    tags=["activities"],
    sync_to_thread=True,
    guards=[allowed(Action.INTERMEDIARY_WORK)],
    responses=problems(*READ),
    summary="受托的一项中介服务 One activity the caller was chosen for",
)
def my_activity(
    activity_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> ActivityOut:
    row = service.my_activity(session, actor(request), activity_id)
    return to(ActivityOut, _activity(session, row, clock, request_lang(request)))


@dataclass
class ReportUpload:
    file: UploadFile


@post(
    "/api/intermediary/activities/{activity_id:int}/report",
    operation_id="uploadIntermediaryReport",
    tags=["activities"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.INTERMEDIARY_WORK)],
    responses=problems(*WRITE),
    summary="上传中介报告 Upload the intermediary's report",
)
def upload_report(
    activity_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[ReportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[ReportOut]:
    """Stored once by its hash as the project's material of the activity's code (PDF, PNG, JPEG,
    TIFF or OFD/ZIP, at most 20 MB)."""
    content = data.file.file.read(materials.MAX_MATERIAL_BYTES + 1)
    filename = data.file.filename or ""

    def act() -> tuple[int, Any]:
        m = service.upload_report(session, actor(request), activity_id, filename, content)
        return 201, to(
            ReportOut,
            {
                "activity_id": activity_id,
                "material_id": m.id,
                "sha256": m.sha256,
                "size": m.size,
                "filename": m.filename,
            },
        )

    return idempotent(
        session,
        request,
        {"sha256": hashlib.sha256(content).hexdigest(), "name": filename},
        act,
    )


@post(
    "/api/intermediary/activities/{activity_id:int}/delivery",
    operation_id="deliverIntermediaryActivity",
    tags=["activities"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.INTERMEDIARY_WORK)],
    responses=problems(*WRITE),
    summary="交付中介服务 Deliver the service",
)
def deliver(
    activity_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ActivityOut]:
    """The activity is done today; its working days since it was chosen are measured against the
    organisation's committed days (on time / late)."""

    def act() -> tuple[int, Any]:
        row = service.deliver(
            session, actor(request), activity_id, clock.today(), work_calendar(session)
        )
        return 200, to(ActivityOut, _activity(session, row, clock, request_lang(request)))

    return idempotent(session, request, {"activity_id": activity_id}, act)


@get(
    "/api/supervisions",
    operation_id="listSupervisions",
    tags=["activities"],
    sync_to_thread=True,
    responses=problems(400, 401, 403),
    summary="中介超期督办记录 The supervisions (督办) of intermediaries past their committed days",
)
def list_supervisions(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    level: Annotated[
        str | None,
        QueryParameter(
            max_length=12,
            description="督办级别 overdue 或 overdue_5 Level: overdue or overdue_5",
        ),
    ] = None,
    project_id: Annotated[
        int | None,
        QueryParameter(ge=1, le=MAX_ID, description="项目 id Only this project's"),
    ] = None,
    open: Annotated[
        bool | None,
        QueryParameter(
            description="true：尚未交付；false：已交付 true: not delivered yet; false: delivered"
        ),
    ] = None,
    page: PageParam = None,
    size: SizeParam = None,
    sort: SortParam = None,
    q: SearchParam = None,
) -> SupervisionsOut:
    """The 督办 records the caller may read, latest first by default (``sort``: raised_on,
    overdue_workdays, level or project_code; ``q`` searches the project's code and the
    activity's code and name).  The administrator and regulators read every record; an
    enterprise its own projects', an agent its assigned projects', an intermediary its own
    organisation's; a reviewer none (403)."""
    paging = paging_query(service.SUPERVISION_SORTS, "-raised_on", page, size, sort, q)
    found, items = service.supervision_page(
        session,
        actor(request),
        paging,
        level=level,
        project_id=project_id,
        open_only=open,
        lang=request_lang(request),
    )
    return to(SupervisionsOut, {"items": items, **page_meta(found)})


ROUTES = [
    list_activities,
    report_progress,
    market,
    choose,
    rate,
    list_intermediaries,
    register,
    my_activities,
    my_activity,
    upload_report,
    deliver,
    list_supervisions,
]
