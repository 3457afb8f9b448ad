"""The reviewers' pages: a department's worklist, a task with its materials, and the decisions
(受理, 受理前一次性告知补正, 不予受理, 准予, 不予许可, 补正, 特别程序)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.policy import Action, can, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages import texts
from api.pages.layout import (
    back,
    context,
    department_name,
    department_names,
    header_first,
    material_names,
    page_lang,
    require_user,
    run_form_action,
)
from api.pages.listing import Listing, filter_value, paging_of
from api.presenters.tasks import task_detail
from api.routes.common import IdPath
from approvals import workflow as wf
from approvals.service import work_calendar
from approvals.services import clocks, counter_documents, queries, review

_WORKLIST_SORT_LABELS = {
    "urgency": "urgency",
    "due_on": "due_sort",
    "project": "project",
    "step": "step",
    "status": "status",
    "ready_on": "ready_on",
    "decided_on": "decided_on",
}


def _worklist_page(
    request: Request[Any, Any, Any], session: Session, clock: Clock, *, decided: bool
) -> Template:
    user = require_user(request, *roles_for(Action.TASK_DECIDE))
    lang = page_lang(request)
    sorts = [k for k in clocks.WORKLIST_SORTS if (k != "decided_on") or decided]
    paging = paging_of(request, sorts, "-decided_on" if decided else "urgency")
    statuses = sorted(wf.CLOSED_STATUSES if decided else wf.OPEN_STATUSES)
    status = filter_value(request, "status", statuses)
    page = clocks.worklist_page(
        session,
        actor_of(user),
        clock.today(),
        work_calendar(session),
        paging,
        decided=decided,
        status=status or None,
    )
    for r in page.items:
        r["clock_name"] = texts.named(texts.CLOCK_NAMES, r["clock"], lang)
        r["status_name"] = wf.STATUS_NAMES.get(r["status"], (r["status"], r["status"]))[
            1 if lang == "en" else 0
        ]
    status_label = {s: wf.STATUS_NAMES[s][1 if lang == "en" else 0] for s in statuses}
    listing = Listing(
        path=request.url.path,
        page=page,
        sort_labels={k: texts.text(_WORKLIST_SORT_LABELS[k], lang) for k in sorts},
        filters={"status": status},
        filter_options={"status": list(status_label.items())},
        filter_labels={"status": texts.text("status", lang)},
    )
    return Template(
        "worklist.html",
        context=context(
            request,
            session,
            clock,
            tasks=page.items,
            listing=listing,
            decided=decided,
            department=department_name(department_names(session), user.department or "", lang),
        ),
    )


@get("/reviewer", include_in_schema=False, sync_to_thread=True)
def reviewer_home(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """待办: the department's open tasks, the most urgent first."""
    return _worklist_page(request, session, clock, decided=False)


@get("/reviewer/done", include_in_schema=False, sync_to_thread=True)
def reviewer_done(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """已办: the tasks the department has decided, the latest first."""
    return _worklist_page(request, session, clock, decided=True)


@get("/tasks/{task_id:int}", include_in_schema=False, sync_to_thread=True)
def task_page(
    task_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    lang = page_lang(request)
    header_first(session, user)  # the header's unread count comes with the task
    task = queries.get_task(session, actor_of(user), task_id)
    out = task_detail(session, task, clock)
    out["clock_name"] = texts.named(texts.CLOCK_NAMES, out["clock"], lang)
    out["status_name"] = wf.STATUS_NAMES.get(out["status"], (out["status"], out["status"]))[
        1 if lang == "en" else 0
    ]
    for m in out["materials"]:
        m["state_name"] = texts.named(texts.MATERIAL_STATE, m["state"], lang)
    kinds = [(k, v[1] if lang == "en" else v[0]) for k, v in wf.SPECIAL_PROCEDURES.items()]
    documents = counter_documents.available(
        out["accepted_on"] is not None,
        out["status"] == "refused",
        [(c["id"], c["requested_on"]) for c in out["corrections"]],
    )
    return Template(
        "task.html",
        context=context(
            request,
            session,
            clock,
            task=out,
            material_names=material_names(queries.project_catalogue(session, task.step.project)),
            special_kinds=kinds,
            documents=documents,
            can_act=can(actor_of(user), Action.TASK_DECIDE, task),
            intake_notice_given=any(c["stage"] == "intake" for c in out["corrections"]),
        ),
    )


_DECISIONS = {
    "accept": (review.accept_task, ("已受理", "accepted")),
    "intake-corrections": (
        review.request_intake_corrections,
        ("已一次性告知补正，受理时限暂停", "missing materials asked for; intake clock stopped"),
    ),
    "refuse": (review.refuse_task, ("已作出不予受理决定", "refused at intake")),
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
    return await sync_to_thread(_decide_page, task_id, action, request, session, clock, data)


def _decide_page(
    task_id: int,
    action: str,
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    data: dict[str, Any],
) -> Redirect:
    user = require_user(request, *roles_for(Action.TASK_DECIDE))
    url = f"/tasks/{task_id}"
    if action not in _DECISIONS:
        return back(url, err=("unknown action" if page_lang(request) == "en" else "未知的操作"))
    fn, ok = _DECISIONS[action]
    version = int(data["version"]) if str(data.get("version") or "").isdigit() else None
    kwargs: dict[str, Any] = {"version": version}
    if action == "approve":
        kwargs["note"] = str(data.get("note") or "")
    if action in {"reject", "corrections", "refuse", "intake-corrections"}:
        kwargs["reasons"] = str(data.get("reasons") or "")
    if action in {"corrections", "intake-corrections"}:
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


ROUTES = [reviewer_home, reviewer_done, task_page, decide_page_entry]
