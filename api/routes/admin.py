"""Administration (行政服务中心): users, enterprises, departments, catalogues, calendars, clocks."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.accounts import (
    USER_SORTS,
    NewUser,
    UserChanges,
    account_fields,
    add_user,
    reset_password,
    update_user,
    user_page,
)
from access.actor import Role
from access.orm import UserRow
from access.policy import Action
from agent_service.services.profiles import create_agent
from api.auth import allowed
from api.clock import Clock
from api.openapi import WRITE, problems
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
    principal,
)
from api.routes.projects import audit_out
from api.schemas.admin import (
    ArrangementOut,
    AuditPage,
    CalendarYearOut,
    CatalogueLoaded,
    ClockScanOut,
    DepartmentsOut,
    EnterpriseCreated,
    EnterprisesOut,
    JobStatusOut,
    UserOut,
    UsersOut,
)
from api.schemas.common import to
from approvals.calendar import arrangement_to_document
from approvals.catalog import parse_catalog
from approvals.orm import DepartmentRow, EnterpriseRow
from approvals.service import load_calendar_arrangement, store_catalogue, work_calendar
from approvals.services import enterprises
from approvals.services.clocks import scan_clocks
from i18n import Malformed
from storage.audit import AuditRow, record


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str
    role: str
    display_name: str = ""
    enterprise_id: Id | None = None
    department: str | None = None
    phone: str = ""
    email: str = ""
    intermediary_id: Id | None = None  # an intermediary's organisation (中介机构)
    #: a 代办员's profile, required for an agent: the zones it serves, its industries, capacity
    regions: list[Annotated[str, msgspec.Meta(max_length=64)]] = msgspec.field(default_factory=list)
    industries: list[Annotated[str, msgspec.Meta(max_length=64)]] = msgspec.field(
        default_factory=list
    )
    capacity: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    """What an administrator changes on an account (absent fields stay as they are)."""

    display_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    department: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    active: bool | None = None


class PasswordIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(max_length=200)]


def user_out(u: UserRow) -> dict[str, Any]:
    return {"id": u.id, **account_fields(u)}


@get(
    "/api/users",
    operation_id="listUsers",
    tags=["admin"],
    sync_to_thread=True,
    guards=[allowed(Action.USER_MANAGE)],
    responses=problems(400, 401, 403, 503),
    summary="用户 Users",
)
def list_users(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    role: Annotated[str | None, QueryParameter(max_length=20)] = None,
    active: Annotated[bool | None, QueryParameter()] = None,
    page: PageParam = None,
    size: SizeParam = None,
    sort: SortParam = None,
    q: SearchParam = None,
) -> UsersOut:
    """Accounts, searched by username, name, phone or email; ``sort`` is one of username,
    display_name, role, created_at, active."""
    paging = paging_query(USER_SORTS, "username", page, size, sort, q)
    found = user_page(session, actor(request), paging, role=role, active=active)
    return to(UsersOut, {"items": [user_out(u) for u in found.items], **page_meta(found)})


@post(
    "/api/users",
    operation_id="createUser",
    tags=["admin"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.USER_MANAGE)],
    responses=problems(*WRITE),
    summary="创建用户 Create a user",
)
def create_user_route(
    data: JSONBody[UserIn], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[UserOut]:
    def act() -> tuple[int, Any]:
        fields = msgspec.structs.asdict(data)
        profile = {k: fields.pop(k) for k in ("regions", "industries", "capacity")}
        new = NewUser(**fields)
        if new.role == Role.AGENT:
            user = create_agent(session, actor(request), new, **profile)
        else:
            user = add_user(session, actor(request), new)
        return 201, to(UserOut, user_out(user))

    return idempotent(session, request, {**msgspec.to_builtins(data), "password": "***"}, act)


@patch(
    "/api/users/{user_id:int}",
    operation_id="updateUser",
    tags=["admin"],
    sync_to_thread=True,
    guards=[allowed(Action.USER_MANAGE)],
    responses=problems(*WRITE),
    summary="修改、停用或启用用户 Edit, disable or enable a user",
)
def update_user_route(
    user_id: IdPath,
    data: JSONBody[UserPatch],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> UserOut:
    """A disabled user cannot log in, and the tokens it holds are refused from then on."""
    user = update_user(
        session, actor(request), user_id, UserChanges(**msgspec.structs.asdict(data))
    )
    out = to(UserOut, user_out(user))
    session.commit()
    request.app.state.disabled_users.changed(user.id, user.active)
    return out


@post(
    "/api/users/{user_id:int}/password",
    operation_id="resetPassword",
    tags=["admin"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.USER_MANAGE)],
    responses=problems(*WRITE),
    summary="重置密码 Reset a user's password",
)
def reset_password_route(
    user_id: IdPath,
    data: JSONBody[PasswordIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> UserOut:
    user = reset_password(session, actor(request), user_id, data.password)
    out = to(UserOut, user_out(user))
    session.commit()
    return out


class EnterpriseIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    credit_code: Annotated[
        str, msgspec.Meta(pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    ]
    contact_name: str = ""
    phone: str = ""


@get(
    "/api/enterprises",
    operation_id="listEnterprises",
    tags=["admin"],
    sync_to_thread=True,
    guards=[allowed(Action.ENTERPRISE_READ)],
    responses=problems(400, 401, 403, 503),
    summary="企业 Enterprises",
)
def list_enterprises(session: NamedDependency[Session]) -> EnterprisesOut:
    return to(
        EnterprisesOut,
        {
            "items": [
                {
                    "id": e.id,
                    "name": e.name,
                    "credit_code": e.credit_code,
                    "contact_name": e.contact_name,
                    "phone": e.phone,
                }
                for e in session.scalars(select(EnterpriseRow).order_by(EnterpriseRow.id))
            ]
        },
    )


@post(
    "/api/enterprises",
    operation_id="createEnterprise",
    tags=["admin"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.ENTERPRISE_MANAGE)],
    responses=problems(*WRITE),
    summary="登记企业 Register an enterprise",
)
def create_enterprise(
    data: JSONBody[EnterpriseIn], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[EnterpriseCreated]:
    def act() -> tuple[int, Any]:
        e = enterprises.add_enterprise(
            session,
            actor(request),
            name=data.name,
            credit_code=data.credit_code,
            contact_name=data.contact_name,
            phone=data.phone,
        )
        return 201, to(
            EnterpriseCreated, {"id": e.id, "name": e.name, "credit_code": e.credit_code}
        )

    return idempotent(session, request, data, act)


@get(
    "/api/departments",
    operation_id="listDepartments",
    tags=["admin"],
    sync_to_thread=True,
    responses=problems(400, 401, 503),
    summary="审批部门 Departments",
)
def list_departments(session: NamedDependency[Session]) -> DepartmentsOut:
    return to(
        DepartmentsOut,
        {
            "items": [
                {
                    "code": d.code,
                    "name": d.name,
                    "name_en": d.name_en,
                    "contact_person": d.contact_person,
                    "phone": d.phone,
                    "address": d.address,
                }
                for d in session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
            ]
        },
    )


@post(
    "/api/catalog/versions",
    operation_id="loadCatalog",
    tags=["admin"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.CATALOGUE_MANAGE)],
    responses=problems(*WRITE),
    summary="导入事项清单 Load a catalogue version",
)
def load_catalog(
    data: JSONBody[dict[str, Any]],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[CatalogueLoaded]:
    """The body is a catalogue document (JSON); every problem is listed in ``errors``.  The new
    version becomes active; filed projects keep theirs."""

    def act() -> tuple[int, Any]:
        catalogue = parse_catalog(data, "request body")
        row = store_catalogue(session, catalogue, by=principal(request).username)
        who = principal(request)
        record(
            session,
            actor=who.username,
            role=who.role,
            action="catalog.load",
            entity="catalog",
            entity_id=row.id,
            after={
                "code": catalogue.code,
                "version": catalogue.version,
                "sha256": catalogue.sha256,
                "items": len(catalogue.items),
            },
        )
        return 201, to(
            CatalogueLoaded,
            {
                "id": row.id,
                "code": row.code,
                "version": row.version,
                "sha256": row.sha256,
                "items": len(catalogue.items),
                "active": row.active,
            },
        )

    return idempotent(session, request, data, act)


@post(
    "/api/calendar/arrangements",
    operation_id="loadCalendarArrangement",
    tags=["admin"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.CALENDAR_MANAGE)],
    responses=problems(*WRITE),
    summary="导入节假日安排 Load a year's holiday arrangement",
)
def load_arrangement(
    data: JSONBody[dict[str, Any]],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[ArrangementOut]:
    """Load (or replace) a year's arrangement; every open project is re-planned against it."""

    def act() -> tuple[int, Any]:
        arrangement = load_calendar_arrangement(session, actor(request), data, clock.today())
        return 201, to(ArrangementOut, arrangement_to_document(arrangement))

    return idempotent(session, request, data, act)


