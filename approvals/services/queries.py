"""Loading with visibility, and the read models the use cases and pages share.

An enterprise sees its own projects, a reviewer the projects where its department has work, an
agent the projects assigned to it; who sees *every* project is the policy's answer
(:attr:`~access.policy.Action.PROJECT_READ` granted with :attr:`~access.policy.Scope.ANY`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    event,
    false,
    func,
    literal_column,
    select,
)
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
    ProjectRevisionRow,
    ProjectRow,
    StepRow,
    TaskRow,
)
from approvals.service import catalogue_version
from approvals.services.common import scope_of
from storage import versions
from storage.audit import AuditRow
from storage.idlists import ids_value, in_ids
from storage.paging import PageOf, Paging, fetch_page, search_clause


def project_catalogue(session: Session, project: ProjectRow) -> Catalogue:
    """The catalogue version the project was filed under (parsed once per process)."""
    return catalogue_version(session, project.catalog_id)


def sees_every_project(actor: Actor) -> bool:
    """Whether the policy lets ``actor`` read every project (not only its own)."""
    return scope_of(actor, Action.PROJECT_READ) is Scope.ANY


def _visibility(actor: Actor) -> tuple[str, Any]:
    """Which rule filters ``actor``'s project reads and the value it compares: ``any`` (every
    project), ``none``, or the role's "own" (``enterprise``: its enterprise's projects,
    ``reviewer``: where its department has work, ``agent``: those assigned to it)."""
    scope = scope_of(actor, Action.PROJECT_READ)
    if scope is Scope.ANY:
        return "any", None
    if scope is None:
        return "none", None
    # scoped reads: what "own" means depends on the role (the SQL filter, not the decision)
    if actor.role == Role.ENTERPRISE:
        return "enterprise", actor.enterprise_id or -1
    if actor.role == Role.REVIEWER:
        return "reviewer", actor.department
    if actor.role == Role.AGENT:
        return "agent", actor.user_id or -1
    return "none", None


_projects_t = ProjectRow.__table__


def _visible_clause(rule: str, value: Any = None, *, unique: bool = False) -> Any:
    """The filter of :func:`_visibility`'s ``rule`` on the projects table (``None``: none), its
    value the bound parameter ``visible_to`` — given here, or passed when a statement built
    once runs (``unique``: named apart, for statements that may hold two of them)."""
    if rule == "any":
        return None
    if rule == "none":
        return false()
    to = bindparam("visible_to", value, unique=unique)
    c = _projects_t.c
    if rule == "enterprise":
        return c.enterprise_id == to
    if rule == "reviewer":
        tasks = TaskRow.__table__.c
        return c.id.in_(
            select(tasks.project_id).where(tasks.department == to, tasks.status != "waiting")
        )
    return c.agent_user_id == to  # agent


def visible_projects_query(actor: Actor):
    q = select(ProjectRow)
    rule, value = _visibility(actor)
    clause = _visible_clause(rule, value, unique=True)
    return q if clause is None else q.where(clause)


def run_visible(
    session: Session,
    actor: Actor,
    built: dict[str, Any],
    build: Callable[[], Any],
    params: dict[str, Any],
) -> Any:
    """Run ``build()`` (a Core statement on the projects table) filtered to what ``actor`` sees,
    on the session's connection.  The statement is built once per visibility rule and kept in
    ``built`` (a statement built per request costs as much CPU as running it, and a Core one on
    the connection skips the ORM's compile step); the actor's value is a bound parameter."""
    rule, value = _visibility(actor)
    statement = built.get(rule)
    if statement is None:
        clause = _visible_clause(rule)
        statement = built[rule] = build() if clause is None else build().where(clause)
    if rule not in ("any", "none"):
        params = {**params, "visible_to": value}
    return session.connection().execute(statement, params)


#: The sort keys of a project list and their columns.
PROJECT_SORTS: dict[str, Any] = {
    "filed_on": ProjectRow.filed_on,
    "code": ProjectRow.code,
    "name": ProjectRow.name,
    "status": ProjectRow.status,
    "baseline_finish": ProjectRow.baseline_finish,
    "predicted_finish": ProjectRow.predicted_finish,
}


#: What a project's summary shows (项目概要, the API's project list and detail): the plain columns
#: it names and its JSON documents as their text — ``attributes_json``, ``form_json``,
#: ``finish_delays_json`` (a cast in SQL: the driver does not decode them, so an answer can pass
#: them on verbatim; decoding and encoding them again was a third of a list's CPU, issue 16).
SUMMARY_COLUMNS = (
    *(
        _projects_t.c[k]
        for k in (
            "id",
            "code",
            "name",
            "status",
            "version",
            "enterprise_id",
            "plot_code",
            "filed_on",
            "baseline_finish",
            "predicted_finish",
            "baseline_makespan",
            "serial_workdays",
            "agent_user_id",
        )
    ),
    cast(_projects_t.c.attributes, Text).label("attributes_json"),
    cast(_projects_t.c.form, Text).label("form_json"),
    cast(_projects_t.c.finish_delays, Text).label("finish_delays_json"),
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
    rows as :class:`Plain` objects of two columns, ``id`` and ``revision_`` (the project's
    revision, :func:`project_revision`), not ORM objects — for a list whose summaries are mostly
    kept under their revision (:mod:`api.answers`); :func:`plain_projects` reads the others.
    The statement reads the cache version too."""

    def query() -> Any:
        q = visible_projects_query(actor)
        if plain:
            q = q.with_only_columns(
                _projects_t.c.id,
                _revision_of_project().label("revision_"),
                versions.column().label("cache_version_"),
            )
        if status:
            q = q.where(ProjectRow.status == status)
        match = search_clause(paging.q, ProjectRow.code, ProjectRow.name)
        return q if match is None else q.where(match)

    # what visible_projects_query reads of the actor, the filters: the statement's key
    who = (actor.role, actor.enterprise_id, actor.department, actor.user_id)
    page = fetch_page(
        # plain rows: run on the connection, without the ORM's execution and loading (a read
        # has nothing to flush first)
        session.connection() if plain else session,
        query,
        paging,
        PROJECT_SORTS,
        tiebreak=ProjectRow.id,
        scalars=not plain,
        memo=("projects", who, status, paging.q, plain),
    )
    if plain:
        rows = Plain.rows(page.items)
        for p in rows:
            token = p.__dict__.pop("cache_version_")
        if rows:
            versions.remember(session, token)
        page = PageOf(items=rows, total=page.total, paging=page.paging)
    return page


@functools.cache
def _plain_projects_statement(dialect: str) -> Any:
    """:func:`plain_projects`'s statement on ``dialect`` (the ids as one parameter,
    :mod:`storage.idlists`), built once."""
    return (
        _with_enterprise_name(select(*SUMMARY_COLUMNS))
        .add_columns(_STEP_STATUSES, _revision_of_project().label("revision_"))
        .where(in_ids(_projects_t.c.id)[dialect])
    )


def plain_projects(session: Session, ids: Sequence[int]) -> dict[int, Plain]:
    """Projects ``ids`` as a list shows them, by id: :class:`Plain` rows of
    :data:`SUMMARY_COLUMNS`, ``enterprise_name``, ``step_counts`` (as :func:`step_counts`) and
    ``revision_`` — one statement.  No visibility check: the ids come from a page the actor was
    allowed to see (:func:`project_page`)."""
    conn = session.connection()
    dialect = conn.dialect.name
    result = conn.execute(_plain_projects_statement(dialect), {"ids": ids_value(dialect, ids)})
    out = {}
    for p in Plain.rows(result):
        p.step_counts = _counted(p.__dict__.pop("step_statuses"))
        out[p.id] = p
    return out


#: Step statuses as read → counted: the same few strings recur, a Counter each is slower.
_COUNTED: dict[str, dict[str, int]] = {}


def _counted(statuses: str | None) -> dict[str, int]:
    """Step statuses comma-separated (``"done,waiting,done"``) counted: ``{"done": 2, …}`` (a
    fresh dict each call)."""
    if not statuses:
        return {}
    counts = _COUNTED.get(statuses)
    if counts is None:
        if len(_COUNTED) >= 4096:
            _COUNTED.clear()
        counts = _COUNTED[statuses] = dict(Counter(statuses.split(",")))
    return dict(counts)


def _with_enterprise_name(q: Any) -> Any:
    """The plain project columns and ``enterprise_name``, the name of its enterprise (in the
    same statement)."""
    return q.add_columns(EnterpriseRow.name.label("enterprise_name")).outerjoin(
        EnterpriseRow, EnterpriseRow.id == ProjectRow.enterprise_id
    )


#: :func:`plain_project`'s statements, by what :func:`visible_projects_query` reads of the actor
#: (built once: building one costs about as much CPU as running it).
_PLAIN_PROJECT: dict[Any, Any] = {}


#: The statuses of a project's steps, comma-separated (string_agg / group_concat): its steps
#: counted in the statement that reads the project (:func:`plain_project`).
_STEP_STATUSES = (
    select(func.aggregate_strings(StepRow.status, literal_column("','")))
    .where(StepRow.project_id == ProjectRow.id)
    .scalar_subquery()
    .label("step_statuses")
)


def plain_project(session: Session, actor: Actor, project_id: int) -> Any:
    """:func:`get_project` for answers that only show the project: a :class:`Plain` row of
    :data:`SUMMARY_COLUMNS`, ``enterprise_name`` and ``step_counts`` (its steps by status, as
    :func:`step_counts`), no ORM object — one statement."""
    who = (actor.role, actor.enterprise_id, actor.department, actor.user_id)
    stmt = _PLAIN_PROJECT.get(who)
    if stmt is None:
        if len(_PLAIN_PROJECT) >= 1024:
            _PLAIN_PROJECT.clear()
        stmt = _PLAIN_PROJECT[who] = (
            _with_enterprise_name(visible_projects_query(actor).with_only_columns(*SUMMARY_COLUMNS))
            .add_columns(_STEP_STATUSES)
            .where(ProjectRow.id == bindparam("project_id"))
        )
    rows = Plain.rows(session.connection().execute(stmt, {"project_id": project_id}))
    if not rows:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    p = rows[0]
    p.step_counts = _counted(p.__dict__.pop("step_statuses"))
    return p


def _step_counts(where: Any) -> Any:
    return (
        select(_steps_t.c.project_id, _steps_t.c.status, func.count())
        .where(where)
        .group_by(_steps_t.c.project_id, _steps_t.c.status)
    )


_steps_t = StepRow.__table__
#: Each project's steps counted by status (for rows read without their ``step_counts``: the
#: filing's answer), built once per dialect, the ids in one parameter (:mod:`storage.idlists`).
_STEP_COUNTS = {
    dialect: _step_counts(clause) for dialect, clause in in_ids(_steps_t.c.project_id).items()
}


def step_counts(session: Session, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Project id → its steps counted by status (``{"done": 3, "waiting": 5}``), one statement.
    Runs on the session's connection: reads what is flushed (a read's session has nothing
    else)."""
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    conn = session.connection()
    dialect = conn.dialect.name
    # the rows fetched at once (iterating a result fetches them one by one)
    rows = conn.execute(_STEP_COUNTS[dialect], {"ids": ids_value(dialect, ids)}).all()
    for pid, status, n in rows:
        counts[pid][status] = n
    return counts


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
    return get_project_with(
        session, actor, project_id, (), lock=lock, whole=whole, baseline=baseline
    )[0]


def get_project_with(
    session: Session,
    actor: Actor,
    project_id: int,
    joined: Sequence[Callable[[Any], Any]],
    *,
    lock: bool = False,
    whole: bool = False,
    baseline: bool = False,
) -> Any:
    """:func:`get_project`'s statement with what ``joined`` adds to it (each takes the statement
    and returns it with its outer joins and labelled columns: a page's one-to-one neighbours of
    the project — its agent, its commitment — read with the project instead of one statement
    each).  The row: the project first, then those columns by their labels."""
    q = visible_projects_query(actor).where(ProjectRow.id == project_id)
    if baseline:
        q = q.options(undefer(ProjectRow.baseline))
    for join in joined:
        q = join(q)
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
    return row


_audit_t = AuditRow.__table__
_AUDITS: dict[str, Any] = {}  # by visibility rule (run_visible)


def _audit_statement() -> Any:
    # the project's row outer-joined: a visible project without entries still gives one row
    a = _audit_t.c
    return (
        select(
            a.id,
            a.at,
            a.actor,
            a.role,
            a.action,
            a.entity,
            a.entity_id,
            a.project_id,
            a.before,
            a.after,
        )
        .select_from(_projects_t.outerjoin(_audit_t, a.project_id == _projects_t.c.id))
        .where(_projects_t.c.id == bindparam("pid"))
        .order_by(a.id)
    )


def project_audit(session: Session, actor: Actor, project_id: int) -> list[Any]:
    """The project's audit trail (plain rows of :class:`~storage.audit.AuditRow`'s columns, by
    id) if the actor may see the project, else 'not found' (as :func:`get_project`): the check
    and the entries in one statement."""
    rows = run_visible(session, actor, _AUDITS, _audit_statement, {"pid": project_id}).all()
    if not rows:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    return rows if rows[0].id is not None else []  # the id of an entry is never null


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
_PLAN_PROJECT_COLUMNS = tuple(
    _projects_t.c[name]
    for name in (
        "id",
        "code",
        "name",
        "status",
        "filed_on",
        "baseline_finish",
        "baseline_makespan",
        "serial_workdays",
        "predicted_finish",
        "finish_delays",  # the plan on both clocks and whose the finish's delay is
        "enterprise_id",
        "agent_user_id",
        "catalog_id",
        "version",
    )
)
_PLAN_PROJECTS: dict[str, Any] = {}  # by visibility rule (run_visible)


_revisions_t = ProjectRevisionRow.__table__
_REVISIONS: dict[str, Any] = {}  # by visibility rule (run_visible)


def _revision_of_project() -> Any:
    """The revision of the projects row of the statement (0 without a row), as a column."""
    return func.coalesce(
        select(_revisions_t.c.revision)
        .where(_revisions_t.c.project_id == _projects_t.c.id)
        .scalar_subquery(),
        0,
    )


def _revision_statement() -> Any:
    return select(
        _revision_of_project().label("revision"),
        versions.column().label("cache_version_"),
    ).where(_projects_t.c.id == bindparam("pid"))


def project_revision(session: Session, actor: Actor, project_id: int) -> tuple[int, str | None]:
    """The project's revision (项目修订号, migration 0021) and the cache version, if ``actor``
    may see the project (visibility as :func:`get_project`; otherwise 'not found') — one
    statement of two narrow columns.  Whatever a project's answers are built from (its row,
    steps, tasks, deferrals, plan changes, audit entries, enterprise) moves the revision when it changes; the
    calendar, catalogue and departments move the cache version."""
    row = run_visible(session, actor, _REVISIONS, _revision_statement, {"pid": project_id}).first()
    if row is None:
        raise NotFoundError(f"项目 {project_id} 不存在", f"project {project_id} not found")
    versions.remember(session, row.cache_version_)
    return int(row.revision), row.cache_version_


def _plan_project_statement() -> Any:
    baseline = _projects_t.c.baseline
    return select(
        *_PLAN_PROJECT_COLUMNS,
        baseline["waived"].label("waived"),
        baseline["reduced_to_commitment"].label("reduced"),
        versions.column().label("cache_version_"),  # the calendar's lookup needs it next
    ).where(_projects_t.c.id == bindparam("pid"))


def plan_project(session: Session, actor: Actor, project_id: int) -> Plain:
    """The project as the live plan reads it (visibility as :func:`get_project`): its plain
    columns, the waived and reduced items of its baseline (``waived``,
    ``reduced_to_commitment``), and ``steps`` from :func:`plain_steps` — two statements; the
    first also reads the cache version (:func:`storage.versions.column`)."""
    row = run_visible(
        session, actor, _PLAN_PROJECTS, _plan_project_statement, {"pid": project_id}
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
#: What the live plan shows of a step, of a task and of a deferral (``id``: the rows' grouping).
_STEP_NAMES = (
    "id",
    "code",
    "name",
    "name_en",
    "kind",
    "mode",
    "stage",
    "departments",
    "days",
    "status",
    "requires",
    "clock_delays",
    "baseline_es",
    "baseline_ef",
    "forecast_es",
    "forecast_ef",
    "slack",
    "critical",
    "actual_start",
    "actual_end",
)
_TASK_NAMES = (
    "id",
    "department",
    "status",
    "days",
    "version",
    "ready_on",
    "accepted_on",
    "due_on",
    "decided_on",
    "stopped_since",
    "stopped_days",
    "stop_kind",
    "reviewer",
    "note",
)
_DEFERRAL_NAMES = ("material_code", "due_on", "supplied_on")
#: The steps in plan order, each row one of their tasks (by id) with one of its deferrals (by
#: id), outer-joined: one statement, not one per kind.  Built once: a statement built per
#: request costs as much CPU as running it.  Core tables, not ORM attributes, so that it runs on
#: the connection without the ORM's compile step.
_PLAIN_STEPS = (
    select(
        *(_steps_t.c[n] for n in _STEP_NAMES),
        *(_tasks_t.c[n].label(f"task_{n}") for n in _TASK_NAMES),
        *(_deferrals_t.c[n].label(f"deferral_{n}") for n in _DEFERRAL_NAMES),
    )
    .select_from(
        _steps_t.outerjoin(
            _tasks_t,
            and_(
                _tasks_t.c.step_id == _steps_t.c.id, _tasks_t.c.project_id == _steps_t.c.project_id
            ),
        ).outerjoin(_deferrals_t, _deferrals_t.c.task_id == _tasks_t.c.id)
    )
    .where(_steps_t.c.project_id == bindparam("pid"))
    .order_by(_steps_t.c.position, _steps_t.c.id, _tasks_t.c.id, _deferrals_t.c.id)
)


def plain_steps(session: Session, project_id: int) -> list[Plain]:
    """The project's steps in plan order, each with ``tasks`` (by id) and each task with
    ``deferrals`` (by id): one statement, plain rows.  For reads: it does not flush the
    session first."""
    rows = session.connection().execute(_PLAIN_STEPS, {"pid": project_id}).all()
    n_step, n_task = len(_STEP_NAMES), len(_STEP_NAMES) + len(_TASK_NAMES)
    new = Plain.__new__
    steps: list[Plain] = []
    step: Any = None
    task: Any = None
    for r in rows:
        if step is None or r[0] != step.id:
            step = new(Plain)
            step.__dict__.update(zip(_STEP_NAMES, r[:n_step], strict=True))
            step.tasks = []
            steps.append(step)
            task = None
        if r[n_step] is None:  # a step without tasks
            continue
        if task is None or r[n_step] != task.id:
            task = new(Plain)
            task.__dict__.update(zip(_TASK_NAMES, r[n_step:n_task], strict=True))
            task.deferrals = []
            step.tasks.append(task)
        if r[n_task] is not None:  # material_code: never null in a deferral
            deferral = new(Plain)
            deferral.__dict__.update(zip(_DEFERRAL_NAMES, r[n_task:], strict=True))
            task.deferrals.append(deferral)
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


_projects_t = ProjectRow.__table__
#: What a task's answer shows of its step and its project (not their documents: the plan's
#: delays, the filing form), with the prefixes their columns carry in :func:`plain_task`'s row.
_TASK_STEP_COLUMNS = tuple(
    _steps_t.c[k]
    for k in ("code", "name", "kind", "mode", "items", "requires", "critical", "slack")
)
_TASK_PROJECT_COLUMNS = tuple(
    _projects_t.c[k] for k in ("id", "code", "name", "attributes", "catalog_id")
)
_TASK_DEFERRAL_COLUMNS = tuple(
    _deferrals_t.c[k] for k in ("id", "material_code", "due_on", "supplied_on")
)


def _plain_task_statement(session: Session, actor: Actor) -> tuple[Any, bool]:
    """:func:`plain_task`'s statement (parameters ``tid``, and ``dept`` for a reviewer) and
    whether the actor sees every project's tasks of its kind (no per-row visibility test)."""
    extra = versions.columns(session)
    seen = actor.role == Role.REVIEWER or sees_every_project(actor)
    # a reviewer's and an all-seeing reader's statement is built once (without riders): building
    # it costs about what running it does
    key = actor.role == Role.REVIEWER if seen and len(extra) == 1 else None
    q = _PLAIN_TASK.get(key) if key is not None else None
    if q is not None:
        return q, seen
    q = (
        select(
            _tasks_t,
            *(c.label(f"step_{c.key}_") for c in _TASK_STEP_COLUMNS),
            *(c.label(f"project_{c.key}_") for c in _TASK_PROJECT_COLUMNS),
            *(c.label(f"deferral_{c.key}_") for c in _TASK_DEFERRAL_COLUMNS),
            *extra,
        )
        .select_from(
            _tasks_t.outerjoin(_steps_t, _steps_t.c.id == _tasks_t.c.step_id)
            .outerjoin(_projects_t, _projects_t.c.id == _steps_t.c.project_id)
            .outerjoin(_deferrals_t, _deferrals_t.c.task_id == _tasks_t.c.id)
        )
        .where(_tasks_t.c.id == bindparam("tid"))
        .order_by(_deferrals_t.c.id)
    )
    if actor.role == Role.REVIEWER:
        q = q.where(_tasks_t.c.department == bindparam("dept"))
    if not seen:  # whether the actor sees the task's project, in the same statement
        visible = visible_projects_query(actor).with_only_columns(ProjectRow.id)
        q = q.add_columns(_tasks_t.c.project_id.in_(visible).label("visible_"))
    if key is not None:
        _PLAIN_TASK[key] = q
    return q, seen


