"""Loading with visibility, and the read models the use cases and pages share.

An enterprise sees its own projects, a reviewer the projects where its department has work, an
agent the projects assigned to it; who sees *every* project is the policy's answer
(:attr:`~access.policy.Action.PROJECT_READ` granted with :attr:`~access.policy.Scope.ANY`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, joinedload, selectinload, undefer

from access.actor import Actor, Role
from access.policy import Action, Scope
from approvals.catalog import Catalogue, Material
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import NotFoundError
from approvals.orm import (
    CertificateRow,
    DeferralRow,
    EnterpriseRow,
    MaterialRow,
    ProjectRow,
    StepRow,
    TaskRow,
)
from approvals.service import catalogue_version
from approvals.services.common import scope_of
from storage import versions
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


#: A project's columns but its plan at filing (``baseline``, a large document read apart).
PROJECT_COLUMNS = tuple(
    c
    for c in ProjectRow.__table__.c
    if c.key != "baseline"  # type: ignore[attr-defined]
)


def project_page(
    session: Session,
    actor: Actor,
    paging: Paging,
    *,
    status: str | None = None,
    plain: bool = False,
) -> PageOf:
    """One page of the projects ``actor`` sees, searched by code or name, filtered by status,
    sorted by :data:`PROJECT_SORTS` (one statement: the page with its count).  ``plain``: the
    rows as :class:`Plain` objects (:data:`PROJECT_COLUMNS` and ``enterprise_name``), not ORM
    objects — for answers that only show them."""

    def query() -> Any:
        q = visible_projects_query(actor)
        if plain:
            q = _with_enterprise_name(q.with_only_columns(*PROJECT_COLUMNS))
        if status:
            q = q.where(ProjectRow.status == status)
        match = search_clause(paging.q, ProjectRow.code, ProjectRow.name)
        return q if match is None else q.where(match)

    # what visible_projects_query reads of the actor, the filters: the statement's key
    who = (actor.role, actor.enterprise_id, actor.department, actor.user_id)
    page = fetch_page(
        session,
        query,
        paging,
        PROJECT_SORTS,
        tiebreak=ProjectRow.id,
        scalars=not plain,
        memo=("projects", who, status, paging.q, plain),
    )
    if plain:
        page = PageOf(items=Plain.rows(page.items), total=page.total, paging=page.paging)
    return page


def _with_enterprise_name(q: Any) -> Any:
    """The plain project columns and ``enterprise_name``, the name of its enterprise (in the
    same statement)."""
    return q.add_columns(EnterpriseRow.name.label("enterprise_name")).outerjoin(
        EnterpriseRow, EnterpriseRow.id == ProjectRow.enterprise_id
    )


def plain_project(session: Session, actor: Actor, project_id: int) -> Any:
    """:func:`get_project` for answers that only show the project: a :class:`Plain` row of
    :data:`PROJECT_COLUMNS` and ``enterprise_name``, no ORM object."""
    row = session.execute(
        _with_enterprise_name(
            visible_projects_query(actor).with_only_columns(*PROJECT_COLUMNS)
        ).where(ProjectRow.id == project_id)
    ).first()
    if row is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    return Plain(row._mapping)


def get_project(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    lock: bool = False,
    whole: bool = False,
    baseline: bool = False,
) -> ProjectRow:
    """The project if the actor may see it; otherwise 'not found' (its existence is not told).
    ``whole`` loads its steps, tasks and deferrals eagerly (for plans and task lists);
    ``baseline`` its baseline document with the row (a deferred column otherwise)."""
    q = visible_projects_query(actor).where(ProjectRow.id == project_id)
    if baseline:
        q = q.options(undefer(ProjectRow.baseline))
    # a read carries the cache version (its calendar's lookup needs it next); a lock does not
    q = q.with_for_update() if lock else q.add_columns(*versions.columns(session))
    if whole:
        # steps in a second statement, their tasks and deferrals joined to them (not the
        # project's wide row repeated per task): two statements rather than one per step
        q = q.options(
            selectinload(ProjectRow.steps).joinedload(StepRow.tasks).joinedload(TaskRow.deferrals)
        )
    row = session.execute(q).unique().first()
    if row is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    if not lock:
        versions.remember_row(session, row)
    return row[0]


def visible_project_id(session: Session, actor: Actor, project_id: int) -> int:
    """:func:`get_project`'s check alone: the id when the actor may see the project, else 'not
    found' — one single-column statement, nothing of the row loaded."""
    found = session.scalar(
        visible_projects_query(actor)
        .with_only_columns(ProjectRow.id)
        .where(ProjectRow.id == project_id)
    )
    if found is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    return found


