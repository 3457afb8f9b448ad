"""Efficiency statistics (效能统计): per item, per department and for the administration, the
cases, approval working days (median, 90th percentile) against the committed and statutory
limits, acceptance waiting, on-time and overdue rates, 补正, clock stops and 好差评; per project,
赋码 → 施工许可 and approval working days against the reform's targets and what each mechanism
saved.

The figures come from compact columns each decision keeps current (:func:`record_decision`,
:func:`refresh_project`): the database groups tasks by item, department and working days and
answers a histogram; :mod:`approvals.efficiency` turns it into percentiles and rates.  A
reviewer sees its own department's figures (:attr:`~access.policy.Action.EFFICIENCY_READ`,
scoped); the administration and the regulators see everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, require, scoped
from approvals import efficiency as eff
from approvals.calendar import WorkCalendar
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import (
    CatalogItemRow,
    CorrectionRow,
    DeferralRow,
    ProjectRow,
    RatingRow,
    StepRow,
    TaskFigureKindRow,
    TaskFigureRow,
    TaskRow,
)
from approvals.service import departments
from approvals.services.queries import project_catalogue
from storage.audit import record

DECIDED = ("approved", "rejected")
#: How many ratings with comments (newest first) the statistics list.
COMMENTS_LIMIT = 200
#: How many projects the statistics list one by one (the figures count them all).
PROJECTS_LIMIT = 500


# --- keeping the compact columns current ---------------------------------------------------------


def record_acceptance(task: TaskRow, calendar: WorkCalendar) -> None:
    """受理: how long the application waited (ready → accepted, working days)."""
    if task.ready_on and task.accepted_on:
        task.wait_workdays = eff.waiting_workdays(calendar, task.ready_on, task.accepted_on)


def record_decision(session: Session, task: TaskRow, calendar: WorkCalendar) -> None:
    """准予 / 不予许可: the approval working days on the government's clock, and the task added
    once to its month's figures (:class:`~approvals.orm.TaskFigureRow`)."""
    if task.status not in DECIDED or task.decided_on is None or task.step_code is None:
        return
    if task.accepted_on:
        task.workdays = eff.approval_workdays(
            calendar, task.accepted_on, task.decided_on, task.stopped_days
        )
    rounds = session.scalar(_ROUNDS, {"task_id": task.id}) or 0
    deferrals = [(d.supplied_on or task.decided_on) for d in task.deferrals]
    figure = figure_of(
        task.decided_on,
        task.step_code,
        task.department,
        task.workdays,
        approved=task.status == "approved",
        on_time=task.due_on is None or task.decided_on <= task.due_on,
        wait=task.wait_workdays,
        stopped=task.stopped_days,
        rounds=int(rounds),
        deferred=len(deferrals),
        deferral_days=sum(
            max(calendar.workdays_between(task.accepted_on, end), 0)
            for end in deferrals
            if task.accepted_on and end
        ),
        step_id=task.step_id,
    )
    add_figures(session, [figure])
    project = session.get(ProjectRow, task.project_id)
    add_figures(
        session,
        [
            kind_of(
                figure,
                project.industry if project else None,
                project.zone_code if project else None,
            )
        ],
        TaskFigureKindRow,
    )


#: A task's 补正 rounds (built once: see :func:`_figures_upsert`).
_ROUNDS = (
    select(func.count())
    .select_from(CorrectionRow)
    .where(CorrectionRow.task_id == bindparam("task_id"))
)

_FIGURE_SUMS = (
    "cases",
    "approved",
    "on_time",
    "waited",
    "wait_total",
    "stopped_tasks",
    "stopped_total",
    "corrected_tasks",
    "correction_rounds",
    "deferred_materials",
    "deferral_days",
)


def figure_of(
    decided_on: date,
    step_code: str,
    department: str,
    workdays: int | None,
    *,
    approved: bool,
    on_time: bool,
    wait: int | None,
    stopped: int,
    rounds: int,
    deferred: int,
    deferral_days: int,
    step_id: int,
) -> dict[str, Any]:
    """One decided task as a row to add to :class:`~approvals.orm.TaskFigureRow` (also what the
    migration and the bench add up)."""
    return {
        "month": decided_on.replace(day=1),
        "step_code": step_code,
        "department": department,
        "workdays": -1 if workdays is None else workdays,
        "cases": 1,
        "approved": int(approved),
        "on_time": int(on_time),
        "waited": int(wait is not None),
        "wait_total": wait or 0,
        "stopped_tasks": int(stopped > 0),
        "stopped_total": stopped,
        "corrected_tasks": int(rounds > 0),
        "correction_rounds": rounds,
        "deferred_materials": deferred,
        "deferral_days": deferral_days,
        "step_id": step_id,
    }


def kind_of(figure: dict[str, Any], industry: str | None, zone: str | None) -> dict[str, Any]:
    """A row of :func:`figure_of` for :class:`~approvals.orm.TaskFigureKindRow`: keyed also by
    the project's industry (行业) and zone (片区), '' for none."""
    return {**figure, "industry": industry or "", "zone_code": zone or ""}


def _key_of(row: dict[str, Any]) -> tuple[Any, ...]:
    key = (row["month"], row["step_code"], row["department"], row["workdays"])
    return (*key, row["industry"], row["zone_code"]) if "industry" in row else key


