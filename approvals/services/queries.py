"""Loading with visibility, and the read models the use cases and pages share.

An enterprise sees its own projects, a reviewer the projects where its department has work, an
agent the projects assigned to it; who sees *every* project is the policy's answer
(:attr:`~access.policy.Action.PROJECT_READ` granted with :attr:`~access.policy.Scope.ANY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from access.actor import Actor, Role
from access.policy import Action, Scope
from approvals.catalog import Catalogue, Material
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import NotFoundError
from approvals.orm import CertificateRow, MaterialRow, ProjectRow, StepRow, TaskRow
from approvals.service import catalogue_version
from approvals.services.common import scope_of
from storage.paging import PageOf, Paging, fetch_page, search_clause


def project_catalogue(session: Session, project: ProjectRow) -> Catalogue:
    """The catalogue version the project was filed under (parsed once per process)."""
    return catalogue_version(session, project.catalog_id)


def sees_every_project(actor: Actor) -> bool:
    """Whether the policy lets ``actor`` read every project (not only its own)."""
    return scope_of(actor, Action.PROJECT_READ) is Scope.ANY


def visible_projects_query(actor: Actor):
    q = select(ProjectRow)
    if sees_every_project(actor):
        return q
    if scope_of(actor, Action.PROJECT_READ) is None:
        return q.where(False)
    # scoped reads: what "own" means depends on the role (the SQL filter, not the decision)
    if actor.role == Role.ENTERPRISE:
        return q.where(ProjectRow.enterprise_id == (actor.enterprise_id or -1))
    if actor.role == Role.REVIEWER:
        sub = select(TaskRow.project_id).where(
            TaskRow.department == actor.department, TaskRow.status != "waiting"
        )
        return q.where(ProjectRow.id.in_(sub))
    if actor.role == Role.AGENT:
        return q.where(ProjectRow.agent_user_id == (actor.user_id or -1))
    return q.where(False)


#: The sort keys of a project list and their columns.
PROJECT_SORTS: dict[str, Any] = {
    "filed_on": ProjectRow.filed_on,
    "code": ProjectRow.code,
    "name": ProjectRow.name,
    "status": ProjectRow.status,
    "baseline_finish": ProjectRow.baseline_finish,
    "predicted_finish": ProjectRow.predicted_finish,
}


def project_page(
    session: Session, actor: Actor, paging: Paging, *, status: str | None = None
) -> PageOf:
    """One page of the projects ``actor`` sees, searched by code or name, filtered by status,
    sorted by :data:`PROJECT_SORTS` (one statement: the page with its count)."""
    q = visible_projects_query(actor)
    if status:
        q = q.where(ProjectRow.status == status)
    match = search_clause(paging.q, ProjectRow.code, ProjectRow.name)
    if match is not None:
        q = q.where(match)
    return fetch_page(session, q, paging, PROJECT_SORTS, tiebreak=ProjectRow.id)


def get_project(
    session: Session, actor: Actor, project_id: int, *, lock: bool = False, whole: bool = False
) -> ProjectRow:
    """The project if the actor may see it; otherwise 'not found' (its existence is not told).
    ``whole`` loads its steps, tasks and deferrals eagerly (for plans and task lists)."""
    q = visible_projects_query(actor).where(ProjectRow.id == project_id)
    if lock:
        q = q.with_for_update()
    if whole:  # steps, their tasks and deferrals in three queries rather than one per step
        q = q.options(
            selectinload(ProjectRow.steps)
            .selectinload(StepRow.tasks)
            .selectinload(TaskRow.deferrals)
        )
    project = session.scalar(q)
    if project is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    return project


def get_task(session: Session, actor: Actor, task_id: int) -> TaskRow:
    """The task if the actor may see it: a reviewer its own department's tasks only, others the
    tasks of the projects they see."""
    # the step, its project and the deferrals come with the task: every caller shows them
    task = session.scalar(
        select(TaskRow)
        .where(TaskRow.id == task_id)
        .options(
            joinedload(TaskRow.step).joinedload(StepRow.project),
            selectinload(TaskRow.deferrals),
        )
    )
    if task is None:
        raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    if actor.role == Role.REVIEWER:
        if task.department != actor.department:
            raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    elif not sees_every_project(actor):
        get_project(session, actor, task.project_id)  # raises NotFound when not visible
    return task


# --- material status (一次采集、多方复用) -----------------------------------------------------------


def required_materials(
    catalogue: Catalogue, step: StepRow, attributes: dict[str, Any]
) -> list[Material]:
    """The materials the step's items need, once each, in catalogue order."""
    seen: dict[str, Material] = {}
    for code in step.items:
        for m in catalogue.items[code].materials:
            try:
                if not evaluate(m.applies_if, attributes):
                    continue
            except MissingAttribute:
                pass
            if m.code not in seen or not m.deferrable:
                seen[m.code] = m
    return list(seen.values())


