"""The daily alert scan: every alert of the projects followed, computed set-based, and
stored once per day in the agents' inboxes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, String, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from agent_service import alerts as rules
from agent_service.model import Alert
from agent_service.orm import AlertRow, MeetingActionRow
from agent_service.ports import CheckpointSources, extra_entries
from agent_service.services.common import ACTIVE, FOLLOWED
from agent_service.services.queries import material_names_of, parse_requires, step_names_of
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.orm import DeferralRow, ProjectRow, StepRow, TaskRow
from approvals.service import departments
from storage.engine import begin_write

# Bulk reads select plain columns of the tables (Core, not ORM entities): rows come back as
# tuples without the ORM's per-row processing.
_P = ProjectRow.__table__.c
_S = StepRow.__table__.c
_T = TaskRow.__table__.c
_D = DeferralRow.__table__.c
_A = MeetingActionRow.__table__.c
#: The steps whose slack is watched (ready or under way).
_UNDER_WAY = ("ready", "in_progress")


@dataclass(frozen=True)
class _Projects:
    """The projects a scan looks at: all those followed, or ``ids`` only."""

    ids: list[int]
    limited: bool

    def scoped(self, q: Any, column: Any) -> Any:
        return q.where(column.in_(self.ids)) if self.limited else q


def collect_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    *,
    project_ids: Collection[int] | None = None,
    deferral_window: int = rules.DEFERRAL_WINDOW,
    checkpoint_window: int = rules.CHECKPOINT_WINDOW,
    checkpoints: CheckpointSources = (),
    projects: Mapping[int, tuple[str, date]] | None = None,
    steps: Sequence[Any] | None = None,
    actions: Sequence[MeetingActionRow] | None = None,
) -> list[Alert]:
    """Every alert of the projects followed (of ``project_ids`` only, when given), computed
    now, not stored.

    A few queries, each over plain columns and pre-filtered in SQL to the rows a rule could
    flag (plus the step names of the flagged tasks, by id); the rules of
    :mod:`agent_service.alerts` decide.  No query reads every project.

    What the caller read already is not read again: ``projects``, the status and filing day of
    every project followed (or of ``project_ids``); and for ``project_ids``, ``steps``, all
    their steps (:func:`agent_service.services.queries.step_rows`: the slack alerts and the
    alerts' step names come from them), and ``actions``, all their meetings' follow-up actions.
    """
    scope = _Projects(list(project_ids or ()), project_ids is not None)
    if scope.limited and not scope.ids:
        return []
    if (steps is not None or actions is not None) and (not scope.limited or projects is None):
        raise ValueError("steps and actions are passed for project_ids, with their projects")
    # The projects in review and their filing days.  The task and step queries below filter on
    # their own indexed columns and are checked against this map, not joined to the projects:
    # a join lets the planner walk every project's tasks and steps.
    if projects is None:
        filed_on: dict[int, date] = dict(
            session.execute(
                scope.scoped(select(_P.id, _P.filed_on).where(_P.status.in_(ACTIVE)), _P.id)
            ).all()
        )
    else:
        filed_on = {pid: filed for pid, (status, filed) in projects.items() if status in ACTIVE}
    step_names = None if steps is None else {s.id: (s.code, s.name) for s in steps}
    clocks, deferrals = _task_alerts(
        session, today, calendar, scope, filed_on, deferral_window, step_names
    )
    found = clocks
    found += _slack_alerts(session, calendar, scope, filed_on, steps)
    found += deferrals
    found += _action_alerts(session, today, scope, projects, actions)
    found += _checkpoint_alerts(
        session, today, calendar, scope, checkpoint_window, checkpoints, projects
    )
    return found


def _task_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    scope: _Projects,
    filed_on: dict[int, date],
    deferral_window: int,
    step_names: dict[int, tuple[str, str]] | None,
) -> tuple[list[Alert], list[Alert]]:
    """Review clocks in warning or overdue (tasks in review due within the warning window), and
    容缺 materials falling due or overdue — both read from the tasks, in one statement (the
    UNION ALL of the two pre-filtered reads; each keeps its own indexes).

    The steps' names are looked up by id afterwards (joining them would scan every step), or
    taken from ``step_names`` when the caller read the steps.  A running clock's state depends
    on its status and due day only: that is all it reads.
    """
    bound = rules.window_end(calendar, today, wf.WARNING_DAYS)
    deferral_bound = rules.window_end(calendar, today, deferral_window)
    no_text, no_int = cast(null(), String), cast(null(), Integer)
    clocks = select(
        literal_column("1", Integer).label("kind"),
        _T.id,
        _T.project_id,
        _T.step_id,
        _T.department,
        _T.days,
        _T.due_on,
        _T.stopped_days,
        no_text.label("material_code"),
        no_int.label("catalog_id"),
    ).where(_T.status == "in_review", _T.due_on <= bound)
    deferred = (
        select(
            literal_column("2", Integer),
            _D.id,
            _T.project_id,
            _T.step_id,
            no_text,
            no_int,
            _D.due_on,
            no_int,
            _D.material_code,
            _P.catalog_id,
        )
        .select_from(
            DeferralRow.__table__.join(TaskRow.__table__, _D.task_id == _T.id).join(
                ProjectRow.__table__, _T.project_id == _P.id
            )
        )
        .where(
            _D.supplied_on.is_(None),
            _D.due_on <= deferral_bound,
            _T.status.notin_(("rejected", "refused")),
            _P.status.in_(ACTIVE),
        )
    )
    rows = session.execute(
        union_all(scope.scoped(clocks, _T.project_id), scope.scoped(deferred, _T.project_id))
    ).all()
    tasks = [r for r in rows if r[0] == 1 and r[2] in filed_on]
    deferrals = [r for r in rows if r[0] == 2]
    if step_names is None:
        step_names = step_names_of(session, {r[3] for r in (*tasks, *deferrals)})
    clock_found = []
    if tasks:
        dept_names = {d.code: d.name for d in departments(session)}
        for _, tid, pid, step_id, dept, days, due, stopped, _m, _c in tasks:
            code, name = step_names[step_id]
            clock = wf.TaskClock("in_review", days, due_on=due, stopped_days=stopped)
            alert = rules.task_alert(
                pid, tid, code, name, dept_names.get(dept, dept), clock, today, calendar
            )
            if alert is not None:
                clock_found.append(alert)
    names = material_names_of(session, {r[9] for r in deferrals})
    deferral_found = []
    for _, did, pid, step_id, _d, _n, due, _s, material, catalog_id in deferrals:
        label = names[catalog_id].get(material)
        shown = f"{material}（{label}）" if label else material
        alert = rules.deferral_alert(
            pid, did, shown, step_names[step_id][0], due, None, today, calendar, deferral_window
        )
        if alert is not None:
            deferral_found.append(alert)
    return clock_found, deferral_found


def _slack_alerts(
    session: Session,
    calendar: WorkCalendar,
    scope: _Projects,
    filed_on: dict[int, date],
    steps: Sequence[Any] | None,
) -> list[Alert]:
    """Slack used up (steps ready or under way, no slack left, slipped past the baseline).

    A step still waiting slips because a prerequisite does, reported while that one ran late
    (see agent_service.alerts); these rows are few.  ``requires`` is read as text and parsed
    here (once per distinct text), cheaper than the JSON type's processing.  With ``steps``
    (every step of the projects, read by the caller) the same rows are picked from those.
    """
    if steps is None:
        q = select(
            _S.project_id,
            _S.code,
            _S.name,
            _S.status,
            _S.slack,
            _S.forecast_es,
            _S.forecast_ef,
            _S.baseline_ef,
            cast(_S.requires, String),
        ).where(
            _S.status.in_(_UNDER_WAY),
            _S.slack <= 0,
            _S.forecast_ef > _S.baseline_ef,
        )
        rows: Iterable[tuple[Any, ...]] = (
            (*r[:8], parse_requires(r[8]))
            for r in session.execute(scope.scoped(q, _S.project_id)).all()
        )
    else:
        rows = (
            (
                s.project_id,
                s.code,
                s.name,
                s.status,
                s.slack,
                s.forecast_es,
                s.forecast_ef,
                s.baseline_ef,
                tuple(s.requires),
            )
            for s in steps
            if s.status in _UNDER_WAY
            and s.slack is not None
            and s.slack <= 0
            and s.forecast_ef is not None
            and s.forecast_ef > s.baseline_ef
        )
    slack_rows: dict[int, list[rules.StepSlack]] = {}
    seqs: dict[date, Any] = {}
    for pid, code, name, status, slack, f_es, f_ef, b_ef, requires in rows:
        filed = filed_on.get(pid)
        if filed is None:
            continue  # not in review
        seq = seqs.get(filed) or seqs.setdefault(filed, calendar.sequence(filed))
        end = seq.date_of(max(f_ef - 1, f_es or 0))
        slack_rows.setdefault(pid, []).append(
            rules.StepSlack(code, name, status, slack, f_ef, b_ef, end, requires)
        )
    found: list[Alert] = []
    for pid, steps_ in slack_rows.items():
        found.extend(rules.slack_alerts(pid, steps_))
    return found


def _action_alerts(
    session: Session,
    today: date,
    scope: _Projects,
    projects: Mapping[int, tuple[str, date]] | None,
    actions: Sequence[MeetingActionRow] | None,
) -> list[Alert]:
    """Joint-meeting actions overdue (of ``actions`` when the caller read them)."""
    rows: Sequence[tuple[Any, ...]]
    if actions is None:
        q = (
            select(_A.id, _A.project_id, _A.text, _A.owner, _A.due_on)
            .select_from(
                MeetingActionRow.__table__.join(ProjectRow.__table__, _A.project_id == _P.id)
            )
            .where(_A.status == "open", _A.due_on < today, _P.status.in_(FOLLOWED))
        )
        rows = session.execute(scope.scoped(q, _A.project_id)).all()
    else:
        assert projects is not None
        rows = [
            (a.id, a.project_id, a.text, a.owner, a.due_on)
            for a in actions
            if a.status == "open"
            and a.due_on < today
            and a.project_id in projects
            and projects[a.project_id][0] in FOLLOWED
        ]
    found = []
    for aid, pid, what, owner, due in rows:
        alert = rules.action_alert(pid, aid, what, owner, due, "open", today)
        if alert is not None:
            found.append(alert)
    return found


def _checkpoint_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    scope: _Projects,
    window: int,
    checkpoints: CheckpointSources,
    projects: Mapping[int, tuple[str, date]] | None,
) -> list[Alert]:
    """Commitment checkpoints (and other packages' entries) coming."""
    ids = scope.ids
    if not scope.limited and projects is not None:
        ids = [pid for pid, (status, _) in projects.items() if status in FOLLOWED]
    elif not scope.limited:
        ids = list(session.scalars(select(_P.id).where(_P.status.in_(FOLLOWED))).all())
    found = []
    for pid, entries in extra_entries(checkpoints, session, ids, today).items():
        for x in entries:
            if x.kind != "checkpoint":
                continue
            alert = rules.checkpoint_alert(
                pid, x.key, x.title, x.due_on, x.done_on, today, calendar, window
            )
            if alert is not None:
                found.append(alert)
    return found


@dataclass
class ScanResult:
    """What a scan found: every alert of the day, how many were new, on how many projects."""

    on: date
    projects: int
    alerts: list[Alert] = field(default_factory=list)
    new: int = 0

    @property
    def at_risk(self) -> int:
        return len({a.project_id for a in self.alerts})


#: The inbox's columns as the scan writes them.
_ALERT_COLUMNS = (
    "project_id",
    "agent_user_id",
    "kind",
    "subject",
    "raised_on",
    "level",
    "title_zh",
    "title_en",
    "due_on",
    "created_at",
)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the day's new alerts; one that a concurrent scan stored meanwhile is skipped
    (``ON CONFLICT DO NOTHING`` on the per-day unique key).

    On PostgreSQL the rows are streamed with ``COPY`` into a temporary table and moved with one
    ``INSERT … SELECT``: an executemany sends one INSERT per row, and psycopg dumps big array
    parameters in Python — each several times slower for thousands of rows.
    """
    now = datetime.now(UTC)
    for r in rows:
        r.setdefault("created_at", now)
    if session.get_bind().dialect.name == "postgresql":
        table, names = AlertRow.__tablename__, ", ".join(_ALERT_COLUMNS)
        raw = session.connection().connection.dbapi_connection  # psycopg, in this transaction
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE {table}_new (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            with cur.copy(f"COPY {table}_new ({names}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(tuple(r[c] for c in _ALERT_COLUMNS))
            cur.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_new "
                "ON CONFLICT DO NOTHING"
            )
            cur.execute(f"DROP TABLE {table}_new")
        return
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(AlertRow.__table__).on_conflict_do_nothing()  # Core: no ORM per row
    for i in range(0, len(rows), 5000):
        session.execute(statement, rows[i : i + 5000])


def scan_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    *,
    deferral_window: int = rules.DEFERRAL_WINDOW,
    checkpoint_window: int = rules.CHECKPOINT_WINDOW,
    checkpoints: CheckpointSources = (),
) -> ScanResult:
    """The daily scan: raise today's alerts into the inboxes of the projects' agents.

    Idempotent: an alert is stored once per (project, kind, subject, day), so running the scan
    again the same day adds only what is new.  Set-based (see :func:`collect_alerts`).
    """
    begin_write(session)
    found = collect_alerts(
        session,
        today,
        calendar,
        deferral_window=deferral_window,
        checkpoint_window=checkpoint_window,
        checkpoints=checkpoints,
    )
    agent_of = dict(
        session.execute(select(_P.id, _P.agent_user_id).where(_P.status.in_(FOLLOWED))).all()
    )
    inbox_ = AlertRow.__table__.c
    known = set(
        session.execute(
            select(inbox_.project_id, inbox_.kind, inbox_.subject).where(inbox_.raised_on == today)
        ).all()
    )
    rows = []
    for a in found:
        key = (a.project_id, a.kind, a.subject)
        if key in known:
            continue
        known.add(key)
        rows.append(
            {
                "project_id": a.project_id,
                "agent_user_id": agent_of.get(a.project_id),
                "kind": a.kind,
                "subject": a.subject,
                "raised_on": today,
                "level": a.level,
                "title_zh": a.title.zh,
                "title_en": a.title.en,
                "due_on": a.due_on,
            }
        )
    if rows:
        _insert_ignoring_duplicates(session, rows)
    return ScanResult(today, len(agent_of), found, len(rows))
