"""The enterprise's own clock and the intermediaries (企业自身用时、中介服务) on live projects.

Every use case of issue 17's two clocks after filing lives here:

- at filing, :func:`add_activities` stores the project's enterprise and intermediary activities
  from the two-clock plan, apart from the review steps (no department task, worklist, capacity
  or count ever sees them);
- the enterprise reports its own progress (:func:`report_progress`: design done, construction
  started / finished) and a delay on its side is shown as its own (:func:`project_activities`);
- the administrator registers intermediary organisations with the services they may provide and
  their committed days (:func:`register_intermediary`);
- the enterprise picks one for each intermediary activity in the 中介超市 (:func:`offers`,
  :func:`choose`) and rates it after delivery (:func:`rate`);
- the intermediary sees only the activities it was chosen for (:func:`my_activities`,
  :func:`my_activity`), uploads its report (:func:`upload_report`, stored like a material) and
  delivers (:func:`deliver`); its time is measured like a department's
  (:func:`approvals.activities.service_time`).

Who may do what is the access policy's answer (:attr:`Action.ACTIVITY_REPORT`,
:attr:`Action.INTERMEDIARY_CHOOSE`, :attr:`Action.INTERMEDIARY_MANAGE`,
:attr:`Action.INTERMEDIARY_READ`, :attr:`Action.INTERMEDIARY_WORK`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from access.actor import SYSTEM, Actor, Role
from access.policy import Action, can, require, scoped
from approvals import activities as act
from approvals import clock_forecast as cf
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue
from approvals.errors import AccessDenied, NotFoundError, ProjectError
from approvals.graph import Mechanisms
from approvals.orm import (
    ActivitySupervisionRow,
    IntermediaryRow,
    MaterialRow,
    ProjectActivityRow,
    ProjectRow,
)
from approvals.planning import plan
from approvals.project import Project
from approvals.services import notices
from approvals.services.common import iso
from approvals.services.materials import checked_file, store_file
from approvals.services.queries import get_project
from approvals.services.ratings import RATING_LABELS
from i18n import Conflict, Malformed
from storage.audit import record
from storage.paging import PageOf, Paging, fetch_page, search_clause

_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")


class IntermediaryError(ProjectError):
    """An intermediary's registration or a choice refused; the message names the field."""


class ActivityConflict(Conflict):
    """The activity is not in a state for this (already chosen, rated, delivered)."""


