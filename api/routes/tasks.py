"""Department reviewers' tasks: the worklist and the decisions (受理, 受理前一次性告知补正, 不予受理,
准予, 不予许可, 补正, 特别程序)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.orm import Session

from access.policy import Action
from api.auth import allowed
from api.clock import Clock
from api.openapi import READ, WRITE, problems
from api.presenters.tasks import task_detail
from api.routes.common import (
    IdPath,
    PageParam,
    SearchParam,
    SizeParam,
    SortParam,
    Version,
    actor,
    idempotent,
    page_meta,
    paging_query,
)
from api.schemas.common import to
from api.schemas.tasks import TaskOut, WorklistOut
from approvals.service import work_calendar
from approvals.services import clocks, queries, review


class VersionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``version``: the task version the decision is based on (a stale one answers 409)."""

    version: Version | None = None


class ApproveIn(VersionIn, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class RejectIn(VersionIn, forbid_unknown_fields=True):
    reasons: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)] = ""


class CorrectionsIn(VersionIn, forbid_unknown_fields=True):
    reasons: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)] = ""
    materials: list[str] = msgspec.field(default_factory=list)


class IntakeCorrectionsIn(VersionIn, kw_only=True, forbid_unknown_fields=True):
    """The missing materials, named all at once; ``reasons`` defaults to a notice naming them."""

    materials: Annotated[list[str], msgspec.Meta(min_length=1, max_length=100)]
    reasons: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class RefuseIn(VersionIn, kw_only=True, forbid_unknown_fields=True):
    reasons: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class SpecialIn(VersionIn, forbid_unknown_fields=True):
    kind: str = "expert_review"
    reason: Annotated[str, msgspec.Meta(max_length=4000)] = ""


@get(
    "/api/tasks",
    operation_id="listTasks",
    tags=["tasks"],
    sync_to_thread=True,
    responses=problems(400, 401, 403),
    guards=[allowed(Action.TASK_QUEUE_READ)],
    summary="部门待办 A department's worklist",
)
def list_tasks(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    department: Annotated[str | None, QueryParameter(max_length=64)] = None,
    done: Annotated[bool, QueryParameter(description="已办：已作出决定的任务")] = False,
    status: Annotated[str | None, QueryParameter(max_length=12)] = None,
    page: PageParam = None,
    size: SizeParam = None,
    sort: SortParam = None,
    q: SearchParam = None,
) -> WorklistOut:
    """待办: open tasks across all projects, by default the most urgent first (past their due
    day, then least slack on the project's critical path); with ``done``, 已办: the tasks decided,
    the latest first.  A reviewer sees its own department's.  ``q`` searches the project's code
    and name and the step; ``sort`` is one of urgency, due_on, project, step, status,
    decided_on, ready_on."""
    paging = paging_query(
        clocks.WORKLIST_SORTS, "-decided_on" if done else "urgency", page, size, sort, q
    )
    found = clocks.worklist_page(
        session,
        actor(request),
        clock.today(),
        None,  # read by the service, after the page that brings its cache version
        paging,
        department=department,
        decided=done,
        status=status,
    )
    return to(WorklistOut, {"items": found.items, **page_meta(found)})


