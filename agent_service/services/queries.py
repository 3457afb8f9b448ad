"""Read models the agents' use cases share: the plan's steps as the agent reads them, the
materials, meetings and notes of a project, and brief rows of many projects at once.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, any_, bindparam, select
from sqlalchemy.orm import Session, selectinload

from agent_service.model import (
    ActionView,
    Contact,
    MaterialView,
    MeetingView,
    Note,
    StepView,
    TaskView,
)
from agent_service.orm import ChecklistNoteRow, MeetingActionRow, MeetingRow
from agent_service.services.common import FOLLOWED
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue
from approvals.orm import EnterpriseRow, ProjectRow, StepRow, TaskRow
from approvals.service import catalogue_version, departments
from approvals.services import queries
from storage import versions

# Bulk reads select plain columns of the tables (Core, not ORM entities): rows come back as
# tuples without the ORM's per-row processing.
_P = ProjectRow.__table__.c
_S = StepRow.__table__.c

# --- the plan as the agent reads it -------------------------------------------------------------


def catalogue_of(session: Session, catalog_id: int) -> Catalogue:
    """The catalogue version by id, parsed once per process (a stored version never changes:
    its SHA-256 names its content; see :func:`approvals.service.catalogue_version`)."""
    return catalogue_version(session, catalog_id)


def _outputs(catalogue: Catalogue, items: Sequence[str]) -> frozenset[str]:
    return frozenset(
        o.code for code in items if code in catalogue.items for o in catalogue.items[code].outputs
    )


def _dates(
    seq: Any,
    status: str,
    baseline: tuple[int, int],
    forecast: tuple[int | None, int | None],
    actual: tuple[date | None, date | None],
) -> tuple[date | None, date | None, date]:
    """(start, end, baseline end) of a step on the calendar: actual when known, else forecast."""
    b_es, b_ef = baseline
    f_es, f_ef = forecast
    start = actual[0] or (seq.date_of(max(f_es, 0)) if f_es is not None else None)
    if status == "done" and actual[1]:
        end: date | None = actual[1]
    elif f_ef is not None and f_es is not None:
        end = seq.date_of(max(f_ef - 1, f_es))
    else:
        end = None
    return start, end, seq.date_of(max(b_ef - 1, b_es))


def _on_both_clocks(seq: Any, b_es: int, found: dict[str, Any] | None) -> dict[str, Any]:
    """A step's end planned on both clocks and whose its delay is, when the project's
    activities are known (:mod:`approvals.clock_forecast`)."""
    if not found or found.get("plan_ef") is None:
        return {}
    plan_ef = int(found["plan_ef"])
    return {
        "plan_end": seq.date_of(max(plan_ef - 1, b_es)),
        "delays": {c: int(found.get(c) or 0) for c in ("department", "enterprise", "intermediary")},
    }


def _task_clock(t: TaskRow) -> wf.TaskClock:
    return wf.TaskClock(
        status=t.status,  # type: ignore[arg-type]
        days=t.days,
        ready_on=t.ready_on,
        accepted_on=t.accepted_on,
        due_on=t.due_on,
        decided_on=t.decided_on,
        stopped_since=t.stopped_since,
        stopped_days=t.stopped_days,
    )


def step_views(
    session: Session, project: ProjectRow, today: date, calendar: WorkCalendar
) -> list[StepView]:
    """The project's steps with dates, outputs and every task's clock (project loaded whole)."""
    catalogue = catalogue_of(session, project.catalog_id)
    seq = calendar.sequence(project.filed_on)
    out = []
    for s in project.steps:
        start, end, baseline_end = _dates(
            seq,
            s.status,
            (s.baseline_es, s.baseline_ef),
            (s.forecast_es, s.forecast_ef),
            (s.actual_start, s.actual_end),
        )
        out.append(
            StepView(
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                stage=s.stage,
                status=s.status,
                departments=tuple(s.departments),
                requires=tuple(s.requires),
                outputs=_outputs(catalogue, s.items),
                start=start,
                end=end,
                baseline_end=baseline_end,
                slack=s.slack,
                critical=s.critical,
                mode=s.mode,
                **_on_both_clocks(seq, s.baseline_es, s.clock_delays),
                tasks=tuple(
                    TaskView(
                        t.department,
                        t.status,
                        wf.clock_state(_task_clock(t), today, calendar, s.slack),
                        t.due_on,
                    )
                    for t in s.tasks
                ),
            )
        )
    return out


#: A step's plain columns as the agents' bulk reads take them (:func:`step_rows`).
_STEP_COLUMNS = (
    _S.id,
    _S.project_id,
    _S.code,
    _S.name,
    _S.name_en,
    _S.stage,
    _S.status,
    _S.requires,
    _S["items"],  # not _S.items: that is the column collection's own method
    _S.baseline_es,
    _S.baseline_ef,
    _S.forecast_es,
    _S.forecast_ef,
    _S.actual_start,
    _S.actual_end,
    _S.slack,
    _S.critical,
    _S.mode,
    _S.clock_delays,
)


def step_rows(session: Session, project_ids: Collection[int]) -> list[Any]:
    """Every step of the projects, in plan order, as plain rows (the columns of
    ``_STEP_COLUMNS``): one statement that the dashboard's step views, its slack alerts and the
    names of its alerts' steps all take from (:func:`step_views_bulk`,
    :func:`agent_service.services.alert_scan.collect_alerts`)."""
    if not project_ids:
        return []
    return list(
        session.execute(
            select(*_STEP_COLUMNS)
            .where(_S.project_id.in_(list(project_ids)))
            .order_by(_S.project_id, _S.position)
        ).all()
    )


def step_views_bulk(
    session: Session,
    projects: Sequence[ProjectRow | Any],
    calendar: WorkCalendar,
    rows: Sequence[Any] | None = None,
) -> dict[int, list[StepView]]:
    """Steps of many projects in one query, by project id — without their tasks and
    departments (what phases, milestones and dashboards need, not the checklist).  ``rows``:
    the projects' :func:`step_rows` when the caller read them already."""
    by_id = {p.id: p for p in projects}
    out: dict[int, list[StepView]] = {p.id: [] for p in projects}
    if not by_id:
        return out
    seqs: dict[date, Any] = {}
    catalogues = {cid: catalogue_of(session, cid) for cid in {p.catalog_id for p in projects}}
    if rows is None:
        rows = step_rows(session, list(by_id))
    for (
        _id,
        pid,
        code,
        name,
        name_en,
        stage,
        status,
        requires,
        items,
        b_es,
        b_ef,
        f_es,
        f_ef,
        a_start,
        a_end,
        slack,
        critical,
        mode,
        clock_delays,
    ) in rows:
        p = by_id.get(pid)
        if p is None:
            continue
        seq = seqs.get(p.filed_on) or seqs.setdefault(p.filed_on, calendar.sequence(p.filed_on))
        start, end, baseline_end = _dates(seq, status, (b_es, b_ef), (f_es, f_ef), (a_start, a_end))
        out[pid].append(
            StepView(
                code=code,
                name=name,
                name_en=name_en,
                stage=stage,
                status=status,
                requires=tuple(requires),
                outputs=_outputs(catalogues[p.catalog_id], items),
                start=start,
                end=end,
                baseline_end=baseline_end,
                slack=slack,
                critical=critical,
                mode=mode,
                **_on_both_clocks(seq, b_es, clock_delays),
            )
        )
    return out