def add_up(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of :func:`figure_of` (or :func:`kind_of`) summed by their key (month, item,
    department, working days; and industry and zone)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        key = _key_of(r)
        have = out.get(key)
        if have is None:
            out[key] = dict(r)
            continue
        for k in _FIGURE_SUMS:
            have[k] += r[k]
        have["step_id"] = min(have["step_id"], r["step_id"])
    return list(out.values())


def add_figures(
    session: Session, rows: list[dict[str, Any]], row_type: Any = TaskFigureRow
) -> None:
    """Add rows of :func:`figure_of` to the monthly figures (an upsert that adds, so concurrent
    decisions on other projects each count); rows of :func:`kind_of` to
    :class:`~approvals.orm.TaskFigureKindRow`."""
    if not rows:
        return
    session.execute(_figures_upsert(row_type, session.get_bind().dialect.name), add_up(rows))


#: The upserts of :func:`add_figures` by (row type, dialect): built once, not on each decision
#: (the ``excluded`` alias and the sums cost a decision more CPU than running the statement).
_UPSERTS: dict[tuple[Any, str], Any] = {}


def _figures_upsert(row_type: Any, dialect: str) -> Any:
    stmt = _UPSERTS.get((row_type, dialect))
    if stmt is not None:
        return stmt
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(row_type)
    table = row_type.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            **{k: table.c[k] + stmt.excluded[k] for k in _FIGURE_SUMS},
            "step_id": func.least(table.c.step_id, stmt.excluded.step_id)
            if dialect == "postgresql"
            else func.min(table.c.step_id, stmt.excluded.step_id),
        },
    )
    _UPSERTS[(row_type, dialect)] = stmt
    return stmt


def rebuild_figures(conn: Any, calendar: WorkCalendar, row_type: Any = TaskFigureKindRow) -> int:
    """Fill :class:`~approvals.orm.TaskFigureKindRow` (or :class:`~approvals.orm.TaskFigureRow`)
    afresh from the decided tasks (their stored working days), as the decisions would have
    added them up: what the migration that adds the table and the bench run.  Returns the
    number of rows."""
    from sqlalchemy import delete, insert

    t, p = TaskRow.__table__.c, ProjectRow.__table__.c
    if conn.dialect.name == "postgresql":
        month = cast(func.date_trunc("month", t.decided_on), Date)
    else:
        month = func.date(t.decided_on, "start of month")
    rounds = (
        select(CorrectionRow.task_id.label("task_id"), func.count().label("n"))
        .group_by(CorrectionRow.task_id)
        .subquery()
    )
    key = (
        month.label("month"),
        t.step_code,
        t.department,
        func.coalesce(t.workdays, -1).label("workdays"),
        func.coalesce(p.industry, "").label("industry"),
        func.coalesce(p.zone_code, "").label("zone_code"),
    )
    kind = row_type is TaskFigureKindRow
    key = key if kind else key[:4]
    width = len(key)
    decided = [
        t.status.in_(DECIDED),
        t.decided_on.is_not(None),
        t.step_code.is_not(None),
    ]
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in conn.execute(
        select(
            *key,
            func.count(),
            func.sum(case((t.status == "approved", 1), else_=0)),
            func.sum(case((or_(t.due_on.is_(None), t.decided_on <= t.due_on), 1), else_=0)),
            func.count(t.wait_workdays),
            func.coalesce(func.sum(t.wait_workdays), 0),
            func.sum(case((t.stopped_days > 0, 1), else_=0)),
            func.coalesce(func.sum(t.stopped_days), 0),
            func.count(rounds.c.task_id),
            func.coalesce(func.sum(rounds.c.n), 0),
            func.min(t.step_id),
        )
        .select_from(TaskRow.__table__)
        .join(ProjectRow.__table__, p.id == t.project_id)
        .outerjoin(rounds, rounds.c.task_id == t.id)
        .where(*decided)
        .group_by(*key)
    ):
        k, sums = tuple(r[:width]), r[width:]
        row = {
            "month": _as_date(r[0]),
            "step_code": r[1],
            "department": r[2],
            "workdays": int(r[3]),
            **{name: int(v or 0) for name, v in zip(_FIGURE_SUMS[:9], sums[:9], strict=True)},
            "deferred_materials": 0,
            "deferral_days": 0,
            "step_id": int(sums[9]),
        }
        out[k] = {**row, "industry": r[4], "zone_code": r[5]} if kind else row
    d = DeferralRow.__table__.c
    end = func.coalesce(d.supplied_on, t.decided_on)
    for r in conn.execute(
        select(*key, t.accepted_on, end, func.count())
        .select_from(TaskRow.__table__)
        .join(ProjectRow.__table__, p.id == t.project_id)
        .join(DeferralRow.__table__, d.task_id == t.id)
        .where(*decided)
        .group_by(*key, t.accepted_on, end)
    ):
        row = out[tuple(r[:width])]
        accepted, supplied, n = _as_date(r[width]), _as_date(r[width + 1]), int(r[width + 2])
        row["deferred_materials"] += n
        if accepted and supplied:
            row["deferral_days"] += n * max(calendar.workdays_between(accepted, supplied), 0)
    conn.execute(delete(row_type.__table__))
    rows = list(out.values())
    for i in range(0, len(rows), 20_000):
        conn.execute(insert(row_type.__table__), rows[i : i + 20_000])
    return len(rows)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def refresh_project(
    session: Session, project: ProjectRow, calendar: WorkCalendar, on: date
) -> eff.ProjectFacts:
    """A project's approval working days so far and its actual milestone dates, from its steps
    and tasks (already loaded by the decision that calls this)."""
    marks = project_catalogue(session, project).milestones
    dates = eff.milestone_dates(marks, ((s.items, s.status, s.actual_end) for s in project.steps))
    spans = [
        eff.TaskSpan(s.stage, t.accepted_on, t.decided_on, t.stopped_days)
        for s in project.steps
        for t in s.tasks
    ]
    facts = eff.ProjectFacts(
        approval_workdays=eff.project_approval_workdays(calendar, spans, on),
        coded_on=dates.get("project_code"),
        permit_on=dates.get("construction_permit"),
        completed_on=dates.get("completion_acceptance"),
    )
    project.approval_workdays = facts.approval_workdays
    project.coded_on, project.permit_on = facts.coded_on, facts.permit_on
    project.completed_on = facts.completed_on
    return facts


