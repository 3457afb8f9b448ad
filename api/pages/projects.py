"""Projects as every role sees them: the lists (own, all), a project's page with its live plan,
Gantt chart, materials, corrections and certificates, and its audit trail.

The project page shows the blocks of the agents and of the commitments (their modules render
them); it names them here, explicitly, rather than through hooks.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Role
from access.policy import Action, can
from api.auth import actor_of
from api.clock import Clock
from api.pages import agents as agent_pages
from api.pages import audit_view, texts, why
from api.pages import commitments as commitment_pages
from api.pages import intermediaries as activity_pages
from api.pages import ratings as rating_pages
from api.pages.gantt import render_gantt
from api.pages.layout import (
    context,
    department_name,
    department_names,
    header_first,
    material_names,
    page_lang,
    require_user,
)
from api.pages.listing import Listing, filter_value, paging_of
from api.routes.common import IdPath
from approvals.orm import CorrectionRow, ProjectRow, TaskRow
from approvals.service import work_calendar
from approvals.services import counter_documents, progress, queries, ratings
from storage.audit import AuditRow


def project_rows(projects: list[ProjectRow], lang: str) -> list[dict[str, Any]]:
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
        for p in projects
    ]


_PROJECT_SORT_LABELS = {
    "filed_on": "filed_sort",
    "code": "code",
    "name": "name",
    "status": "status",
    "baseline_finish": "baseline_finish",
    "predicted_finish": "predicted_finish",
}


def _projects_page(
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    roles: tuple[str, ...],
    heading_key: str,
) -> Template:
    user = require_user(request, *roles)
    lang = page_lang(request)
    paging = paging_of(request, tuple(queries.PROJECT_SORTS), "-filed_on")
    status = filter_value(request, "status", tuple(texts.PROJECT_STATUS))
    page = queries.project_page(session, actor_of(user), paging, status=status or None)
    listing = Listing(
        path=request.url.path,
        page=page,
        sort_labels={k: texts.text(v, lang) for k, v in _PROJECT_SORT_LABELS.items()},
        filters={"status": status},
        filter_options={
            "status": [
                (k, texts.named(texts.PROJECT_STATUS, k, lang)) for k in texts.PROJECT_STATUS
            ]
        },
        filter_labels={"status": texts.text("status", lang)},
    )
    return Template(
        "projects.html",
        context=context(
            request,
            session,
            clock,
            heading=texts.text(heading_key, lang),
            projects=project_rows(page.items, lang),
            listing=listing,
            can_file=user.role == Role.ENTERPRISE,
        ),
    )


@get("/enterprise", include_in_schema=False, sync_to_thread=True)
def enterprise_home(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, (Role.ENTERPRISE,), "my_projects")


@get("/regulator", include_in_schema=False, sync_to_thread=True)
def regulator_home(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, (Role.REGULATOR,), "projects")


@get("/admin/projects", include_in_schema=False, sync_to_thread=True)
def admin_projects(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, (Role.ADMIN,), "projects")


@get("/agent/projects", include_in_schema=False, sync_to_thread=True)
def agent_projects(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _projects_page(request, session, clock, (Role.AGENT,), "my_assigned_projects")


def _materials(
    session: Session, p: ProjectRow, lang: str, facts: queries.MaterialFacts
) -> list[dict[str, Any]]:
    """Each material once, with the steps that need it (submitted once, reused by every item)."""
    materials: dict[str, dict[str, Any]] = {}
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
    return list(materials.values())


def _corrections(session: Session, p: ProjectRow) -> dict[int, list[CorrectionRow]]:
    """Every correction request (补正) of the project's tasks, by task, in order: one query for
    the open ones and the counter's documents."""
    out: dict[int, list[CorrectionRow]] = {}
    for c in session.scalars(
        select(CorrectionRow)
        .join(TaskRow, CorrectionRow.task_id == TaskRow.id)
        .where(TaskRow.project_id == p.id)
        .order_by(CorrectionRow.id)
    ):
        out.setdefault(c.task_id, []).append(c)
    return out


def _open_corrections(
    session: Session, p: ProjectRow, lang: str, requests: dict[int, list[CorrectionRow]]
) -> list[dict[str, Any]]:
    """The corrections (补正) the enterprise still has to answer, per task."""
    names = department_names(session)
    return [
        {
            "task_id": t.id,
            "step_code": s.code,
            "department": department_name(names, t.department, lang),
            "requested_on": c.requested_on.isoformat(),
            "reasons": c.reasons,
            "materials": c.material_codes,
            "stage": c.stage,
        }
        for s in p.steps
        for t in s.tasks
        if t.status == "corrections"
        for c in requests.get(t.id, [])
        if c.resolved_on is None
    ]