def contacts(session: Session) -> dict[str, Contact]:
    """Every department's contact, by code."""
    return {
        d.code: Contact(d.code, d.name, d.name_en, d.contact_person, d.phone, d.address)
        for d in departments(session)
    }


def material_views(
    session: Session,
    project: ProjectRow,
    step: StepRow,
    facts: queries.MaterialFacts | None = None,
) -> list[MaterialView]:
    """``facts`` (:func:`approvals.services.queries.material_facts`) is read once when every
    step is listed, not once per step."""
    deferred: dict[str, date] = {}
    for t in step.tasks:
        for d in t.deferrals:
            if d.supplied_on is None:
                deferred[d.material_code] = min(d.due_on, deferred.get(d.material_code, d.due_on))
    return [
        MaterialView(
            m["code"],
            m["name"],
            m["name_en"] or "",
            m["state"],
            m["deferrable"],
            deferred.get(m["code"]) if m["state"] == "missing" else None,
        )
        for m in queries.material_status(session, project, step, facts)
    ]


def meetings_of(
    session: Session, project_ids: Collection[int]
) -> tuple[list[MeetingRow], list[MeetingActionRow]]:
    if not project_ids:
        return [], []
    meetings = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.project_id.in_(list(project_ids)))
        .options(selectinload(MeetingRow.attendees), selectinload(MeetingRow.decisions))
        .order_by(MeetingRow.held_on, MeetingRow.id)
    ).all()
    actions = session.scalars(
        select(MeetingActionRow)
        .where(MeetingActionRow.project_id.in_(list(project_ids)))
        .order_by(MeetingActionRow.due_on, MeetingActionRow.id)
    ).all()
    return list(meetings), list(actions)


def meetings_with_actions(
    session: Session, project_ids: Collection[int]
) -> tuple[list[MeetingRow], list[MeetingActionRow]]:
    """The projects' meetings (by day) and their follow-up actions (by due day) in one
    statement, meetings ⟕ actions — without attendees and decisions (what the dashboard shows;
    :func:`meetings_of` reads those too)."""
    if not project_ids:
        return [], []
    rows = session.execute(
        select(MeetingRow, MeetingActionRow)
        .outerjoin(MeetingActionRow, MeetingActionRow.meeting_id == MeetingRow.id)
        .where(MeetingRow.project_id.in_(list(project_ids)))
        .order_by(MeetingRow.held_on, MeetingRow.id, MeetingActionRow.id)
    ).all()
    meetings = list(dict.fromkeys(m for m, _ in rows))
    actions = sorted((a for _, a in rows if a is not None), key=lambda a: (a.due_on, a.id))
    return meetings, actions