#: the plot registry's table, read by name only (the registry is above approvals): a plot's
#: zone (片区) when a project on it is filed
_PLOTS = table("landplots", column("code"), column("zone_code"))


def record_kind(session: Session, project: ProjectRow) -> None:
    """At filing: the project's industry (行业, its answer ``industry``) and the zone (片区) of its
    plot, which key its tasks' figures (:class:`~approvals.orm.TaskFigureKindRow`) and filter
    the statistics.  A plot moved to another zone later leaves its projects' figures where
    they were counted."""
    industry = (project.attributes or {}).get("industry")
    project.industry = str(industry) if industry not in (None, "") else None
    project.zone_code = (
        session.scalar(select(_PLOTS.c.zone_code).where(_PLOTS.c.code == project.plot_code))
        if project.plot_code
        else None
    )


def record_savings(project: ProjectRow, savings: dict[str, Any]) -> None:
    """At filing: what each mechanism of the baseline plan saved (working days off the finish)."""
    for key in ("waivers", "early_starts", "merges", "splits"):
        value = savings.get(key)
        workdays = getattr(value, "workdays", None)
        if workdays is None and isinstance(value, dict):
            workdays = value.get("workdays")
        setattr(project, f"saved_{key}", int(workdays or 0))


# --- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the statistics cover: decisions (and milestones) within ``start`` … ``end``
    (inclusive), optionally one department, the projects of one zone (片区: the zone of their
    plot when they were filed, :attr:`~approvals.orm.ProjectRow.zone_code`) and of one industry
    (the project's answer ``industry``, :attr:`~approvals.orm.ProjectRow.industry`)."""

    start: date
    end: date
    department: str | None = None
    zone: str | None = None
    industry: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ProjectError(
                f"统计期间无效：结束日期 {self.end} 早于开始日期 {self.start}",
                f"invalid period: end {self.end} is before start {self.start}",
            )


def month_period(month: str) -> tuple[date, date]:
    """``YYYY-MM`` → its first and last day.

    Raises
    ------
    ProjectError
        Not a month.
    """
    try:
        y, m = (int(x) for x in month.split("-"))
        first = date(y, m, 1)
    except (ValueError, TypeError):
        raise ProjectError(
            f"月份 '{month}' 格式不符（应为 YYYY-MM）", f"month '{month}' is not YYYY-MM"
        ) from None
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def scoped_filters(actor: Actor, filters: Filters) -> Filters:
    """The policy's scope: a reviewer sees its own department only (asking for another is
    refused, not silently narrowed)."""
    require(actor, Action.EFFICIENCY_READ)
    if not scoped(actor, Action.EFFICIENCY_READ):
        return filters
    own = actor.department
    if filters.department and filters.department != own:
        raise StatisticsForbidden(filters.department)
    return Filters(filters.start, filters.end, own, filters.zone, filters.industry)


class StatisticsForbidden(NotFoundError):
    """A reviewer asked for another department's figures (answered as not found, like any
    resource outside an actor's scope)."""

    def __init__(self, department: str) -> None:
        super().__init__(
            f"无权查看部门 {department} 的效能统计",
            f"no statistics of department {department} for you",
        )


def _project_conditions(f: Filters) -> list[Any]:
    out: list[Any] = []
    if f.zone:
        out.append(ProjectRow.zone_code == f.zone)
    if f.industry:
        out.append(ProjectRow.industry == f.industry)
    return out


def _task_conditions(f: Filters, start: date, end: date) -> list[Any]:
    """The decided tasks of ``start`` … ``end`` within ``f``'s department, zone and industry
    (the last two on :class:`~approvals.orm.ProjectRow`: join it when they are set)."""
    conds: list[Any] = [
        TaskRow.status.in_(DECIDED),
        TaskRow.decided_on >= start,
        TaskRow.decided_on <= end,
    ]
    if f.department:
        conds.append(TaskRow.department == f.department)
    return conds + _project_conditions(f)


def _tasks_from(stmt: Any, f: Filters) -> Any:
    """``stmt`` over the tasks, joined to their projects when a zone or an industry is asked
    for (by the primary key: the tasks of the period are found by ``decided_on`` first)."""
    if _project_conditions(f):
        return stmt.join(ProjectRow, ProjectRow.id == TaskRow.project_id)
    return stmt


def split_period(
    start: date, end: date
) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months within ``start`` … ``end`` (first and last day) and the days outside
    them (at most two spans: before the first whole month and after the last).

    >>> split_period(date(2025, 1, 15), date(2025, 3, 10))
    ((datetime.date(2025, 2, 1), datetime.date(2025, 2, 28)), [(datetime.date(2025, 1, 15), datetime.date(2025, 1, 31)), (datetime.date(2025, 3, 1), datetime.date(2025, 3, 10))])
    >>> split_period(date(2025, 1, 1), date(2025, 12, 31))
    ((datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)), [])
    >>> split_period(date(2025, 1, 2), date(2025, 1, 30))
    (None, [(datetime.date(2025, 1, 2), datetime.date(2025, 1, 30))])
    """
    first = start if start.day == 1 else _next_month(start)
    after = end + timedelta(days=1)
    stop = after if after.day == 1 else end.replace(day=1)  # the first day after whole months
    if first >= stop:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if stop <= end:
        edges.append((stop, end))
    return (first, stop - timedelta(days=1)), edges


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


# --- the statistics -----------------------------------------------------------------------------


@dataclass
class Statistics:
    """The figures of a period (see :func:`statistics`)."""

    filters: Filters
    overall: dict[str, Any]
    departments: list[dict[str, Any]]
    items: list[dict[str, Any]]
    comments: list[dict[str, Any]]
    projects: dict[str, Any] | None  # the administration's view only
    project_rows: list[dict[str, Any]] = field(default_factory=list)


def statistics(
    session: Session,
    actor: Actor,
    filters: Filters,
    calendar: WorkCalendar,
    *,
    from_tasks: bool = False,
) -> Statistics:
    """The efficiency statistics of a period, within the actor's scope.

    Whole months read the monthly figures the decisions added up, the days outside them the
    tasks; ``from_tasks`` reads every day from the tasks (what the tests compare with)."""
    f = scoped_filters(actor, filters)
    months, edges = (None, [(f.start, f.end)]) if from_tasks else split_period(f.start, f.end)
    if edges and session.get_bind().dialect.name == "postgresql":
        # the queries over the tasks are short but the planner's estimates over millions of
        # rows make PostgreSQL compile them (JIT): 1.5 s of a 2 s query over 20 days of tasks
        session.execute(text("SET LOCAL jit = off"))
    groups: list[tuple[Any, ...]] = []
    deferred_total = [0, 0]  # 容缺: deferred materials, working days the review ran meanwhile
    if months is not None:
        # whole months: the monthly figures the decisions added up (by industry and zone too
        # when either is asked for)
        groups += _figure_groups(session, f, *months, deferred_total)
    for start, end in edges:  # the days before and after them: the tasks themselves
        groups += _task_groups(session, f, start, end)
        materials, days = _deferrals(session, f, calendar, start, end)
        deferred_total[0] += materials
        deferred_total[1] += days

    # the names and limits of the items met: one step of each (its committed days) and the
    # catalogue's statutory limit
    sample_steps = {}
    for code, _d, _w, *_rest, step_id in groups:
        if code not in sample_steps or step_id < sample_steps[code]:
            sample_steps[code] = step_id
    meta: dict[str, tuple[str, str, int, int | None, int]] = {}
    if sample_steps:
        for code, name, name_en, days, stage, statutory in session.execute(
            select(
                StepRow.code,
                StepRow.name,
                StepRow.name_en,
                StepRow.days,
                StepRow.stage,
                CatalogItemRow.statutory_days,
            )
            .join(ProjectRow, ProjectRow.id == StepRow.project_id)
            .outerjoin(
                CatalogItemRow,
                and_(
                    CatalogItemRow.catalog_id == ProjectRow.catalog_id,
                    CatalogItemRow.code == StepRow.code,
                ),
            )
            .where(StepRow.id.in_(list(sample_steps.values())))
        ):
            meta[code] = (name, name_en or name, days, statutory, stage)

    overall = eff.Bucket()
    by_dept: dict[str, eff.Bucket] = {}
    by_item: dict[tuple[str, str], eff.Bucket] = {}
    for (
        code,
        dept,
        workdays,
        n,
        approved,
        ontime,
        waited,
        wait,
        stopped_n,
        stopped,
        corr_n,
        rounds,
        _,
    ) in groups:
        values = {
            "workdays": workdays,
            "count": int(n),
            "approved": int(approved or 0),
            "on_time": int(ontime or 0),
            "waited": int(waited or 0),
            "wait_total": int(wait or 0),
            "stopped_tasks": int(stopped_n or 0),
            "stopped_total": int(stopped or 0),
        }
        item_bucket = by_item.get((code, dept))
        if item_bucket is None:
            m = meta.get(code)
            item_bucket = by_item[(code, dept)] = eff.Bucket(
                committed_days=m[2] if m else None, statutory_days=m[3] if m else None
            )
        dept_bucket = by_dept.get(dept)
        if dept_bucket is None:
            dept_bucket = by_dept[dept] = eff.Bucket()
        for bucket in (overall, dept_bucket, item_bucket):
            bucket.add_group(**values)
            bucket.corrected_tasks += int(corr_n or 0)
            bucket.correction_rounds += int(rounds or 0)

    # 好差评 of the decisions of the period (whenever the rating was given), counted for every
    # department of the step
    rating_conds: list[Any] = [RatingRow.decided_on >= f.start, RatingRow.decided_on <= f.end]
    projects_conds = _project_conditions(f)
    if projects_conds:
        rating_conds.append(RatingRow.project_id.in_(select(ProjectRow.id).where(*projects_conds)))
    if f.department:  # the rating names the department ("zjj" or "zjj,rfb")
        rating_conds.append(
            (literal(",") + RatingRow.department_key + literal(",")).contains(f",{f.department},")
        )
    rating_groups = session.execute(
        select(RatingRow.step_code, RatingRow.department_key, RatingRow.score, func.count())
        .where(*rating_conds)
        .group_by(RatingRow.step_code, RatingRow.department_key, RatingRow.score)
    ).all()
    for step_code, key, score, n in rating_groups:
        depts = key.split(",") if key else []
        if f.department and f.department not in depts:
            continue
        overall.ratings[score] += int(n)
        for d in depts:
            if f.department and d != f.department:
                continue
            by_dept.setdefault(d, eff.Bucket()).ratings[score] += int(n)
            key = (step_code, d)
            if key in by_item:
                by_item[key].ratings[score] += int(n)
    # the comments and the bad ratings, newest first (a reviewer's: its department's)
    # newest first, walking the ratings by id: not through the decision-day index (SQLite
    # would read every rating of a year through it and sort them, 2 s instead of 0.01 s)
    decided = func.coalesce(RatingRow.decided_on, RatingRow.decided_on)
    comment_conds = [
        decided >= f.start,
        decided <= f.end,
        *rating_conds[2:],
        or_(RatingRow.comment != "", RatingRow.score <= 2),
    ]
    comment_rows = session.execute(
        select(
            RatingRow.id,
            ProjectRow.code,
            RatingRow.step_code,
            RatingRow.departments,
            RatingRow.score,
            RatingRow.comment,
            RatingRow.rated_at,
            RatingRow.follow_up_on,
            RatingRow.follow_up_by,
            RatingRow.follow_up_note,
        )
        .join(ProjectRow, ProjectRow.id == RatingRow.project_id)
        .where(*comment_conds)
        .order_by(RatingRow.id.desc())
        .limit(COMMENTS_LIMIT)
    ).all()
    comments: list[dict[str, Any]] = []
    for (
        rid,
        pcode,
        step_code,
        depts,
        score,
        comment,
        rated_at,
        fu_on,
        fu_by,
        fu_note,
    ) in comment_rows:
        depts = list(depts or [])
        if f.department and f.department not in depts:
            continue
        comments.append(
            {
                "id": rid,
                "project": pcode,
                "step": step_code,
                "departments": depts,
                "score": score,
                "comment": comment or "",
                "rated_on": rated_at.date().isoformat() if rated_at else None,
                "follow_up": follow_up_state(score, fu_on),
                "follow_up_on": fu_on.isoformat() if fu_on else None,
                "follow_up_by": fu_by,
                "follow_up_note": fu_note or "",
            }
        )

    names = {d.code: (d.name, d.name_en or d.name) for d in departments(session)}
    dept_rows = [
        {
            "department": d,
            "name": names.get(d, (d, d))[0],
            "name_en": names.get(d, (d, d))[1],
            **b.figures(),
        }
        for d, b in sorted(by_dept.items())
    ]
    item_rows = [
        {
            "item": code,
            "name": meta.get(code, (code, code))[0],
            "name_en": meta.get(code, (code, code, 0, None, 0))[1],
            "stage": meta[code][4] if code in meta else None,
            "department": d,
            "department_name": names.get(d, (d, d))[0],
            **b.figures(),
        }
        for (code, d), b in sorted(
            by_item.items(), key=lambda kv: (meta.get(kv[0][0], ("", "", 0, None, 99))[4], kv[0])
        )
    ]
    projects = None
    project_rows: list[dict[str, Any]] = []
    if not f.department:
        projects, project_rows = _project_statistics(session, f, calendar, deferred_total)
    return Statistics(f, overall.figures(), dept_rows, item_rows, comments, projects, project_rows)


def whole_months(f: Filters) -> bool:
    """Whether the monthly figures alone answer ``f`` (whole months; any filter)."""
    return not split_period(f.start, f.end)[1]


def _figure_groups(
    session: Session, f: Filters, start: date, end: date, deferred: list[int]
) -> list[tuple[Any, ...]]:
    """The whole months ``start`` … ``end`` from the monthly figures: the small table when no
    zone and no industry is asked for, else the one keyed by them (its indexes lead with the
    industry and the zone).  Adds the months' 容缺 to ``deferred``."""
    fig: Any = TaskFigureKindRow if (f.zone or f.industry) else TaskFigureRow
    conds: list[Any] = [fig.month >= start, fig.month <= end]
    if f.department:
        conds.append(fig.department == f.department)
    if f.industry:
        conds.append(fig.industry == f.industry)
    if f.zone:
        conds.append(fig.zone_code == f.zone)
    sums = [k for k in _FIGURE_SUMS if k not in ("deferred_materials", "deferral_days")]
    rows = session.execute(
        select(
            fig.step_code,
            fig.department,
            case((fig.workdays < 0, None), else_=fig.workdays),
            *(func.sum(getattr(fig, k)) for k in sums),
            func.min(fig.step_id),
            func.sum(fig.deferred_materials),
            func.sum(fig.deferral_days),
        )
        .where(*conds)
        .group_by(fig.step_code, fig.department, fig.workdays)
    ).all()
    out = []
    for r in rows:
        deferred[0] += int(r[-2] or 0)
        deferred[1] += int(r[-1] or 0)
        out.append(tuple(r[:-2]))
    # (code, dept, workdays, cases, approved, on_time, waited, wait, stopped_n, stopped, corr_n,
    #  rounds, step_id): the shape of the tasks' groups
    return out