@get(
    "/api/calendar/{year:int}",
    operation_id="getCalendarYear",
    tags=["admin"],
    sync_to_thread=True,
    responses=problems(400, 401, 404),
    summary="某年的工作日安排 A year's arrangement",
)
def calendar_year(
    year: Annotated[int, PathParameter(ge=2004, le=2099)], session: NamedDependency[Session]
) -> CalendarYearOut:
    if not 2004 <= year <= 2099:
        raise Malformed(f"年份 {year} 超出 2004–2099", f"year {year} is outside 2004–2099")
    cal = work_calendar(session)
    arrangement = cal.arrangement(year)
    if arrangement is None:
        return to(CalendarYearOut, {"year": year, "known": False, "holidays": [], "workdays": []})
    return to(CalendarYearOut, {**arrangement_to_document(arrangement), "known": True})


@post(
    "/api/admin/scan",
    operation_id="scanClocks",
    tags=["admin"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.JOBS_RUN)],
    responses=problems(400, 401, 403, 503),
    summary="时限巡检 Scan the clocks and record escalations",
)
def scan(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> ClockScanOut:
    raised = scan_clocks(session, clock.today(), work_calendar(session))
    session.commit()
    return to(
        ClockScanOut,
        {
            "escalations": [
                {"task_id": e.task_id, "level": e.level, "raised_on": e.raised_on.isoformat()}
                for e in raised
            ]
        },
    )


@get(
    "/api/audit",
    operation_id="listAudit",
    tags=["admin"],
    sync_to_thread=True,
    guards=[allowed(Action.AUDIT_SEARCH)],
    responses=problems(400, 401, 403),
    summary="审计记录 The audit trail",
)
def audit(
    session: NamedDependency[Session],
    project_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
    actor: Annotated[str | None, QueryParameter(max_length=100)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    offset: Annotated[int, QueryParameter(ge=0, le=10**9)] = 0,
) -> AuditPage:
    q = select(AuditRow).order_by(AuditRow.id.desc())
    if project_id is not None:
        q = q.where(AuditRow.project_id == project_id)
    if actor:
        q = q.where(AuditRow.actor == actor)
    return to(
        AuditPage, {"items": [audit_out(r) for r in session.scalars(q.limit(limit).offset(offset))]}
    )


@get(
    "/api/admin/jobs",
    operation_id="jobStatus",
    tags=["admin"],
    sync_to_thread=True,
    guards=[allowed(Action.JOBS_READ)],
    responses=problems(401, 403),
    summary="后台任务：队列与最近运行、失败 Background jobs: queue, recent runs, failures",
)
def job_status_route(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> JobStatusOut:
    """The job engine, its queue depth, and the latest runs — failures first, with their error."""
    from api.jobs.status import job_status

    settings = request.app.state.settings
    return to(
        JobStatusOut,
        job_status(
            session,
            settings.database_url,
            settings.jobs,
            jobs=getattr(request.app.state, "jobs", None),
        ),
    )


ROUTES = [
    job_status_route,
    list_users,
    create_user_route,
    update_user_route,
    reset_password_route,
    list_enterprises,
    create_enterprise,
    list_departments,
    load_catalog,
    load_arrangement,
    calendar_year,
    scan,
    audit,
]