def later_certificates(catalogue: Catalogue, project: ProjectRow, step: StepRow) -> set[str]:
    """Certificates issued inside the plan by a step that is *not* a prerequisite of ``step``:
    they cannot be asked of it (e.g. the piling part of 桩基先行 comes before the planning
    permit its whole item needs)."""
    by_code = {s.code: s for s in project.steps}
    ancestors: set[str] = set()
    stack = list(step.requires)
    while stack:
        code = stack.pop()
        if code not in ancestors:
            ancestors.add(code)
            stack.extend(by_code[code].requires)
    later: set[str] = set()
    for s in project.steps:
        if s.code in ancestors or s.code == step.code:
            continue
        for item in s.items:
            later.update(o.code for o in catalogue.items[item].outputs)
    return later


#: Material states that do not supply the material (acceptance waits for them).
NOT_SUPPLIED = frozenset({"missing", "pending", "revoked"})
#: Material states the plan supplies by a certificate (never asked of the enterprise).
FROM_CERTIFICATES = frozenset({"certificate", "pending"})


def planned_certificates(catalogue: Catalogue, project: ProjectRow) -> dict[str, str]:
    """Certificate code → the code of the step of the plan that issues it (the first one)."""
    out: dict[str, str] = {}
    for s in project.steps:
        for item in s.items:
            for o in catalogue.items[item].outputs:
                out.setdefault(o.code, s.code)
    return out


@dataclass(frozen=True)
class MaterialFacts:
    """What material status needs about a project, loaded once for all its steps."""

    catalogue: Catalogue
    certificates: dict[str, CertificateRow]
    uploads: dict[str, MaterialRow]


def material_facts(session: Session, project: ProjectRow) -> MaterialFacts:
    """The project's catalogue, certificates and current uploads by material code."""
    certificates = {
        c.code: c
        for c in session.scalars(
            select(CertificateRow).where(CertificateRow.project_id == project.id)
        )
    }
    uploads = {
        m.code: m
        for m in session.scalars(
            select(MaterialRow).where(
                MaterialRow.project_id == project.id, MaterialRow.current.is_(True)
            )
        )
    }
    return MaterialFacts(project_catalogue(session, project), certificates, uploads)


def material_status(
    session: Session, project: ProjectRow, step: StepRow, facts: MaterialFacts | None = None
) -> list[dict[str, Any]]:
    """For each material a step needs: supplied by a certificate, uploaded, or missing.
    ``facts`` (from :func:`material_facts`) saves the queries when every step is listed."""
    facts = facts or material_facts(session, project)
    catalogue, certificates, uploads = facts.catalogue, facts.certificates, facts.uploads
    later = later_certificates(catalogue, project, step)
    planned = planned_certificates(catalogue, project)
    out = []
    for m in required_materials(catalogue, step, project.attributes):
        if m.code in later and m.code not in certificates:
            continue
        cert = certificates.get(m.code)
        upload = uploads.get(m.code)
        if cert is not None:
            # 由前序事项核发: supplied by the certificate, unless the administration revoked it
            state = "certificate" if cert.status != "revoked" else "revoked"
        elif m.code in planned:
            state = "pending"  # an earlier item of the plan issues it; nothing to upload
        else:
            state = "uploaded" if upload else "missing"
        out.append(
            {
                "code": m.code,
                "name": m.name,
                "name_en": m.name_en,
                "deferrable": m.deferrable,
                "deferral_days": m.deferral_days,
                "state": state,
                "certificate": {
                    "id": cert.id,
                    "number": cert.number,
                    "status": cert.status,
                    "issued_on": cert.issued_on.isoformat(),
                    "item": cert.item_code,
                }
                if cert
                else None,
                "upload": {
                    "id": upload.id,
                    "filename": upload.filename,
                    "sha256": upload.sha256,
                    "size": upload.size,
                }
                if upload
                else None,
            }
        )
    return out