def _task_groups(session: Session, f: Filters, start: date, end: date) -> list[tuple[Any, ...]]:
    """The days ``start`` … ``end`` (not whole months) from the tasks themselves, grouped as
    :func:`_figure_groups` answers."""
    on_time = case(
        (or_(TaskRow.due_on.is_(None), TaskRow.decided_on <= TaskRow.due_on), 1), else_=0
    )
    rounds = (
        select(func.count())
        .where(CorrectionRow.task_id == TaskRow.id)
        .correlate(TaskRow)
        .scalar_subquery()
    )
    inner = (
        _tasks_from(
            select(
                TaskRow.step_code.label("code"),
                TaskRow.department.label("dept"),
                TaskRow.workdays.label("workdays"),
                case((TaskRow.status == "approved", 1), else_=0).label("approved"),
                on_time.label("on_time"),
                TaskRow.wait_workdays.label("wait"),
                TaskRow.stopped_days.label("stopped"),
                rounds.label("rounds"),
                TaskRow.step_id.label("step_id"),
            ).select_from(TaskRow),
            f,
        )
        .where(*_task_conditions(f, start, end))
        .subquery()
    )
    t = inner.c
    rows = session.execute(
        select(
            t.code,
            t.dept,
            t.workdays,
            func.count(),
            func.sum(t.approved),
            func.sum(t.on_time),
            func.count(t.wait),
            func.coalesce(func.sum(t.wait), 0),
            func.sum(case((t.stopped > 0, 1), else_=0)),
            func.coalesce(func.sum(t.stopped), 0),
            func.sum(case((t.rounds > 0, 1), else_=0)),
            func.coalesce(func.sum(t.rounds), 0),
            func.min(t.step_id),
        ).group_by(t.code, t.dept, t.workdays)
    ).all()
    return [tuple(r) for r in rows]