# --- plain read models (读模型): rows as objects, no ORM identity map ------------------------------


class Plain:
    """A row read for display only: its columns as attributes (``step.code``), plus what the
    loader hangs on it (``step.tasks``).  Loading these costs a tenth of ORM objects (no
    identity map, no change tracking), which matters on the pages read with every click: the
    live plan (every step, task and deferral) and the worklist.  Never written back."""

    def __init__(self, mapping: Any) -> None:
        self.__dict__.update(mapping)

    @classmethod
    def rows(cls, rows: Any) -> list[Plain]:
        """``rows`` (SQLAlchemy rows, or a result: fetched with one ``fetchall``, not a
        ``fetchone`` a row as iterating it does) as plain rows; the column names read once."""
        if not isinstance(rows, Sequence):
            names = list(rows.keys())
            rows = rows.all()
        elif rows:
            names = list(rows[0]._fields)
        out = []
        for r in rows:
            p = cls.__new__(cls)
            p.__dict__.update(zip(names, r, strict=True))
            out.append(p)
        return out

    def __repr__(self) -> str:
        return f"Plain({self.__dict__!r})"


#: The project's columns a plan shows (not its documents: attributes, form, the baseline).
_PLAN_PROJECT_COLUMNS = (
    ProjectRow.id,
    ProjectRow.code,
    ProjectRow.name,
    ProjectRow.status,
    ProjectRow.filed_on,
    ProjectRow.baseline_finish,
    ProjectRow.baseline_makespan,
    ProjectRow.serial_workdays,
    ProjectRow.predicted_finish,
    ProjectRow.finish_delays,  # the plan on both clocks and whose the finish's delay is
    ProjectRow.enterprise_id,
    ProjectRow.agent_user_id,
    ProjectRow.catalog_id,
    ProjectRow.version,
)


def plan_project(session: Session, actor: Actor, project_id: int) -> Plain:
    """The project as the live plan reads it (visibility as :func:`get_project`): its plain
    columns, the waived and reduced items of its baseline (``waived``,
    ``reduced_to_commitment``), and ``steps`` from :func:`plain_steps` — four statements; the
    first also reads the cache version (:func:`storage.versions.column`)."""
    waived = ProjectRow.baseline["waived"]
    reduced = ProjectRow.baseline["reduced_to_commitment"]
    row = session.execute(
        visible_projects_query(actor)
        .with_only_columns(
            *_PLAN_PROJECT_COLUMNS,
            waived.label("waived"),
            reduced.label("reduced"),
            versions.column().label("cache_version_"),  # the calendar's lookup needs it next
        )
        .where(ProjectRow.id == project_id)
    ).first()
    if row is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    project = Plain(row._mapping)
    versions.remember(session, project.__dict__.pop("cache_version_"))
    project.waived = project.waived if project.waived is not None else []
    project.reduced_to_commitment = project.__dict__.pop("reduced") or []
    project.steps = plain_steps(session, project.id)
    return project