@get(
    "/api/tasks/{task_id:int}",
    operation_id="getTask",
    tags=["tasks"],
    sync_to_thread=True,
    responses=problems(*READ),
    summary="任务详情 A task with its materials",
)
def get_task(
    task_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> TaskOut:
    # plain rows: the answer only shows the task (the decisions load its ORM objects to change)
    return to(
        TaskOut, task_detail(session, queries.plain_task(session, actor(request), task_id), clock)
    )


def _decide(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: JSONBody[Any],
    fn: Any,
    **kwargs: Any,
) -> Response[TaskOut]:
    def act() -> tuple[int, Any]:
        version = data.version if data.version is not None else _if_match(request)
        task = fn(
            session,
            actor(request),
            request.path_params["task_id"],
            clock.today(),
            work_calendar(session),
            version=version,
            **kwargs,
        )
        return 200, to(TaskOut, task_detail(session, task, clock))

    return idempotent(session, request, data, act)


def _if_match(request: Request[Any, Any, Any]) -> int | None:
    value = request.headers.get("if-match", "").strip().strip('"').removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else None


@post(
    "/api/tasks/{task_id:int}/accept",
    operation_id="acceptTask",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="受理 Accept",
)
def accept(
    task_id: IdPath,
    data: JSONBody[VersionIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    """Essential materials must be present; deferrable ones may be missing (容缺) and get a deadline."""
    return _decide(request, session, clock, data, review.accept_task)


@post(
    "/api/tasks/{task_id:int}/approve",
    operation_id="approveTask",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="准予许可 Approve",
)
def approve(
    task_id: IdPath,
    data: JSONBody[ApproveIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    """Issues the item's certificates once every member department has approved; the steps that
    depend on it become ready on their own."""
    return _decide(request, session, clock, data, review.approve_task, note=data.note)


@post(
    "/api/tasks/{task_id:int}/reject",
    operation_id="rejectTask",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="不予许可 Reject with reasons",
)
def reject(
    task_id: IdPath,
    data: JSONBody[RejectIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    return _decide(request, session, clock, data, review.reject_task, reasons=data.reasons)


@post(
    "/api/tasks/{task_id:int}/corrections",
    operation_id="requestCorrections",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="一次性告知补正 Ask for corrections",
)
def corrections(
    task_id: IdPath,
    data: JSONBody[CorrectionsIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    """The clock stops until the enterprise resubmits every material named."""
    return _decide(
        request,
        session,
        clock,
        data,
        review.request_corrections,
        reasons=data.reasons,
        materials=data.materials,
    )


@post(
    "/api/tasks/{task_id:int}/intake-corrections",
    operation_id="requestIntakeCorrections",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="受理前一次性告知补正 Ask once, before acceptance, for the missing materials",
)
def intake_corrections(
    task_id: IdPath,
    data: JSONBody[IntakeCorrectionsIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    """The intake time limit (受理时限) stops until the enterprise supplies every material named
    (upload, then answer the 补正); the task then returns to intake.  Once per task."""
    return _decide(
        request,
        session,
        clock,
        data,
        review.request_intake_corrections,
        materials=data.materials,
        reasons=data.reasons,
    )


@post(
    "/api/tasks/{task_id:int}/refuse",
    operation_id="refuseTask",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="不予受理 Refuse to accept the application, with reasons",
)
def refuse(
    task_id: IdPath,
    data: JSONBody[RefuseIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    """Before acceptance only; unlike 不予许可 (reject) the permit is not reviewed at all."""
    return _decide(request, session, clock, data, review.refuse_task, reasons=data.reasons)


@post(
    "/api/tasks/{task_id:int}/special-procedures",
    operation_id="startSpecialProcedure",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="启动特别程序 Start a special procedure",
)
def special_start(
    task_id: IdPath,
    data: JSONBody[SpecialIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    """Expert review, hearing, testing, site inspection, public notice: the clock stops
    (行政许可法第四十五条)."""
    return _decide(
        request,
        session,
        clock,
        data,
        review.start_special_procedure,
        kind=data.kind,
        reason=data.reason,
    )


@post(
    "/api/tasks/{task_id:int}/special-procedures/end",
    operation_id="endSpecialProcedure",
    tags=["tasks"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.TASK_DECIDE)],
    responses=problems(*WRITE),
    summary="结束特别程序 End the special procedure",
)
def special_end(
    task_id: IdPath,
    data: JSONBody[VersionIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[TaskOut]:
    return _decide(request, session, clock, data, review.end_special_procedure)


ROUTES = [
    list_tasks,
    get_task,
    accept,
    intake_corrections,
    refuse,
    approve,
    reject,
    corrections,
    special_start,
    special_end,
]