def follow_up_state(score: int, followed_up_on: date | None) -> str:
    """``none`` (not a bad rating), ``pending`` (差评 awaiting follow-up) or ``done``."""
    if score > 2:
        return "none"
    return "done" if followed_up_on else "pending"


def _days_between(session: Session, a: Any, b: Any) -> Any:
    """Calendar days from ``a`` to ``b`` (two date columns) in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(b, Date) - cast(a, Date)
    return cast(func.julianday(b) - func.julianday(a), TaskRow.days.type)


def _project_statistics(
    session: Session, f: Filters, calendar: WorkCalendar, deferred: list[int] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Projects that reached 施工许可 or 竣工验收 within the period: 赋码 → 施工许可 calendar
    days, approval working days to 竣工验收, against the targets, and the mechanisms' savings."""
    permit_in = and_(ProjectRow.permit_on >= f.start, ProjectRow.permit_on <= f.end)
    done_in = and_(ProjectRow.completed_on >= f.start, ProjectRow.completed_on <= f.end)
    standard = case((ProjectRow.plot_code.is_not(None), 1), else_=0)
    permit_days = case(
        (
            and_(permit_in, ProjectRow.coded_on.is_not(None)),
            _days_between(session, ProjectRow.coded_on, ProjectRow.permit_on),
        ),
        else_=None,
    )
    done_days = case((done_in, ProjectRow.approval_workdays), else_=None)
    done_flag = case((done_in, 1), else_=0)
    conds = [or_(permit_in, done_in), *_project_conditions(f)]
    rows = session.execute(
        select(
            standard,
            permit_days,
            done_days,
            func.count(),
            func.sum(done_flag),
            func.sum(done_flag * ProjectRow.saved_waivers),
            func.sum(done_flag * ProjectRow.saved_early_starts),
            func.sum(done_flag * ProjectRow.saved_merges),
            func.sum(done_flag * ProjectRow.saved_splits),
            func.sum(case((ProjectRow.saved_waivers > 0, done_flag), else_=0)),
            func.sum(case((ProjectRow.saved_early_starts > 0, done_flag), else_=0)),
            func.sum(case((ProjectRow.saved_merges > 0, done_flag), else_=0)),
            func.sum(case((ProjectRow.saved_splits > 0, done_flag), else_=0)),
        )
        .where(*conds)
        .group_by(standard, permit_days, done_days)
    ).all()
    permit_hist = {0: {}, 1: {}}  # standard-plot flag → histogram
    done_hist: dict[int, dict[int, int]] = {0: {}, 1: {}}
    completed = 0
    saved = dict.fromkeys(("waivers", "early_starts", "merges", "splits"), 0)
    using = dict.fromkeys(saved, 0)
    for std, pdays, ddays, n, done_n, *sums in rows:
        std = int(std)
        if pdays is not None:
            eff.merge(permit_hist[std], {int(pdays): int(n)})
        if ddays is not None:
            eff.merge(done_hist[std], {int(ddays): int(n)})
        completed += int(done_n or 0)
        for k, v in zip(saved, sums[:4], strict=True):
            saved[k] += int(v or 0)
        for k, v in zip(using, sums[4:], strict=True):
            using[k] += int(v or 0)

    # 容缺: tasks accepted with deferred materials in the period; the review ran while the
    # enterprise gathered them (working days from acceptance to supply, or to the decision)
    if deferred is not None:  # added up with the tasks' figures
        deferred_materials, deferral_days = deferred
    else:
        deferred_materials, deferral_days = _deferrals(session, f, calendar, f.start, f.end)
    saved["deferrals"] = deferral_days
    using["deferrals"] = deferred_materials

    def side(hist: dict[int, int], target: int) -> dict[str, Any]:
        total = sum(hist.values())
        within = sum(n for v, n in hist.items() if v <= target)
        return {
            "count": total,
            "median": eff.percentile(hist, 0.5),
            "p90": eff.percentile(hist, 0.9),
            "max": max(hist) if hist else None,
            "target": target,
            "within": within,
            "within_rate": eff.rate(within, total),
            "histogram": [[v, n] for v, n in sorted(hist.items())],
        }

    figures = {
        "completed": completed,
        "code_to_permit": {
            "standard": side(permit_hist[1], eff.TARGET_CODE_TO_PERMIT_DAYS),
            "other": side(permit_hist[0], eff.TARGET_CODE_TO_PERMIT_DAYS),
        },
        "approval_to_completion": {
            "standard": side(done_hist[1], eff.TARGET_APPROVAL_WORKDAYS),
            "other": side(done_hist[0], eff.TARGET_APPROVAL_WORKDAYS),
            "all": side(eff.merge(dict(done_hist[0]), done_hist[1]), eff.TARGET_APPROVAL_WORKDAYS),
        },
        "mechanisms": [
            {
                "mechanism": k,
                "name": eff.MECHANISMS[k][0],
                "name_en": eff.MECHANISMS[k][1],
                "saved_workdays": saved[k],
                "uses": using[k],
            }
            for k in eff.MECHANISMS
        ],
    }
    listed = session.execute(
        select(
            ProjectRow.id,
            ProjectRow.code,
            ProjectRow.name,
            ProjectRow.plot_code,
            ProjectRow.coded_on,
            ProjectRow.permit_on,
            ProjectRow.completed_on,
            ProjectRow.approval_workdays,
            ProjectRow.saved_waivers,
            ProjectRow.saved_early_starts,
            ProjectRow.saved_merges,
            ProjectRow.saved_splits,
        )
        .where(*conds)
        .order_by(ProjectRow.id.desc())
        .limit(PROJECTS_LIMIT)
    ).all()
    project_rows = [
        {
            "id": pid,
            "code": code,
            "name": name,
            "standard_plot": plot is not None,
            "coded_on": coded.isoformat() if coded else None,
            "permit_on": permit.isoformat() if permit else None,
            "completed_on": done.isoformat() if done else None,
            "days_code_to_permit": eff.code_to_permit_days(coded, permit),
            "within_permit_target": (
                eff.code_to_permit_days(coded, permit) <= eff.TARGET_CODE_TO_PERMIT_DAYS  # type: ignore[operator]
                if coded and permit
                else None
            ),
            "approval_workdays": aw if done else None,
            "within_approval_target": (aw <= eff.TARGET_APPROVAL_WORKDAYS)
            if done and aw is not None
            else None,
            "saved_waivers": sw,
            "saved_early_starts": se,
            "saved_merges": sm,
            "saved_splits": ss,
        }
        for pid, code, name, plot, coded, permit, done, aw, sw, se, sm, ss in listed
    ]
    return figures, project_rows


