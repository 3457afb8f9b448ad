"""Department capacity (审查人员、请假) and capacity-aware forecasts (issue 7)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.policy import Action, Owned, can
from api.auth import allowed
from api.clock import Clock
from api.openapi import READ, WRITE, problems
from api.routes.common import IdPath, actor, idempotent, principal
from api.schemas.capacity import (
    AbsenceSet,
    CapacityOut,
    CapacityRun,
    CapacitySet,
    ProjectForecastOut,
    QueueOut,
)
from api.schemas.common import to
from approvals.errors import AccessDenied
from approvals.orm import CapacityRunRow, DepartmentAbsenceRow, DepartmentRow
from approvals.service import work_calendar
from approvals.services import capacity as cs
from approvals.services import queries
from i18n import NotFound
from storage.audit import record


def _department(session: Session, code: str) -> DepartmentRow:
    dept = session.get(DepartmentRow, code)
    if dept is None:
        raise NotFound(f"部门 {code} 不存在", f"department {code} not found")
    return dept


def _may_read(request: Request[Any, Any, Any], code: str) -> None:
    who = actor(request)
    if not can(who, Action.TASK_QUEUE_READ):
        raise AccessDenied("无权查看部门审查能力", "this role may not see department capacity")
    if not can(who, Action.TASK_QUEUE_READ, Owned(department=code)):
        raise AccessDenied("审批人员只能查看本部门", "reviewers see their own department only")


@get(
    "/api/departments/{code:str}/capacity",
    operation_id="getDepartmentCapacity",
    tags=["capacity"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="部门审查能力 A department's capacity",
)
def get_capacity(
    code: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> CapacityOut:
    _may_read(request, code)
    dept = _department(session, code)
    absences = session.scalars(
        select(DepartmentAbsenceRow)
        .where(DepartmentAbsenceRow.department == code, DepartmentAbsenceRow.on >= clock.today())
        .order_by(DepartmentAbsenceRow.on)
    )
    return to(
        CapacityOut,
        {
            "department": dept.code,
            "name": dept.name,
            "reviewers": cs.reviewers_by_department(session)[code],
            "absences": [
                {"on": a.on.isoformat(), "absent": a.absent, "reason": a.reason} for a in absences
            ],
        },
    )


class CapacityIn(msgspec.Struct, forbid_unknown_fields=True):
    reviewers: Annotated[int, msgspec.Meta(ge=1, le=500)]


@put(
    "/api/departments/{code:str}/capacity",
    operation_id="setDepartmentCapacity",
    tags=["capacity"],
    sync_to_thread=True,
    guards=[allowed(Action.CAPACITY_MANAGE)],
    responses=problems(*WRITE),
    summary="设置审查人员数 Set reviewers per working day",
)
def set_capacity(
    code: FromPath[str],
    data: JSONBody[CapacityIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[CapacitySet]:
    def act() -> tuple[int, Any]:
        _department(session, code)
        before = cs.reviewers_by_department(session)[code]
        cs.set_reviewers(session, code, data.reviewers)
        who = principal(request)
        record(
            session,
            actor=who.username,
            role=who.role,
            action="department.capacity",
            entity="department",
            entity_id=code,
            before={"reviewers": before},
            after={"reviewers": data.reviewers},
        )
        cs.recompute(session, clock.today(), work_calendar(session), reason=f"capacity of {code}")
        return 200, to(CapacitySet, {"department": code, "reviewers": data.reviewers})

    return idempotent(session, request, data, act)


class AbsenceIn(msgspec.Struct, forbid_unknown_fields=True):
    on: date
    absent: Annotated[int, msgspec.Meta(ge=0, le=500)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


@post(
    "/api/departments/{code:str}/absences",
    operation_id="setDepartmentAbsence",
    tags=["capacity"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.CAPACITY_MANAGE)],
    responses=problems(*WRITE),
    summary="登记请假 Record absent reviewers",
)
def set_absence(
    code: FromPath[str],
    data: JSONBody[AbsenceIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[AbsenceSet]:
    """``absent`` reviewers on the day (0 removes the entry); the forecast is recomputed."""

    def act() -> tuple[int, Any]:
        _department(session, code)
        cs.set_absence(session, code, data.on, data.absent, data.reason)
        who = principal(request)
        record(
            session,
            actor=who.username,
            role=who.role,
            action="department.absence",
            entity="department",
            entity_id=code,
            after={"on": data.on.isoformat(), "absent": data.absent, "reason": data.reason},
        )
        cs.recompute(session, clock.today(), work_calendar(session), reason=f"absence in {code}")
        return 200, to(
            AbsenceSet, {"department": code, "on": data.on.isoformat(), "absent": data.absent}
        )

    return idempotent(session, request, data, act)


@get(
    "/api/departments/{code:str}/queue",
    operation_id="getDepartmentQueue",
    tags=["capacity"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="部门工作顺序 The order in which a department should take its work",
)
def queue(
    code: FromPath[str], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> QueueOut:
    _may_read(request, code)
    _department(session, code)
    return to(
        QueueOut,
        {
            "department": code,
            "run": _run_out(cs.last_run(session)),
            # events since that run, not yet in the forecast (the server recomputes in the background)
            "pending": cs.is_pending(session),
            "items": cs.department_queue(session, code),
        },
    )


def _run_out(run: CapacityRunRow | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "at": run.at.isoformat(),
        "on": run.on.isoformat(),
        "method": run.method,
        "tasks": run.tasks,
        "projects": run.projects,
        "objective": run.objective,
        "lower_bound": run.lower_bound,
        "seconds": run.seconds,
        "stale": run.method == "stale",
    }


@get(
    "/api/projects/{project_id:int}/capacity-forecast",
    operation_id="getProjectCapacityForecast",
    tags=["capacity"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="按审查能力的预测 The project's forecast under capacity",
)
def project_forecast(
    project_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> ProjectForecastOut:
    p = queries.get_project(session, actor(request), project_id)
    return to(
        ProjectForecastOut,
        {
            "project_id": p.id,
            "baseline_finish": p.baseline_finish.isoformat(),
            "predicted_finish_without_capacity": p.predicted_finish.isoformat()
            if p.predicted_finish
            else None,
            "capacity": cs.project_forecast(session, p.id),
        },
    )


class RecomputeIn(msgspec.Struct, forbid_unknown_fields=True):
    full: bool = True
    time_limit: Annotated[float, msgspec.Meta(ge=0.05, le=60)] = 3.0


@post(
    "/api/admin/capacity/recompute",
    operation_id="recomputeCapacity",
    tags=["capacity"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.CAPACITY_MANAGE)],
    responses=problems(*WRITE),
    summary="重新计算排队预测 Recompute the forecast",
)
def recompute(
    data: JSONBody[RecomputeIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> CapacityRun:
    run = cs.recompute(
        session,
        clock.today(),
        work_calendar(session),
        full=data.full,
        time_limit=data.time_limit,
        reason=f"requested by {principal(request).username}",
    )
    session.commit()
    return to(CapacityRun, _run_out(run))


ROUTES = [get_capacity, set_capacity, set_absence, queue, project_forecast, recompute]