_steps_t, _tasks_t, _deferrals_t = StepRow.__table__, TaskRow.__table__, DeferralRow.__table__
#: Built once: a statement built per request costs as much CPU as running it.  Core tables, not
#: ORM attributes, so that they run on the connection without the ORM's compile step.
_PLAIN_STEPS = (
    select(_steps_t).where(_steps_t.c.project_id == bindparam("pid")).order_by(_steps_t.c.position)
)
_PLAIN_TASKS = (
    select(_tasks_t).where(_tasks_t.c.project_id == bindparam("pid")).order_by(_tasks_t.c.id)
)
_PLAIN_DEFERRALS = (
    select(_deferrals_t)
    .join(_tasks_t, _deferrals_t.c.task_id == _tasks_t.c.id)
    .where(_tasks_t.c.project_id == bindparam("pid"))
    .order_by(_deferrals_t.c.id)
)


def plain_steps(session: Session, project_id: int) -> list[Plain]:
    """The project's steps in plan order, each with ``tasks`` (by id) and each task with
    ``deferrals`` (by id): three statements, plain rows.  For reads: it does not flush the
    session first."""
    conn = session.connection()
    params = {"pid": project_id}
    steps = Plain.rows(conn.execute(_PLAIN_STEPS, params))
    by_id: dict[int, Plain] = {}
    for s in steps:
        s.tasks = []
        by_id[s.id] = s
    tasks: dict[int, Plain] = {}
    for t in Plain.rows(conn.execute(_PLAIN_TASKS, params)):
        t.deferrals = []
        tasks[t.id] = t
        step = by_id.get(t.step_id)
        if step is not None:
            step.tasks.append(t)
    if tasks:
        for d in Plain.rows(conn.execute(_PLAIN_DEFERRALS, params)):
            task = tasks.get(d.task_id)
            if task is not None:
                task.deferrals.append(d)
    return steps


def get_task(session: Session, actor: Actor, task_id: int) -> TaskRow:
    """The task if the actor may see it: a reviewer its own department's tasks only, others the
    tasks of the projects they see."""
    # the step, its project and the deferrals come with the task (every caller shows them),
    # and the cache version (the calendar's lookup needs it next): one statement
    q = (
        select(TaskRow, *versions.columns(session))
        .where(TaskRow.id == task_id)
        .options(
            joinedload(TaskRow.step).joinedload(StepRow.project),
            joinedload(TaskRow.deferrals),
        )
    )
    if actor.role == Role.REVIEWER:
        q = q.where(TaskRow.department == actor.department)
    seen = actor.role == Role.REVIEWER or sees_every_project(actor)
    if not seen:  # whether the actor sees the task's project, in the same statement
        visible = visible_projects_query(actor).with_only_columns(ProjectRow.id)
        q = q.add_columns(TaskRow.project_id.in_(visible).label("visible_"))
    row = session.execute(q).unique().first()
    if row is None:
        raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    task = row[0]
    if not seen and not row.visible_:  # as get_project tells it
        raise NotFoundError(
            f"项目 {task.project_id} 不存在", f"project {task.project_id} not found"
        )
    versions.remember_row(session, row)
    return task


def visible_task(session: Session, actor: Actor, task_id: int, task: TaskRow | None) -> TaskRow:
    """``task`` (task ``task_id`` as read, e.g. under a decision's lock) if the actor may see it
    (:func:`get_task`'s rule), else :class:`NotFoundError`."""
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


#: Where a decision leaves the material facts it read, for its answer (:func:`keep_facts`).
_FACTS_KEY = "material facts of the decision"


def keep_facts(session: Session, project: ProjectRow, facts: MaterialFacts) -> None:
    """Leave ``facts`` for the decision's answer (:func:`kept_facts`): a decision that changes
    no certificate and no upload (受理) answers with the materials it decided on, without reading
    them again.  Kept until taken or the transaction ends."""
    session.info[_FACTS_KEY] = (project.id, facts)


def kept_facts(session: Session, project: Any) -> MaterialFacts | None:
    """The facts :func:`keep_facts` left for ``project`` in this transaction (taken once)."""
    found = session.info.pop(_FACTS_KEY, None)
    return found[1] if found is not None and found[0] == project.id else None


@event.listens_for(Session, "after_transaction_end")
def _forget_facts(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_FACTS_KEY, None)


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