def _deferrals(
    session: Session, f: Filters, calendar: WorkCalendar, start: date, end: date
) -> tuple[int, int]:
    """容缺 of the tasks decided in ``start`` … ``end``: deferred materials, and the working
    days the review ran while the enterprise gathered them (acceptance → supply, or the
    decision)."""
    tconds = _task_conditions(f, start, end)
    stmt = _tasks_from(
        select(
            TaskRow.accepted_on,
            func.coalesce(DeferralRow.supplied_on, TaskRow.decided_on),
            func.count(),
            func.count(func.distinct(TaskRow.id)),
        )
        .select_from(TaskRow)
        .join(DeferralRow, DeferralRow.task_id == TaskRow.id),
        f,
    )
    pairs = session.execute(
        stmt.where(*tconds).group_by(
            TaskRow.accepted_on, func.coalesce(DeferralRow.supplied_on, TaskRow.decided_on)
        )
    ).all()
    deferral_days = 0
    deferred_materials = 0
    for accepted, supplied, n, _tasks in pairs:
        deferred_materials += int(n)
        if accepted and supplied:
            deferral_days += int(n) * max(calendar.workdays_between(accepted, supplied), 0)
    return deferred_materials, deferral_days


# --- 差评 follow-up -----------------------------------------------------------------------------