def _label(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


# --- filing ----------------------------------------------------------------------------------


def _graph_of(both: Any) -> tuple[list[Any], dict[str, dict[str, int]]]:
    """The two-clock plan's activities, and for each the review steps that wait for it."""
    acts = [x for x in both.items if x.owner != "review"]
    codes = {x.code for x in acts}
    required_by: dict[str, dict[str, int]] = {c: {} for c in codes}
    for x in both.items:
        if x.owner == "review":
            for p, lead in x.requires.items():
                if p in codes:
                    required_by[p][x.code] = lead
    return acts, required_by


def add_activities(
    session: Session,
    project: ProjectRow,
    catalogue: Catalogue,
    domain: Project,
    calendar: WorkCalendar,
    filed_on: date,
) -> list[ProjectActivityRow]:
    """Store the project's enterprise and intermediary activities with their planned dates from
    the two-clock plan, and their place in its graph (prerequisites, the review steps waiting
    for them); nothing when the catalogue has no such activities."""
    if not catalogue.has_activities:
        return []
    both = plan(catalogue, domain, calendar, filed_on, Mechanisms(), measure_savings=False)
    acts, required_by = _graph_of(both)
    rows = [
        ProjectActivityRow(
            project_id=project.id,
            code=i.code,
            name=i.name,
            name_en=i.name_en,
            owner=i.owner,
            unit=i.unit,
            days=i.days,
            stage=i.stage,
            position=position,
            planned_start=i.start_date,
            planned_end=i.end_date,
            status="not_started",
            rating_comment="",
            requires=dict(i.requires),
            required_by=required_by[i.code],
        )
        for position, i in enumerate(acts)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def stored_domain(session: Session, project: ProjectRow, plots: Any = None) -> Project:
    """The project as the planner saw it at filing, from what is stored: its answers, its plot's
    zone's regional assessments (``plots``: the plot registry) or those it declared."""
    from approvals.services.filing import assessments_for

    assessments = assessments_for(
        session, project.plot_code, project.regional_assessments or (), project.filed_on, plots
    )
    return Project(
        dict(project.attributes),
        assessments,
        name=project.name,
        start_date=project.filed_on,
        plot=project.plot_code,
    )


def backfill_activities(
    session: Session, calendar: WorkCalendar, today: date, plots: Any = None
) -> int:
    """补录: give every project filed before the two clocks were kept its activities (planned
    on the two-clock plan of its own catalogue version, from its stored answers) and every
    activity its place in the graph, then re-plan the project on both clocks.  Idempotent:
    a project whose activities and graph are stored is left alone.  Returns how many projects
    were filled."""
    from approvals.services.progress import replan
    from approvals.services.queries import project_catalogue

    stored = session.execute(
        select(ProjectActivityRow.project_id, ProjectActivityRow.requires)
    ).all()
    with_rows = {pid for pid, _ in stored}
    missing_graph = {pid for pid, requires in stored if requires is None}
    filled = 0
    for project in session.scalars(select(ProjectRow).order_by(ProjectRow.id)):
        if project.id in with_rows and project.id not in missing_graph:
            continue
        catalogue = project_catalogue(session, project)
        if not catalogue.has_activities:
            continue
        domain = stored_domain(session, project, plots)
        if project.id not in with_rows:
            if not add_activities(session, project, catalogue, domain, calendar, project.filed_on):
                continue
        else:
            both = plan(
                catalogue, domain, calendar, project.filed_on, Mechanisms(), measure_savings=False
            )
            acts, required_by = _graph_of(both)
            planned = {x.code: x for x in acts}
            for row in session.scalars(
                select(ProjectActivityRow).where(ProjectActivityRow.project_id == project.id)
            ):
                x = planned.get(row.code)
                row.requires = dict(x.requires) if x else {}
                row.required_by = required_by.get(row.code, {})
        session.flush()
        if project.status == "in_review":
            replan(
                session,
                project,
                today,
                calendar,
                "补录企业与中介活动，按两个时钟重新预测",
                "the enterprise's and intermediaries' activities filled in; forecast on both clocks",
            )
        filled += 1
        record(
            session,
            actor=SYSTEM.username,
            role=SYSTEM.role,
            action="activity.backfill",
            entity="project",
            entity_id=project.id,
            project_id=project.id,
        )
    session.flush()
    return filled


# --- reading ---------------------------------------------------------------------------------


def clock_of(row: ProjectActivityRow) -> act.ActivityClock:
    return act.ActivityClock(
        row.owner,
        row.unit,
        row.days,
        row.planned_start,
        row.planned_end,
        row.status,
        row.actual_start,
        row.actual_end,
    )


def _activities(session: Session, project_id: int) -> list[ProjectActivityRow]:
    return list(
        session.scalars(
            select(ProjectActivityRow)
            .where(ProjectActivityRow.project_id == project_id)
            .options(joinedload(ProjectActivityRow.intermediary))
            .order_by(ProjectActivityRow.planned_start, ProjectActivityRow.position)
        ).unique()
    )


def activity_out(
    row: ProjectActivityRow,
    today: date,
    calendar: WorkCalendar,
    lang: str = "zh",
    push: cf.ActivityPush | None = None,
    step_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An activity as the pages and the API show it: plan, progress, forecast, the delay and
    whose it is, and — for an intermediary's — the organisation and its time against its
    committed days.

    ``push`` (:func:`approvals.clock_forecast.pushed_activities`): its forecast on the graph —
    no earlier than the forecast finish of the review steps it waits for — with the days that
    moves it and whose they are (部门原因 …); without, its own forecast."""
    clock = clock_of(row)
    own = act.forecast(clock, today, calendar)
    seen = push.span if push is not None else own
    delay = act.delay_days(clock, today, calendar)
    shares = act.delay_shares(clock, today, calendar, row.chosen_on)
    if push is not None:  # the days past its plan on the graph: a department's share apart
        delay = max((push.span.end - clock.planned_end).days, 0)
        shares = {o: push.days[o] for o in act.DELAY_OWNERS}
    service = (
        act.service_time(row.chosen_on, row.committed_days, row.actual_end, today, calendar)
        if row.owner == "intermediary"
        else None
    )
    org = row.intermediary
    return {
        "id": row.id,
        "project_id": row.project_id,
        "code": row.code,
        "name": row.name_en if lang == "en" and row.name_en else row.name,
        "owner": row.owner,
        "owner_name": _label(act.DELAY_OWNERS[row.owner], lang),
        "unit": row.unit,
        "days": row.days,
        "stage": row.stage,
        "status": row.status,
        "status_name": _label(act.STATUSES[row.status], lang),
        "planned_start": row.planned_start.isoformat(),
        "planned_end": row.planned_end.isoformat(),
        "actual_start": iso(row.actual_start),
        "actual_end": iso(row.actual_end),
        "forecast_start": seen.start.isoformat(),
        "forecast_end": seen.end.isoformat(),
        "own_forecast_start": own.start.isoformat(),
        "own_forecast_end": own.end.isoformat(),
        **_push_out(push, step_names or {}, lang),
        "delay_days": delay,
        # whose the delay is: the enterprise's or the intermediary's, never a department's
        "delays": shares,
        "delay_note": "、".join(
            f"{_label(act.DELAY_OWNERS[o], 'zh')} {d} 天" for o, d in shares.items() if d
        )
        if lang != "en"
        else ", ".join(
            f"{d} days {_label(act.DELAY_OWNERS[o], 'en')}" for o, d in shares.items() if d
        ),
        "intermediary": {"id": org.id, "name": org.name, "phone": org.phone} if org else None,
        "chosen_on": iso(row.chosen_on),
        "committed_days": row.committed_days,
        "service_state": service.state if service else None,
        "service_state_name": _label(act.SERVICE_STATES[service.state], lang) if service else None,
        "due_on": iso(service.due_on) if service else None,
        "workdays_used": service.workdays_used if service else None,
        "overdue_workdays": service.overdue_workdays if service else 0,
        "report_material_id": row.report_material_id,
        "rating": row.rating,
        "rating_label": RATING_LABELS.get(row.rating or 0),
        "rating_comment": row.rating_comment,
        "version": row.version,
    }


def _push_out(
    push: cf.ActivityPush | None, step_names: Mapping[str, str], lang: str
) -> dict[str, Any]:
    """The push of an activity's forecast by what it waits for, as shown (部门原因 …)."""
    days = push.days if push is not None else dict.fromkeys(cf.CAUSES, 0)
    waits = push.waits_for if push is not None else None
    what = f"{waits} {step_names[waits]}" if waits and waits in step_names else waits
    parts = [(c, d) for c in ("department", "enterprise", "intermediary") if (d := days[c])]
    if lang == "en":
        note = (
            f"waits for {what}: " + ", ".join(f"{d} days by {cf.CAUSES[c][1]}" for c, d in parts)
            if parts and what
            else ""
        )
    else:
        note = (
            f"等待 {what}：" + "、".join(f"{cf.CAUSES[c][0]} {d} 天" for c, d in parts)
            if parts and what
            else ""
        )
    return {
        "pushed_days": push.pushed if push is not None else 0,
        "pushed_by": days,
        "waits_for": waits,
        "push_note": note,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per owner: the largest delay it causes on any activity (calendar days) and on how many;
    and the most days the review steps (部门原因) push an activity's forecast."""
    out: dict[str, Any] = {}
    for owner in act.DELAY_OWNERS:
        out[f"{owner}_delay_days"] = max((r["delays"][owner] for r in rows), default=0)
        out[f"{owner}_late"] = sum(1 for r in rows if r["delays"][owner])
    out["department_push_days"] = max(
        (r.get("pushed_by", {}).get("department", 0) for r in rows), default=0
    )
    return out


def activity_pushes(
    project: ProjectRow,
    rows: list[ProjectActivityRow],
    today: date,
    calendar: WorkCalendar,
) -> dict[str, cf.ActivityPush]:
    """Each activity's forecast after the review steps it waits for, on the steps' forecast as
    stored by the last re-plan (:func:`approvals.services.progress.replan`) and their plan
    (:func:`approvals.clock_forecast.pushed_activities`); empty when the activities' graph is
    not stored (filed before migration 0019)."""
    if not rows or any(r.requires is None for r in rows):
        return {}
    seq = calendar.sequence(project.filed_on)
    ends: dict[str, cf.StepEnd] = {}
    for s in project.steps:
        es = s.forecast_es if s.forecast_es is not None else s.baseline_es
        ef = s.forecast_ef if s.forecast_ef is not None else s.baseline_ef
        found = s.clock_delays or {}
        causes = {c: int(found.get(c) or 0) for c in cf.CAUSES}
        ends[s.code] = cf.StepEnd(es, ef, s.days, causes)
    inputs = [
        cf.ActivityInput(r.code, clock_of(r), dict(r.requires or {}), {}, r.chosen_on) for r in rows
    ]
    try:
        return cf.pushed_activities(inputs, ends, seq, today, calendar)
    except ValueError:  # a cycle: a stored plan never has one; show the own forecasts
        return {}


def project_activities(
    session: Session,
    actor: Actor,
    project_id: int,
    today: date,
    calendar: WorkCalendar,
    lang: str = "zh",
    *,
    project: ProjectRow | None = None,
) -> dict[str, Any]:
    """The project's own activities on both owners' clocks, for whoever may read the project
    (``project``: already loaded with the caller's visibility)."""
    p = project or get_project(session, actor, project_id)
    rows = _activities(session, p.id)
    pushes = activity_pushes(p, rows, today, calendar)
    names = {s.code: (s.name_en if lang == "en" and s.name_en else s.name) for s in p.steps}
    items = [activity_out(r, today, calendar, lang, pushes.get(r.code), names) for r in rows]
    return {"project_id": p.id, "items": items, **summarize(items)}


# --- the enterprise's progress ---------------------------------------------------------------


def _owned_activity(
    session: Session, actor: Actor, project_id: int, code: str, action: Action
) -> tuple[ProjectRow, ProjectActivityRow]:
    project = get_project(session, actor, project_id, lock=True)
    if not can(actor, action, project):
        raise AccessDenied(
            "只有项目单位本身可以执行此操作", "only the project's enterprise may do this"
        )
    row = session.scalar(
        select(ProjectActivityRow)
        .where(ProjectActivityRow.project_id == project.id, ProjectActivityRow.code == code)
        .with_for_update()
    )
    if row is None:
        raise NotFoundError(
            f"活动 {code} 不在本项目中", f"activity {code} is not part of this project"
        )
    return project, row


def _snapshot(row: ProjectActivityRow) -> dict[str, Any]:
    return {
        "status": row.status,
        "actual_start": iso(row.actual_start),
        "actual_end": iso(row.actual_end),
        "intermediary_id": row.intermediary_id,
        "chosen_on": iso(row.chosen_on),
    }


def _apply(row: ProjectActivityRow, clock: act.ActivityClock) -> None:
    row.status, row.actual_start, row.actual_end = (
        clock.status,
        clock.actual_start,
        clock.actual_end,
    )


def report_progress(
    session: Session,
    actor: Actor,
    project_id: int,
    code: str,
    event: str,
    on: date,
    today: date,
    started_on: date | None = None,
) -> ProjectActivityRow:
    """The enterprise reports its own activity started (``start``) or finished (``finish``) —
    design done, construction started or finished.

    Raises
    ------
    NotFoundError
        The project is not visible to the caller or has no such activity.
    AccessDenied
        The caller is not the project's enterprise.
    ActivityError
        ``event`` is neither start nor finish, the activity is an intermediary's (it reports its
        own delivery), or the transition or its dates are refused.
    """
    project, row = _owned_activity(session, actor, project_id, code, Action.ACTIVITY_REPORT)
    if row.owner != "enterprise":
        raise act.ActivityError(
            f"code：活动 {code} 由中介机构办理，由其交付报告",
            f"code: activity {code} is an intermediary's; it reports its own delivery",
        )
    before = _snapshot(row)
    clock = clock_of(row)
    if event == "start":
        clock = act.start(clock, code, on, project.filed_on, today)
    elif event == "finish":
        clock = act.finish(clock, code, on, project.filed_on, today, started_on)
    else:
        raise act.ActivityError(
            f"event：须为 start 或 finish，而非 '{event}'",
            f"event: start or finish, not '{event}'",
        )
    _apply(row, clock)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action=f"activity.{event}",
        entity="activity",
        entity_id=row.id,
        project_id=project.id,
        before=before,
        after=_snapshot(row),
    )
    verb = ("开始", "started") if event == "start" else ("完成", "finished")
    _follow(
        session,
        project,
        today,
        f"企业报告 {code} 于 {on} {verb[0]}",
        f"the enterprise reports {code} {verb[1]} on {on}",
    )
    return row


def _follow(session: Session, project: ProjectRow, on: date, zh: str, en: str) -> None:
    """Re-plan the project on both clocks after its activity moved: the review steps waiting
    for it follow (see :func:`approvals.services.progress.replan`)."""
    if project.status != "in_review":
        return
    from approvals.service import work_calendar
    from approvals.services.progress import replan

    replan(session, project, on, work_calendar(session), zh, en)


# --- the registry and the 中介超市 --------------------------------------------------------------


def service_names(catalogue: Catalogue) -> dict[str, str]:
    """The catalogue's intermediary services: code → name."""
    return {c: i.name for c, i in catalogue.items.items() if i.kind == "intermediary"}


def register_intermediary(
    session: Session,
    actor: Actor,
    catalogue: Catalogue,
    *,
    name: str,
    credit_code: str,
    services: Mapping[str, int],
    contact_name: str = "",
    phone: str = "",
) -> IntermediaryRow:
    """The administrator registers an intermediary organisation with the services (activity
    codes of the catalogue's intermediary services) it may provide and its committed working
    days for each.

    Raises
    ------
    AccessForbidden
        The caller may not manage intermediaries.
    IntermediaryError
        Naming the field: an empty name, a malformed or taken credit code, no service, a code
        that is no intermediary service of the catalogue, committed days outside 1–365.
    """
    require(actor, Action.INTERMEDIARY_MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise IntermediaryError(
            "name：须填写机构名称（≤200 字）", "name: required (≤ 200 characters)"
        )
    if not _CREDIT_CODE.fullmatch(credit_code or ""):
        raise IntermediaryError(
            f"credit_code：'{credit_code}' 不是有效的统一社会信用代码（18 位）",
            f"credit_code: '{credit_code}' is not a unified social credit code (18 characters)",
        )
    if session.scalar(select(IntermediaryRow.id).where(IntermediaryRow.credit_code == credit_code)):
        raise IntermediaryError(
            f"credit_code：'{credit_code}' 已登记",
            f"credit_code: '{credit_code}' is registered already",
        )
    known = service_names(catalogue)
    if not services:
        raise IntermediaryError("services：至少登记一项中介服务", "services: at least one service")
    for code, days in services.items():
        if code not in known:
            raise IntermediaryError(
                f"services：'{code}' 不是事项清单中的中介服务（可选：{'、'.join(known)}）",
                f"services: '{code}' is not an intermediary service of the catalogue ({', '.join(known)})",
            )
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            raise IntermediaryError(
                f"services.{code}：承诺时限须为 1–365 个工作日",
                f"services.{code}: committed days must be 1 to 365 working days",
            )
    row = IntermediaryRow(
        name=name,
        credit_code=credit_code,
        contact_name=contact_name,
        phone=phone,
        services=dict(services),
        active=True,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="intermediary.register",
        entity="intermediary",
        entity_id=row.id,
        after={"name": name, "credit_code": credit_code, "services": dict(services)},
    )
    return row


def _ratings(session: Session) -> dict[int, tuple[float, int]]:
    """Each organisation's average rating and count (one grouped query)."""
    out = {}
    for oid, avg, n in session.execute(
        select(
            ProjectActivityRow.intermediary_id,
            func.avg(ProjectActivityRow.rating),
            func.count(ProjectActivityRow.rating),
        )
        .where(ProjectActivityRow.rating.is_not(None))
        .group_by(ProjectActivityRow.intermediary_id)
    ):
        if oid is not None and n:
            out[oid] = (round(float(avg), 1), int(n))
    return out


def list_intermediaries(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The registry with each organisation's services, committed days and rating."""
    require(actor, Action.INTERMEDIARY_READ)
    ratings = _ratings(session)
    return [
        {
            "id": o.id,
            "name": o.name,
            "credit_code": o.credit_code,
            "contact_name": o.contact_name,
            "phone": o.phone,
            "services": dict(o.services),
            "active": o.active,
            "rating": ratings.get(o.id, (None, 0))[0],
            "ratings": ratings.get(o.id, (None, 0))[1],
        }
        for o in session.scalars(select(IntermediaryRow).order_by(IntermediaryRow.id))
    ]


def _intermediary_activity(
    session: Session, actor: Actor, project_id: int, code: str
) -> tuple[ProjectRow, ProjectActivityRow]:
    project, row = _owned_activity(session, actor, project_id, code, Action.INTERMEDIARY_CHOOSE)
    if row.owner != "intermediary":
        raise act.ActivityError(
            f"code：活动 {code} 是企业自身的活动，不需要中介机构",
            f"code: activity {code} is the enterprise's own, it needs no intermediary",
        )
    return project, row


def offers(
    session: Session, actor: Actor, project_id: int, code: str
) -> tuple[ProjectActivityRow, list[act.Offer]]:
    """中介超市: the organisations qualified for this intermediary activity of the enterprise's
    project, best rated first, with their committed days."""
    _, row = _intermediary_activity(session, actor, project_id, code)
    orgs = session.execute(
        select(
            IntermediaryRow.id,
            IntermediaryRow.name,
            IntermediaryRow.services,
            IntermediaryRow.active,
        )
    ).all()
    return row, act.market([tuple(o) for o in orgs], code, _ratings(session))  # type: ignore[misc]


def choose(
    session: Session,
    actor: Actor,
    project_id: int,
    code: str,
    intermediary_id: int,
    on: date,
) -> ProjectActivityRow:
    """The enterprise picks an organisation for an intermediary activity: its clock starts that
    day (day 1) against the organisation's committed days for the service.

    Raises
    ------
    IntermediaryError
        The organisation does not exist, is inactive or does not provide this service.
    ActivityConflict
        An intermediary was already chosen for the activity.
    """
    project, row = _intermediary_activity(session, actor, project_id, code)
    if row.intermediary_id is not None:
        raise ActivityConflict(
            f"活动 {code} 已选择中介机构", f"an intermediary was already chosen for {code}"
        )
    org = session.get(IntermediaryRow, intermediary_id)
    if org is None or not org.active or code not in org.services:
        raise IntermediaryError(
            f"intermediary_id：机构 {intermediary_id} 未登记提供服务 {code}",
            f"intermediary_id: organisation {intermediary_id} is not registered for {code}",
        )
    before = _snapshot(row)
    row.intermediary_id, row.chosen_on = org.id, on
    row.committed_days = int(org.services[code])
    row.status, row.actual_start = "in_progress", on
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="intermediary.choose",
        entity="activity",
        entity_id=row.id,
        project_id=project.id,
        before=before,
        after={**_snapshot(row), "intermediary": org.name, "committed_days": row.committed_days},
    )
    _follow(
        session,
        project,
        on,
        f"企业为 {code} 选定中介机构 {org.name}",
        f"the enterprise chose {org.name} for {code}",
    )
    return row


def rate(
    session: Session, actor: Actor, project_id: int, code: str, score: int, comment: str = ""
) -> ProjectActivityRow:
    """好差评 of an intermediary's delivered service, once (1 非常不满意 … 5 非常满意)."""
    project, row = _intermediary_activity(session, actor, project_id, code)
    if row.status != "done" or row.intermediary_id is None:
        raise act.ActivityError(
            f"活动 {code} 尚未交付，不能评价", f"activity {code} is not delivered yet"
        )
    if not 1 <= score <= 5:
        raise act.ActivityError("score：评分应为 1–5", "score: 1 to 5")
    if row.rating is not None:
        raise ActivityConflict(f"活动 {code} 已评价", f"activity {code} has been rated already")
    row.rating, row.rating_comment = score, comment
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="intermediary.rate",
        entity="activity",
        entity_id=row.id,
        project_id=project.id,
        after={"score": score, "label": RATING_LABELS[score], "comment": comment},
    )
    return row


# --- the intermediary's own work ---------------------------------------------------------------


def my_activities(
    session: Session, actor: Actor, today: date, calendar: WorkCalendar, lang: str = "zh"
) -> list[dict[str, Any]]:
    """The activities the caller's organisation was chosen for (and nothing else), open ones
    first, with the project's code and name."""
    require(actor, Action.INTERMEDIARY_WORK)
    rows = session.execute(
        select(ProjectActivityRow, ProjectRow.code, ProjectRow.name)
        .join(ProjectRow, ProjectActivityRow.project_id == ProjectRow.id)
        .where(ProjectActivityRow.intermediary_id == (actor.intermediary_id or -1))
        .options(joinedload(ProjectActivityRow.intermediary))
        .order_by(ProjectActivityRow.status == "done", ProjectActivityRow.chosen_on)
    ).all()
    return [
        {**activity_out(r, today, calendar, lang), "project_code": pc, "project_name": pn}
        for r, pc, pn in rows
    ]


def my_activity(
    session: Session, actor: Actor, activity_id: int, *, lock: bool = False
) -> ProjectActivityRow:
    """One activity the caller's organisation was chosen for; any other is 'not found'.
    ``lock`` holds its row for the transaction (a report or a delivery)."""
    require(actor, Action.INTERMEDIARY_WORK)
    q = select(ProjectActivityRow).where(ProjectActivityRow.id == activity_id)
    row = session.scalar(q.with_for_update() if lock else q)
    if row is None or not can(actor, Action.INTERMEDIARY_WORK, row):
        raise NotFoundError(f"活动 {activity_id} 不存在", f"activity {activity_id} not found")
    return row


def upload_report(
    session: Session, actor: Actor, activity_id: int, filename: str, data: bytes
) -> MaterialRow:
    """The intermediary uploads its report: stored once by its hash as the project's material of
    the activity's code (the enterprise and the departments see it with the project's files).

    Raises
    ------
    NotFoundError
        Not an activity the caller was chosen for.
    ActivityConflict
        Already delivered.
    ProjectError
        An empty, too large or unaccepted file, or a bad name.
    """
    row = my_activity(session, actor, activity_id, lock=True)
    if row.status == "done":
        raise ActivityConflict(
            f"活动 {row.code} 已交付，不能再上传", f"activity {row.code} is delivered already"
        )
    name, content_type = checked_file(row.code, filename, data)
    material, previous = store_file(
        session, row.project_id, row.code, name, content_type, data, actor.username
    )
    session.flush()
    row.report_material_id = material.id
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="intermediary.report",
        entity="activity",
        entity_id=row.id,
        project_id=row.project_id,
        before={"sha256": previous[-1].sha256} if previous else None,
        after={"sha256": material.sha256, "size": material.size, "filename": name},
    )
    return material


def deliver(
    session: Session, actor: Actor, activity_id: int, on: date, calendar: WorkCalendar
) -> ProjectActivityRow:
    """The intermediary delivers: the activity is done on ``on``; its working days from the day
    it was chosen are measured against its committed days.

    Raises
    ------
    ActivityError
        No report uploaded yet.
    ActivityConflict
        Already delivered.
    """
    row = my_activity(session, actor, activity_id, lock=True)
    if row.status == "done":
        raise ActivityConflict(
            f"活动 {row.code} 已交付", f"activity {row.code} is delivered already"
        )
    if row.report_material_id is None:
        raise act.ActivityError(
            f"report：活动 {row.code} 尚未上传报告，不能交付",
            f"report: upload the report of {row.code} before delivering",
        )
    before = _snapshot(row)
    row.status, row.actual_end = "done", on
    row.actual_start = row.actual_start or row.chosen_on or on
    session.flush()
    t = act.service_time(row.chosen_on, row.committed_days, on, on, calendar)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="intermediary.deliver",
        entity="activity",
        entity_id=row.id,
        project_id=row.project_id,
        before=before,
        after={
            **_snapshot(row),
            "workdays_used": t.workdays_used,
            "committed_days": row.committed_days,
            "state": t.state,
        },
    )
    project = session.get(ProjectRow, row.project_id)
    if project is not None:
        _follow(
            session,
            project,
            on,
            f"中介机构交付 {row.code}（{on}）",
            f"the intermediary delivered {row.code} on {on}",
        )
    return row


# --- the daily job: 督办 of overdue intermediaries, forecasts that follow the activities -------


def supervise_overdue(
    session: Session, today: date, calendar: WorkCalendar
) -> list[ActivitySupervisionRow]:
    """督办: record a supervision for every intermediary activity past its committed days and not
    delivered, once per activity and level (:func:`approvals.activities.supervision_levels`),
    and tell the enterprise, the administrators and the intermediary — once a scan: an activity
    found five working days late on its first scan gets both records but one notice, of the
    higher level.  Idempotent: run again the same day (or any day), it records and tells nobody
    twice.  The caller commits."""
    found = session.execute(
        select(ProjectActivityRow, ProjectRow.code, ProjectRow.enterprise_id, IntermediaryRow.name)
        .join(ProjectRow, ProjectActivityRow.project_id == ProjectRow.id)
        .join(IntermediaryRow, ProjectActivityRow.intermediary_id == IntermediaryRow.id)
        .where(
            ProjectActivityRow.owner == "intermediary",
            ProjectActivityRow.status != "done",
            ProjectActivityRow.chosen_on.is_not(None),
        )
        .order_by(ProjectActivityRow.id)
    ).all()
    if not found:
        return []
    known: set[tuple[int, str]] = {
        (activity_id, level)
        for activity_id, level in session.execute(
            select(ActivitySupervisionRow.activity_id, ActivitySupervisionRow.level).where(
                ActivitySupervisionRow.activity_id.in_([row.id for row, *_ in found])
            )
        )
    }
    raised: list[ActivitySupervisionRow] = []
    for row, project_code, enterprise_id, org_name in found:
        t = act.service_time(row.chosen_on, row.committed_days, None, today, calendar)
        new_levels = [lv for lv in act.supervision_levels(t) if (row.id, lv) not in known]
        for level in new_levels:
            known.add((row.id, level))
            sup = ActivitySupervisionRow(
                activity_id=row.id,
                project_id=row.project_id,
                intermediary_id=row.intermediary_id,
                level=level,
                raised_on=today,
                due_on=t.due_on,
                overdue_workdays=t.overdue_workdays,
            )
            session.add(sup)
            raised.append(sup)
            if level == new_levels[-1]:  # the levels come lowest first: tell the highest only
                notices.intermediary_overdue(
                    session,
                    row.project_id,
                    project_code,
                    enterprise_id,
                    row,
                    org_name,
                    level,
                    t.overdue_workdays,
                )
            record(
                session,
                actor=SYSTEM.username,
                role=SYSTEM.role,
                action=f"intermediary.supervise.{level}",
                entity="activity",
                entity_id=row.id,
                project_id=row.project_id,
                after={
                    "intermediary": org_name,
                    "due_on": iso(t.due_on),
                    "overdue_workdays": t.overdue_workdays,
                },
            )
    session.flush()
    return raised


def _supervision_query() -> Any:
    return (
        select(ActivitySupervisionRow, ProjectActivityRow, ProjectRow.code, IntermediaryRow.name)
        .join(ProjectActivityRow, ActivitySupervisionRow.activity_id == ProjectActivityRow.id)
        .join(ProjectRow, ActivitySupervisionRow.project_id == ProjectRow.id)
        .outerjoin(IntermediaryRow, ActivitySupervisionRow.intermediary_id == IntermediaryRow.id)
    )


def _supervision_out(s: Any, a: Any, code: str, org: str | None, lang: str) -> dict[str, Any]:
    return {
        "id": s.id,
        "project_id": s.project_id,
        "project_code": code,
        "activity_id": a.id,
        "activity_code": a.code,
        "activity_name": a.name_en if lang == "en" and a.name_en else a.name,
        "intermediary": org,
        "level": s.level,
        "level_name": _label(act.SUPERVISION_LEVELS[s.level], lang),
        "raised_on": s.raised_on.isoformat(),
        "due_on": iso(s.due_on),
        "overdue_workdays": s.overdue_workdays,
        "delivered": a.status == "done",
    }


def supervisions(
    session: Session,
    *,
    intermediary_id: int | None = None,
    lang: str = "zh",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The 督办 records (latest first, at most ``limit``) with the project and the activity:
    every one (the administrator's page) or one organisation's (its own page); one query."""
    q = _supervision_query().order_by(
        ActivitySupervisionRow.raised_on.desc(), ActivitySupervisionRow.id.desc()
    )
    if intermediary_id is not None:
        q = q.where(ActivitySupervisionRow.intermediary_id == intermediary_id)
    if limit is not None:
        q = q.limit(limit)
    return [_supervision_out(s, a, code, org, lang) for s, a, code, org in session.execute(q).all()]


#: The sort keys of the 督办 list (``GET /api/supervisions``) and their columns.
SUPERVISION_SORTS: dict[str, Any] = {
    "raised_on": ActivitySupervisionRow.raised_on,
    "overdue_workdays": ActivitySupervisionRow.overdue_workdays,
    "level": ActivitySupervisionRow.level,
    "project_code": ProjectRow.code,
}


class SupervisionFilterError(Malformed):
    """A filter of the 督办 list is malformed; the message names it (``level``, …)."""


def supervision_page(
    session: Session,
    actor: Actor,
    paging: Paging,
    *,
    level: str | None = None,
    project_id: int | None = None,
    open_only: bool | None = None,
    lang: str = "zh",
) -> tuple[PageOf, list[dict[str, Any]]]:
    """One page of the 督办 records the actor may read (:attr:`Action.SUPERVISION_READ`), with
    the filters: ``level`` (``overdue`` / ``overdue_5``), ``project_id``, ``open_only`` (``True``:
    the activity not delivered yet; ``False``: delivered since).  ``q`` searches the project's
    code and the activity's code and name.

    The administrator and regulators read every record; an enterprise its own projects', an
    agent the projects assigned to it, an intermediary its own organisation's (the role's scope,
    in SQL); any other role is refused (:class:`~access.policy.AccessForbidden`).

    Raises
    ------
    SupervisionFilterError
        ``level`` not one of the levels (names the field).
    """
    require(actor, Action.SUPERVISION_READ)
    if level is not None and level not in act.SUPERVISION_LEVELS:
        names = "、".join(act.SUPERVISION_LEVELS)
        raise SupervisionFilterError(
            f"level：须为 {names} 之一",
            f"level: one of {', '.join(act.SUPERVISION_LEVELS)}",
        )
    q = _supervision_query()
    if scoped(actor, Action.SUPERVISION_READ):
        if actor.role == Role.ENTERPRISE:
            q = q.where(ProjectRow.enterprise_id == (actor.enterprise_id or -1))
        elif actor.role == Role.AGENT:
            q = q.where(ProjectRow.agent_user_id == (actor.user_id or -1))
        elif actor.role == Role.INTERMEDIARY:
            q = q.where(ActivitySupervisionRow.intermediary_id == (actor.intermediary_id or -1))
        else:  # a scoped role whose "own" is not defined here sees nothing
            q = q.where(False)
    if level is not None:
        q = q.where(ActivitySupervisionRow.level == level)
    if project_id is not None:
        q = q.where(ActivitySupervisionRow.project_id == project_id)
    if open_only is True:
        q = q.where(ProjectActivityRow.status != "done")
    elif open_only is False:
        q = q.where(ProjectActivityRow.status == "done")
    match = search_clause(
        paging.q, ProjectRow.code, ProjectActivityRow.code, ProjectActivityRow.name
    )
    if match is not None:
        q = q.where(match)
    found = fetch_page(
        session, q, paging, SUPERVISION_SORTS, tiebreak=ActivitySupervisionRow.id, scalars=False
    )
    return found, [_supervision_out(r[0], r[1], r[2], r[3], lang) for r in found.items]


def follow_open_activities(session: Session, today: date, calendar: WorkCalendar) -> int:
    """Re-plan every project under review that has an activity not done: an activity running
    late pushes the review steps waiting for it a little further each day.  Returns how many
    projects were re-planned; the caller commits."""
    from approvals.services.progress import replan

    ids = select(ProjectActivityRow.project_id).where(
        ProjectActivityRow.status != "done", ProjectActivityRow.requires.is_not(None)
    )
    projects = session.scalars(
        select(ProjectRow)
        .where(ProjectRow.status == "in_review", ProjectRow.id.in_(ids))
        .order_by(ProjectRow.id)
    ).all()
    for project in projects:
        replan(
            session,
            project,
            today,
            calendar,
            f"每日更新：企业与中介活动进度（{today}）",
            f"daily update: the enterprise's and intermediaries' progress on {today}",
        )
    return len(projects)