#: :func:`plain_task`'s statements built, by whether for a reviewer (else an all-seeing reader).
_PLAIN_TASK: dict[bool, Any] = {}


def plain_task(session: Session, actor: Actor, task_id: int) -> Plain:
    """:func:`get_task` for answers that only show the task (its visibility the same): a
    :class:`Plain` task with its ``deferrals`` (by id) and ``step``, the step with its
    ``project`` — the columns :func:`api.presenters.tasks.task_detail` reads, no ORM objects.
    One statement, as :func:`get_task`: the deferrals joined (a row each), and the cache
    version."""
    q, seen = _plain_task_statement(session, actor)
    params: dict[str, Any] = {"tid": task_id}
    if actor.role == Role.REVIEWER:
        params["dept"] = actor.department
    rows = session.execute(q, params).all()
    if not rows:
        raise NotFoundError(f"任务 {task_id} 不存在", f"task {task_id} not found")
    first = rows[0]._mapping
    task = Plain({c.key: first[c.key] for c in _tasks_t.c})
    if not seen and not first["visible_"]:  # as get_project tells it
        raise NotFoundError(
            f"项目 {task.project_id} 不存在", f"project {task.project_id} not found"
        )
    versions.remember_row(session, rows[0])
    task.step = step = Plain({c.key: first[f"step_{c.key}_"] for c in _TASK_STEP_COLUMNS})
    step.project = Plain({c.key: first[f"project_{c.key}_"] for c in _TASK_PROJECT_COLUMNS})
    task.deferrals = [
        Plain(
            {"task_id": task.id, **{c.key: m[f"deferral_{c.key}_"] for c in _TASK_DEFERRAL_COLUMNS}}
        )
        for m in (r._mapping for r in rows)
        if m["deferral_id_"] is not None
    ]
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