def follow_up_rating(
    session: Session, actor: Actor, rating_id: int, note: str, on: date
) -> RatingRow:
    """Record the follow-up (整改回访) of a bad rating: the centre, or a reviewer of a department
    the rating names.

    Raises
    ------
    NotFoundError
        No such rating, or one the actor may not see.
    ProjectError
        Not a bad rating, an empty note, or followed up already.
    """
    require(actor, Action.EFFICIENCY_READ)
    row = session.get(RatingRow, rating_id)
    if row is None or (
        scoped(actor, Action.EFFICIENCY_READ) and actor.department not in (row.departments or [])
    ):
        raise NotFoundError(f"评价 {rating_id} 不存在", f"rating {rating_id} not found")
    if row.score > 2:
        raise ProjectError(
            "只有差评（1–2 分）需要整改回访", "only bad ratings (1–2) are followed up"
        )
    if not note.strip():
        raise ProjectError("请填写回访情况（note）", "describe the follow-up (note)")
    if row.follow_up_on is not None:
        raise ProjectError("该差评已回访", "this rating was followed up already")
    row.follow_up_on, row.follow_up_by, row.follow_up_note = on, actor.username, note.strip()
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="rating.follow_up",
        entity="rating",
        entity_id=row.id,
        project_id=row.project_id,
        after={"note": row.follow_up_note, "on": on.isoformat()},
    )
    return row