def meeting_status(meeting: MeetingRow, actions: Sequence[MeetingActionRow]) -> str:
    """scheduled → held (minutes recorded) → closed (held, every follow-up action closed)."""
    if meeting.status == "held" and all(a.status == "closed" for a in actions):
        return "closed"
    return meeting.status


def meeting_views(
    meetings: Sequence[MeetingRow], actions: Sequence[MeetingActionRow]
) -> tuple[list[MeetingView], list[ActionView]]:
    by_meeting: dict[int, list[MeetingActionRow]] = {}
    for a in actions:
        by_meeting.setdefault(a.meeting_id, []).append(a)
    mviews = [
        MeetingView(
            m.id,
            m.title,
            m.held_on,
            meeting_status(m, by_meeting.get(m.id, [])),
            tuple(a.department for a in m.attendees),
            sum(1 for a in by_meeting.get(m.id, []) if a.status == "open"),
        )
        for m in meetings
    ]
    aviews = [
        ActionView(a.id, a.meeting_id, a.text, a.owner, a.due_on, a.status, a.closed_on)
        for a in actions
    ]
    return mviews, aviews


def notes_of(session: Session, project_id: int) -> dict[str, Note]:
    return {
        n.entry_key: Note(n.entry_key, n.note, n.done, n.done_on)
        for n in session.scalars(
            select(ChecklistNoteRow).where(ChecklistNoteRow.project_id == project_id)
        )
    }


# --- many projects at once (the scan, dashboards, digests) ----------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectBrief:
    """The columns of a project the scan and the summaries need."""

    id: int
    code: str
    name: str
    status: str
    filed_on: date
    agent_user_id: int | None
    catalog_id: int
    predicted_finish: date | None
    baseline_finish: date
    finish_delays: dict[str, Any] | None = None  # whose the finish's delay is (two clocks)


#: The columns of :class:`ProjectBrief`, in its order.
BRIEF_COLUMNS = (
    _P.id,
    _P.code,
    _P.name,
    _P.status,
    _P.filed_on,
    _P.agent_user_id,
    _P.catalog_id,
    _P.predicted_finish,
    _P.baseline_finish,
    _P.finish_delays,
)


def project_briefs(
    session: Session,
    *,
    project_ids: Collection[int] | None = None,
    agent_user_id: int | None = None,
    statuses: Sequence[str] = FOLLOWED,
    enterprise_names: dict[int, str | None] | None = None,
    cache_version: bool = False,
) -> dict[int, ProjectBrief]:
    """The projects' brief rows; with ``enterprise_names`` (a dict to fill) also each project's
    enterprise name (企业名称), read in the same statement; with ``cache_version`` also the
    cache version (:func:`storage.versions.column`), so that a cached lookup next (the working
    calendar) costs no statement of its own."""
    q = select(*BRIEF_COLUMNS).where(_P.status.in_(statuses))
    if cache_version:
        q = q.add_columns(versions.column())
    if project_ids is not None:
        q = q.where(_P.id.in_(list(project_ids)))
    if agent_user_id is not None:
        q = q.where(_P.agent_user_id == agent_user_id)
    if enterprise_names is not None:
        q = q.add_columns(EnterpriseRow.name).outerjoin(
            EnterpriseRow, EnterpriseRow.id == _P.enterprise_id
        )
    out: dict[int, ProjectBrief] = {}
    n = len(BRIEF_COLUMNS)
    for r in session.execute(q.order_by(_P.id)).all():
        out[r[0]] = ProjectBrief(*r[:n])
        extra = list(r[n:])
        if cache_version:
            versions.remember(session, extra.pop(0))
        if enterprise_names is not None:
            enterprise_names[r[0]] = extra.pop(0)
    return out


def step_names_of(session: Session, step_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """Step id → (code, name), by primary key: on PostgreSQL one ``= ANY(array)`` parameter
    (thousands of ``IN`` parameters cost more to send than the lookup), on SQLite ``IN`` in
    chunks below its limit of bound parameters."""
    ids = sorted(step_ids)
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        chunks = [_S.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))]
    else:
        chunks = [_S.id.in_(ids[i : i + 5000]) for i in range(0, len(ids), 5000)]
    out: dict[int, tuple[str, str]] = {}
    for where in chunks:
        out.update(
            (r[0], (r[1], r[2]))
            for r in session.execute(select(_S.id, _S.code, _S.name).where(where)).all()
        )
    return out


@lru_cache(maxsize=4096)
def parse_requires(document: str) -> tuple[str, ...]:
    """The prerequisites' codes of a step's ``requires`` as stored (JSON text).  Projects filed
    under the same catalogue share most of their plan, so the same texts come back again and
    again: parsed once each."""
    return tuple(json.loads(document))


def material_names_of(session: Session, catalog_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    out = {}
    for cid in set(catalog_ids):
        catalogue = catalogue_of(session, cid)
        names: dict[str, str] = {}
        for item in catalogue.items.values():
            for m in item.materials:
                names.setdefault(m.code, m.name)
        out[cid] = names
    return out