#: A plan's outline: its steps' code, prerequisites and items, in plan order (Core columns, no
#: step objects; read after an autoflush, as the relationship's lazy load was).
_PLAN_OUTLINE = (
    select(_steps_t.c.code, _steps_t.c.requires, _steps_t.c["items"])
    .where(_steps_t.c.project_id == bindparam("pid"))
    .order_by(_steps_t.c.position)
)


def _autoflush(session: Session) -> None:
    """What an ORM read does first (autoflush), before a Core read that would not."""
    if session.autoflush:
        session.flush()


def plan_outline(session: Session, project: ProjectRow) -> list[tuple[str, Any, Any]]:
    """``(code, requires, items)`` of every step of the project's plan (计划), in plan order:
    from its steps when they are loaded already, else one statement of those three columns — what
    :func:`later_certificates` and :func:`planned_certificates` read, without the ~60 step
    objects the ``steps`` relationship would load for them."""
    if "steps" in project.__dict__:  # loaded (e.g. ``get_project(whole=True)``)
        return [(s.code, s.requires, s.items) for s in project.steps]
    _autoflush(session)
    rows = session.connection().execute(_PLAN_OUTLINE, {"pid": project.id})
    return [tuple(r) for r in rows]  # type: ignore[misc]


def later_certificates(
    catalogue: Catalogue, outline: Sequence[tuple[str, Any, Any]], step: StepRow
) -> set[str]:
    """Certificates issued inside the plan (``outline``, :func:`plan_outline`) by a step that is
    *not* a prerequisite of ``step``: they cannot be asked of it (e.g. the piling part of
    桩基先行 comes before the planning permit its whole item needs)."""
    requires_of = {code: requires for code, requires, _ in outline}
    ancestors: set[str] = set()
    stack = list(step.requires)
    while stack:
        code = stack.pop()
        if code not in ancestors:
            ancestors.add(code)
            stack.extend(requires_of[code])
    later: set[str] = set()
    for code, _, items in outline:
        if code in ancestors or code == step.code:
            continue
        for item in items:
            later.update(o.code for o in catalogue.items[item].outputs)
    return later


