"""The daily alert scan: every alert of the projects followed, computed set-based, and
stored once per day in the agents' inboxes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import String, cast, select
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
) -> list[Alert]:
    """Every alert of the projects followed (of ``project_ids`` only, when given), computed
    now, not stored.

    A few queries, each over plain columns and pre-filtered in SQL to the rows a rule could
    flag (plus the step names of the flagged tasks, by id); the rules of
    :mod:`agent_service.alerts` decide.  No query reads every project.
    """
    scope = _Projects(list(project_ids or ()), project_ids is not None)
    if scope.limited and not scope.ids:
        return []
    # The projects in review and their filing days.  The task and step queries below filter on
    # their own indexed columns and are checked against this map, not joined to the projects:
    # a join lets the planner walk every project's tasks and steps.
    filed_on: dict[int, date] = dict(
        session.execute(
            scope.scoped(select(_P.id, _P.filed_on).where(_P.status.in_(ACTIVE)), _P.id)
        ).all()
    )
    found = _clock_alerts(session, today, calendar, scope, filed_on)
    found += _slack_alerts(session, calendar, scope, filed_on)
    found += _deferral_alerts(session, today, calendar, scope, deferral_window)
    found += _action_alerts(session, today, scope)
    found += _checkpoint_alerts(session, today, calendar, scope, checkpoint_window, checkpoints)
    return found


def _clock_alerts(
    session: Session,
    today: date,
    calendar: WorkCalendar,
    scope: _Projects,
    filed_on: dict[int, date],
) -> list[Alert]:
    """Review clocks in warning or overdue (tasks in review due within the warning window).

    The steps' names are looked up by id afterwards (joining them would scan every step).
    A running clock's state depends on its status and due day only: that is all it reads.
    """
    dept_names = {d.code: d.name for d in departments(session)}
    bound = rules.window_end(calendar, today, wf.WARNING_DAYS)
    q = select(
        _T.id,
        _T.project_id,
        _T.step_id,
        _T.department,
        _T.days,
        _T.due_on,
        _T.stopped_days,
    ).where(_T.status == "in_review", _T.due_on <= bound)
    rows = [r for r in session.execute(scope.scoped(q, _T.project_id)).all() if r[1] in filed_on]
    step_names = step_names_of(session, {r[2] for r in rows})
    found = []
    for tid, pid, step_id, dept, days, due, stopped in rows:
        code, name = step_names[step_id]
        clock = wf.TaskClock("in_review", days, due_on=due, stopped_days=stopped)
        alert = rules.task_alert(
            pid, tid, code, name, dept_names.get(dept, dept), clock, today, calendar
        )
        if alert is not None:
            found.append(alert)
    return found


def _slack_alerts(
    session: Session, calendar: WorkCalendar, scope: _Projects, filed_on: dict[int, date]
) -> list[Alert]:
    """Slack used up (steps ready or under way, no slack left, slipped past the baseline).

    A step still waiting slips because a prerequisite does, reported while that one ran late
    (see agent_service.alerts); these rows are few.  ``requires`` is read as text and parsed
    here (once per distinct text), cheaper than the JSON type's processing.
    """
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
        _S.status.in_(["ready", "in_progress"]),
        _S.slack <= 0,
        _S.forecast_ef > _S.baseline_ef,
    )
    slack_rows: dict[int, list[rules.StepSlack]] = {}
    seqs: dict[date, Any] = {}
    for pid, code, name, status, slack, f_es, f_ef, b_ef, requires in session.execute(
        scope.scoped(q, _S.project_id)
    ).all():
        filed = filed_on.get(pid)
        if filed is None:
            continue  # not in review
        seq = seqs.get(filed) or seqs.setdefault(filed, calendar.sequence(filed))
        end = seq.date_of(max(f_ef - 1, f_es or 0))
        slack_rows.setdefault(pid, []).append(
            rules.StepSlack(code, name, status, slack, f_ef, b_ef, end, parse_requires(requires))
        )
    found: list[Alert] = []
    for pid, steps in slack_rows.items():
        found.extend(rules.slack_alerts(pid, steps))
    return found


def _deferral_alerts(
    session: Session, today: date, calendar: WorkCalendar, scope: _Projects, window: int
) -> list[Alert]:
    """容缺 materials falling due or overdue."""
    bound = rules.window_end(calendar, today, window)
    q = (
        select(_D.id, _D.material_code, _D.due_on, _T.project_id, _T.step_id, _P.catalog_id)
        .select_from(
            DeferralRow.__table__.join(TaskRow.__table__, _D.task_id == _T.id).join(
                ProjectRow.__table__, _T.project_id == _P.id
            )
        )
        .where(
            _D.supplied_on.is_(None),
            _D.due_on <= bound,
            _T.status.notin_(("rejected", "refused")),
            _P.status.in_(ACTIVE),
        )
    )
    deferrals = session.execute(scope.scoped(q, _T.project_id)).all()
    step_names = step_names_of(session, {r[4] for r in deferrals})
    names = material_names_of(session, {r[5] for r in deferrals})
    found = []
    for did, material, due, pid, step_id, catalog_id in deferrals:
        label = names[catalog_id].get(material)
        shown = f"{material}（{label}）" if label else material
        alert = rules.deferral_alert(
            pid, did, shown, step_names[step_id][0], due, None, today, calendar, window
        )
        if alert is not None:
            found.append(alert)
    return found


def _action_alerts(session: Session, today: date, scope: _Projects) -> list[Alert]:
    """Joint-meeting actions overdue."""
    q = (
        select(_A.id, _A.project_id, _A.text, _A.owner, _A.due_on)
        .select_from(MeetingActionRow.__table__.join(ProjectRow.__table__, _A.project_id == _P.id))
        .where(_A.status == "open", _A.due_on < today, _P.status.in_(FOLLOWED))
    )
    found = []
    for aid, pid, what, owner, due in session.execute(scope.scoped(q, _A.project_id)).all():
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
) -> list[Alert]:
    """Commitment checkpoints (and other packages' entries) coming."""
    ids = scope.ids
    if not scope.limited:
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