def _decisions_against(session: Session, p: ProjectRow, lang: str) -> list[dict[str, Any]]:
    """The refusals on the project: 不予受理 (at intake) and 不予许可 (after review), with reasons."""
    names = department_names(session)
    return [
        {
            "step_code": s.code,
            "step_name": s.name,
            "department": department_name(names, t.department, lang),
            "status": t.status,
            "status_name": texts.named(texts.STEP_STATUS, t.status, lang),
            "decided_on": t.decided_on.isoformat() if t.decided_on else "",
            "reasons": t.note,
        }
        for s in p.steps
        for t in s.tasks
        if t.status in {"refused", "rejected"}
    ]


def _documents(
    session: Session,
    p: ProjectRow,
    user: Any,
    lang: str,
    corrections: dict[int, list[CorrectionRow]],
) -> list[dict[str, Any]]:
    """The counter's documents of each task the user sees (a department: its own tasks), from
    every correction request of the project (:func:`_corrections`)."""
    names = department_names(session)
    requests = {
        task_id: [(c.id, c.requested_on.isoformat()) for c in cs]
        for task_id, cs in corrections.items()
    }
    own_department = user.department if user.role == Role.REVIEWER else None
    return [
        {
            "task_id": t.id,
            "step_code": s.code,
            "step_name": s.name,
            "department": department_name(names, t.department, lang),
            "documents": counter_documents.available(
                t.accepted_on is not None, t.status == "refused", requests.get(t.id, [])
            ),
        }
        for s in p.steps
        for t in s.tasks
        if t.status != "waiting" and own_department in (None, t.department)
    ]


@get("/projects/{project_id:int}", include_in_schema=False, sync_to_thread=True)
def project_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    lang = page_lang(request)
    header_first(session, user)  # the header's unread count comes with the project
    # the agent and the commitment come with the project (one statement less each)
    row = queries.get_project_with(
        session,
        actor_of(user),
        project_id,
        (agent_pages.with_agent, commitment_pages.with_commitment),
        whole=True,
        baseline=True,
    )
    p = row[0]
    calendar = work_calendar(session)
    live = progress.live_plan(session, p, clock.today(), calendar, lang)
    for s in live["steps"]:
        s["status_name"] = texts.named(texts.STEP_STATUS, s["status"], lang)
        for task in s["tasks"]:
            task["clock_name"] = texts.named(texts.CLOCK_NAMES, task["clock"], lang)
    batches = {i["code"]: i["batch"] for i in p.baseline["items"]}
    seq = calendar.sequence(p.filed_on)
    gantt = render_gantt(live, batches, seq.date_of, lang, calendar.info)
    facts = queries.material_facts(session, p)  # its certificates are the project's too
    materials = _materials(session, p, lang, facts)
    catalogue = queries.project_catalogue(session, p)
    requests = _corrections(session, p)
    corrections = _open_corrections(session, p, lang, requests)
    certificates = sorted(facts.certificates.values(), key=lambda c: c.id)
    owner = can(actor_of(user), Action.PROJECT_SUPPLY, p)
    given = rating_pages.project_ratings(session, p, lang)
    rated = {r["step"] for r in given}
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
            materials=materials,
            corrections=corrections,
            refusals=_decisions_against(session, p, lang),
            certificates=[
                {
                    "id": c.id,
                    "name": c.name,
                    "number": c.number,
                    "issued_on": c.issued_on.isoformat(),
                    "status": c.status,
                }
                for c in certificates
            ],
            can_revoke=can(actor_of(user), Action.CERTIFICATE_REVOKE),
            documents=_documents(session, p, user, lang, requests),
            can_upload=owner,
            can_rate=owner,
            can_audit=can(actor_of(user), Action.AUDIT_READ, p),
            rateable=[s for s in p.steps if s.status == "done" and s.code not in rated],
            rating_labels=sorted(ratings.RATING_LABELS.items(), reverse=True),
            agent=agent_pages.agent_named(row),
            why=why.applicability(catalogue, p.baseline, p.attributes, lang),
            material_names=material_names(catalogue),
            ratings=given,
            activities=activity_pages.project_view(session, p, user, clock.today(), lang),
            extra_blocks=[
                commitment_pages.project_block(session, p, row.CommitmentRow, user, lang),
                agent_pages.project_block(session, p, user, lang),
            ],
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
        context=context(
            request,
            session,
            clock,
            project={"code": p.code},
            entries=audit_view.readable(entries, page_lang(request), department_names(session)),
        ),
    )


ROUTES = [
    enterprise_home,
    regulator_home,
    admin_projects,
    agent_projects,
    project_page,
    project_audit_page,
]