#: Material states that do not supply the material (acceptance waits for them).
NOT_SUPPLIED = frozenset({"missing", "pending", "revoked"})
#: Material states the plan supplies by a certificate (never asked of the enterprise).
FROM_CERTIFICATES = frozenset({"certificate", "pending"})


def planned_certificates(
    catalogue: Catalogue, outline: Sequence[tuple[str, Any, Any]]
) -> dict[str, str]:
    """Certificate code → the code of the step of the plan (``outline``, :func:`plan_outline`)
    that issues it (the first one)."""
    out: dict[str, str] = {}
    for code, _, items in outline:
        for item in items:
            for o in catalogue.items[item].outputs:
                out.setdefault(o.code, code)
    return out


@dataclass(frozen=True)
class MaterialFacts:
    """What material status needs about a project, loaded once for all its steps."""

    catalogue: Catalogue
    certificates: dict[str, Any]  # CertificateRow, or a row of :data:`_STATUS_CERTIFICATE`
    uploads: dict[str, Any]  # MaterialRow, or a row of :data:`_STATUS_UPLOAD`


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


_certificates_t, _materials_t = CertificateRow.__table__, MaterialRow.__table__
#: What :func:`material_status` shows of a certificate and of an upload: Core columns, no
#: objects; read after an autoflush, as the ORM statements were).
_STATUS_CERTIFICATE = select(
    *(_certificates_t.c[k] for k in ("code", "id", "number", "status", "issued_on", "item_code"))
).where(_certificates_t.c.project_id == bindparam("pid"))
_STATUS_UPLOAD = select(
    *(_materials_t.c[k] for k in ("code", "id", "filename", "sha256", "size"))
).where(_materials_t.c.project_id == bindparam("pid"), _materials_t.c.current.is_(True))


def _status_facts(session: Session, project: ProjectRow) -> MaterialFacts:
    """:func:`material_facts` with only the columns :func:`material_status` shows (one step's
    status, e.g. a task's: the same two statements, plain rows)."""
    _autoflush(session)
    conn, params = session.connection(), {"pid": project.id}
    certificates = {c.code: c for c in conn.execute(_STATUS_CERTIFICATE, params)}
    uploads = {m.code: m for m in conn.execute(_STATUS_UPLOAD, params)}
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
    facts = facts or _status_facts(session, project)
    catalogue, certificates, uploads = facts.catalogue, facts.certificates, facts.uploads
    outline = plan_outline(session, project)
    later = later_certificates(catalogue, outline, step)
    planned = planned_certificates(catalogue, outline)
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