def periods(today: date, count: int = 12) -> list[str]:
    """The last ``count`` months (``YYYY-MM``), newest first, for the period selector.

    >>> periods(date(2026, 2, 10), 3)
    ['2026-02', '2026-01', '2025-12']
    """
    out, y, m = [], today.year, today.month
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def flat_rows(stats: Statistics, lang: str = "zh") -> dict[str, list[list[Any]]]:
    """The tables of the statistics as rows (a header first), for the CSV and Excel exports."""
    en = lang == "en"

    def pct(v: float | None) -> Any:
        return "" if v is None else round(v * 100, 1)

    def opt(v: Any) -> Any:
        return "" if v is None else v

    head = (
        [
            "cases",
            "approved",
            "rejected",
            "median working days",
            "P90 working days",
            "committed limit",
            "statutory limit",
            "within committed %",
            "within statutory %",
            "on time %",
            "overdue %",
            "mean wait (working days)",
            "补正 rate %",
            "补正 rounds",
            "clock-stop tasks",
            "clock-stop working days",
            "ratings 1–5",
            "average rating",
            "bad ratings",
        ]
        if en
        else [
            "办件量",
            "准予",
            "不予许可",
            "审批用时中位数（工作日）",
            "90分位用时（工作日）",
            "承诺时限",
            "法定时限",
            "承诺时限内办结率%",
            "法定时限内办结率%",
            "按期办结率%",
            "超期率%",
            "平均受理等待（工作日）",
            "补正率%",
            "补正次数",
            "停止计时件数",
            "停止计时天数（工作日）",
            "好差评（1–5分）",
            "平均评分",
            "差评数",
        ]
    )

    def figures(r: dict[str, Any]) -> list[Any]:
        return [
            r["cases"],
            r["approved"],
            r["rejected"],
            opt(r["median_workdays"]),
            opt(r["p90_workdays"]),
            opt(r["committed_days"]),
            opt(r["statutory_days"]),
            pct(r["within_committed_rate"]),
            pct(r["within_statutory_rate"]),
            pct(r["on_time_rate"]),
            pct(r["overdue_rate"]),
            opt(r["mean_wait_workdays"]),
            pct(r["correction_rate"]),
            r["correction_rounds"],
            r["stopped_tasks"],
            r["stopped_days"],
            "/".join(str(n) for n in r["ratings"]),
            opt(r["rating_average"]),
            r["bad_ratings"],
        ]

    out: dict[str, list[list[Any]]] = {
        "departments": [
            (["department code", "department"] if en else ["部门代码", "部门"]) + head,
            *[
                [r["department"], r["name_en"] if en else r["name"], *figures(r)]
                for r in stats.departments
            ],
            (["", "total"] if en else ["", "合计"]) + figures(stats.overall),
        ],
        "items": [
            (
                ["item", "name", "stage", "department"]
                if en
                else ["事项编码", "事项名称", "阶段", "部门"]
            )
            + head,
            *[
                [
                    r["item"],
                    r["name_en"] if en else r["name"],
                    opt(r["stage"]),
                    r["department_name"],
                    *figures(r),
                ]
                for r in stats.items
            ],
        ],
    }
    if stats.projects is not None:
        out["projects"] = [
            [
                "project code",
                "project",
                "standard plot",
                "赋码",
                "施工许可",
                "竣工验收",
                "days 赋码→施工许可",
                "within 100 days",
                "approval working days",
                "within 120",
                "saved: waivers",
                "saved: early starts",
                "saved: merges",
                "saved: splits",
            ]
            if en
            else [
                "项目代码",
                "项目名称",
                "标准地",
                "赋码日期",
                "施工许可日期",
                "竣工验收日期",
                "赋码至施工许可（自然日）",
                "≤100天",
                "审批用时（工作日）",
                "≤120个工作日",
                "区域评价节省",
                "提前介入节省",
                "合并审查节省",
                "分步审批节省",
            ],
            *[
                [
                    p["code"],
                    p["name"],
                    yes(p["standard_plot"], en),
                    opt(p["coded_on"]),
                    opt(p["permit_on"]),
                    opt(p["completed_on"]),
                    opt(p["days_code_to_permit"]),
                    yes(p["within_permit_target"], en),
                    opt(p["approval_workdays"]),
                    yes(p["within_approval_target"], en),
                    p["saved_waivers"],
                    p["saved_early_starts"],
                    p["saved_merges"],
                    p["saved_splits"],
                ]
                for p in stats.project_rows
            ],
        ]
        out["mechanisms"] = [
            ["mechanism", "uses", "working days saved"]
            if en
            else ["改革机制", "使用次数", "节省工作日"],
            *[
                [m["name_en"] if en else m["name"], m["uses"], m["saved_workdays"]]
                for m in stats.projects["mechanisms"]
            ],
        ]
    out["ratings"] = [
        ["project", "item", "departments", "score", "comment", "rated on", "follow-up"]
        if en
        else ["项目代码", "事项", "部门", "评分", "评价内容", "评价日期", "差评回访"],
        *[
            [
                c["project"],
                c["step"],
                "、".join(c["departments"]),
                c["score"],
                c["comment"],
                opt(c["rated_on"]),
                follow_up_label(c["follow_up"], en),
            ]
            for c in stats.comments
        ],
    ]
    return out


def yes(v: bool | None, en: bool) -> str:
    if v is None:
        return ""
    return ("yes" if v else "no") if en else ("是" if v else "否")


FOLLOW_UP_LABELS = {
    "none": ("—", "—"),
    "pending": ("待回访", "pending"),
    "done": ("已回访", "done"),
}


def follow_up_label(state: str, en: bool = False) -> str:
    zh, e = FOLLOW_UP_LABELS.get(state, (state, state))
    return e if en else zh
