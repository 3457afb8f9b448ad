"""The project's progress: steps rolled up from their tasks, certificates issued, steps made
ready, and the live plan (baseline against actual and forecast) with the reason each forecast
moved."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from approvals import clock_forecast as cf
from approvals import workflow as wf
from approvals.activities import ActivityClock
from approvals.calendar import WorkCalendar
from approvals.orm import PlanChangeRow, ProjectActivityRow, ProjectRow, StepRow, TaskRow
from approvals.schedule import forecast_indexed
from approvals.services import notices
from approvals.services.certificates import issue_certificates
from approvals.services.common import apply_clock, iso, task_clock
from storage.base import utcnow

# --- steps, readiness, certificates --------------------------------------------------------------


def roll_up(session: Session, project: ProjectRow, step: StepRow, on: date) -> None:
    """A step's status from its tasks; a completed step issues its certificates."""
    # a task sent back for materials before acceptance (受理前补正) is still at intake
    statuses = {
        "ready" if t.status == "corrections" and t.accepted_on is None else t.status
        for t in step.tasks
    }
    if "rejected" in statuses or "refused" in statuses:
        # 不予许可 (after review) and 不予受理 (at intake) end the project alike, named apart
        step.status = project.status = "rejected" if "rejected" in statuses else "refused"
    elif statuses == {"approved"}:
        if step.status != "done":
            step.status = "done"
            step.actual_end = max(t.decided_on for t in step.tasks if t.decided_on)
            issue_certificates(session, project, step, on)
    elif statuses & {"in_review", "corrections", "special"} or (statuses & {"approved"}):
        step.status = "in_progress"
    if step.actual_start is None:
        started = [t.accepted_on for t in step.tasks if t.accepted_on]
        if started:
            step.actual_start = min(started)
    if all(s.status == "done" for s in project.steps):
        project.status = "completed"


def _prerequisites_allow(step: StepRow, steps: dict[str, StepRow], today: int) -> bool:
    """All prerequisites done, or — for an early start (提前介入) — under way and within their
    lead of their forecast end."""
    for code, lead in step.requires.items():
        pred = steps[code]
        if pred.status == "done":
            continue
        if (
            lead > 0
            and pred.status == "in_progress"
            and pred.forecast_ef is not None
            and today >= pred.forecast_ef - lead
        ):
            continue
        return False
    return True


def advance(
    session: Session, project: ProjectRow, on: date, calendar: WorkCalendar
) -> list[StepRow]:
    """Make ready every waiting step whose prerequisites allow it."""
    steps = {s.code: s for s in project.steps}
    today = calendar.sequence(project.filed_on).index_of(on)
    made_ready = []
    ready: list[tuple[TaskRow, wf.TaskClock, wf.TaskClock]] = []
    for step in project.steps:
        if step.status == "waiting" and _prerequisites_allow(step, steps, today):
            step.status = "ready"
            for task in step.tasks:
                if task.status == "waiting":
                    clock = task_clock(task)
                    ready.append((task, clock, wf.make_ready(clock, on)))
            made_ready.append(step)
    if made_ready:
        _write_ready(session, ready)
        session.flush()
        notices.tasks_ready(session, project, made_ready)
    return made_ready


_tasks_t = TaskRow.__table__
#: The tasks made ready, in one executemany: what the ORM's flush writes (status, ready day,
#: the next version, the time) but not one UPDATE per task (it does that for versioned rows).
_MAKE_READY = (
    update(_tasks_t)
    .where(_tasks_t.c.id == bindparam("_id"), _tasks_t.c.version == bindparam("_version"))
    .values(
        status=bindparam("status"),
        ready_on=bindparam("ready_on"),
        version=bindparam("version"),
        updated_at=bindparam("updated_at"),
    )
)


def _write_ready(session: Session, ready: list[tuple[TaskRow, wf.TaskClock, wf.TaskClock]]) -> None:
    """Write the clocks of tasks made ready (``(task, clock before, clock after)``) with the
    ORM's version check, and keep their rows as written (nothing left for the flush).  A task
    with other changes pending, or a clock changed beyond its status and ready day, goes
    through the flush as before."""
    plain: list[tuple[TaskRow, wf.TaskClock]] = []
    for task, before, after in ready:
        if after == replace(before, status=after.status, ready_on=after.ready_on) and not (
            session.is_modified(task)
        ):
            plain.append((task, after))
        else:
            apply_clock(task, after)
    if not plain:
        return
    now = utcnow()
    params = [
        {
            "_id": t.id,
            "_version": t.version,
            "status": c.status,
            "ready_on": c.ready_on,
            "version": t.version + 1,
            "updated_at": now,
        }
        for t, c in plain
    ]
    found = session.connection().execute(_MAKE_READY, params).rowcount
    if found != len(params):  # as the flush: another transaction changed one of them
        raise StaleDataError(
            f"UPDATE statement on table 'tasks' expected to update {len(params)} row(s);"
            f" {found} were matched."
        )
    for task, p in zip((t for t, _ in plain), params, strict=True):
        for name in ("status", "ready_on", "version", "updated_at"):
            set_committed_value(task, name, p[name])


# --- the live plan ------------------------------------------------------------------------------


@dataclass
class _ForecastInputs:
    """What the forecast of a stored plan starts from: each step's duration, the starts fixed by
    what happened, and the bounds the day and the running clocks put on the rest."""

    durations: list[int] = field(default_factory=list)
    fixed_start: dict[int, int] = field(default_factory=dict)
    min_start: dict[int, int] = field(default_factory=dict)
    min_finish: dict[int, int] = field(default_factory=dict)
    blocked: bool = False  # a step was refused: no finish can be predicted


def _in_progress_finish(step: StepRow, seq: Any, today: int) -> int:
    """The earliest finish of a step under way: the latest due day of its running clocks, or
    the days left when a clock stopped."""
    finish = today + 1
    for t in step.tasks:
        if t.status == "in_review" and t.due_on:
            finish = max(finish, seq.index_of(t.due_on) + 1)
        elif t.status in wf.CLOCK_STOPPED and t.due_on and t.stopped_since:
            remaining = max(seq.index_of(t.due_on) - seq.index_of(t.stopped_since), 0)
            finish = max(finish, today + remaining + 1)
    return finish


def _forecast_inputs(steps: list[StepRow], seq: Any, today: int, on: date) -> _ForecastInputs:
    out = _ForecastInputs()
    for i, s in enumerate(steps):
        if s.status == "done" and s.actual_start and s.actual_end:
            a, b = seq.index_of(s.actual_start), seq.index_of(s.actual_end)
            out.durations.append(b - a + 1)
            out.fixed_start[i] = a
        elif s.status == "done":  # a zero-day or never-accepted step approved directly
            out.durations.append(0)
            out.fixed_start[i] = seq.index_of(s.actual_end or on)
        elif s.status == "in_progress" and s.actual_start:
            out.durations.append(s.days)
            out.fixed_start[i] = seq.index_of(s.actual_start)
            out.min_finish[i] = _in_progress_finish(s, seq, today)
        else:
            if s.status in {"rejected", "refused"}:
                out.blocked = True
            out.durations.append(s.days)
            out.min_start[i] = today
    return out


def _step_changes(
    project: ProjectRow,
    steps: list[StepRow],
    forecast: Any,
    seq: Any,
    on: date,
    today: int,
    event: tuple[str, str],
    subject: str | None,
    old_seq: Any = None,
    waits: dict[str, tuple[str, tuple[str, ...]]] | None = None,
) -> list[PlanChangeRow]:
    """Store the new forecast on each step; a change row for each step whose end moved.

    ``old_seq`` is the working-day sequence the stored forecast was counted in, when the
    calendar itself changed: the old ends are read in it, and the event is every move's reason."""
    index = {s.code: i for i, s in enumerate(steps)}
    critical = set(forecast.critical_path)
    changes: list[PlanChangeRow] = []
    moved: dict[str, date] = {}
    for i, s in enumerate(steps):  # plan order is batch order: prerequisites come first
        old_end = (
            (old_seq or seq).date_of(max(s.forecast_ef - 1, s.forecast_es or 0))
            if s.forecast_ef is not None
            else None
        )
        _assign(s, "forecast_es", forecast.es[i])
        _assign(s, "forecast_ef", forecast.ef[i])
        _assign(s, "slack", forecast.ls[i] - forecast.es[i])
        _assign(s, "critical", i in critical)
        new_end = seq.date_of(max(forecast.ef[i] - 1, forecast.es[i]))
        if old_end is not None and new_end != old_end:
            moved[s.code] = new_end
            zh, en = (
                event
                if old_seq is not None
                else _change_reason(
                    s, subject, event, moved, forecast, index, today, on, (waits or {}).get(s.code)
                )
            )
            changes.append(
                PlanChangeRow(
                    project_id=project.id,
                    on=on,
                    step_code=s.code,
                    old_end=old_end,
                    new_end=new_end,
                    reason_zh=zh,
                    reason_en=en,
                )
            )
    return changes


def _both_clocks(
    session: Session,
    project: ProjectRow,
    steps: list[StepRow],
    inputs: _ForecastInputs,
    seq: Any,
    on: date,
    calendar: WorkCalendar,
) -> cf.LiveForecast | None:
    """The forecast on both clocks when the project's activities and their graph are stored
    (:func:`approvals.clock_forecast.live_forecast`); ``None`` otherwise (review steps only)."""
    rows = session.scalars(
        select(ProjectActivityRow).where(ProjectActivityRow.project_id == project.id)
    ).all()
    if not rows or any(r.requires is None for r in rows):
        return None  # filed before the graph was kept: ``onetrip backfill-activities``
    step_inputs = [
        cf.StepInput(
            s.code,
            inputs.durations[i],
            dict(s.requires),
            inputs.fixed_start.get(i),
            inputs.min_start.get(i),
            inputs.min_finish.get(i),
        )
        for i, s in enumerate(steps)
    ]
    activity_inputs = [
        cf.ActivityInput(
            r.code,
            ActivityClock(
                r.owner,
                r.unit,
                r.days,
                r.planned_start,
                r.planned_end,
                r.status,
                r.actual_start,
                r.actual_end,
            ),
            dict(r.requires or {}),
            dict(r.required_by or {}),
            r.chosen_on,
        )
        for r in rows
    ]
    return cf.live_forecast(step_inputs, activity_inputs, seq, on, calendar)


def _waits(both: cf.LiveForecast | None) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Step → (the activity it waits for, whose delay holds it: the enterprise's and/or the
    intermediary's, else the activity's owner)."""
    if both is None:
        return {}
    out = {}
    for c, f in both.steps.items():
        if f.waits_for:
            causes = tuple(k for k in ("enterprise", "intermediary") if f.delays[k] > 0)
            out[c] = (f.waits_for, causes or (both.owners.get(f.waits_for, "enterprise"),))
    return out


def replan(
    session: Session,
    project: ProjectRow,
    on: date,
    calendar: WorkCalendar,
    reason_zh: str,
    reason_en: str,
    subject: str | None = None,
    previous: WorkCalendar | None = None,
) -> None:
    """Re-plan after an event: actual dates for what is done, forecasts for the rest; record each
    step whose forecast end moved, and the predicted finish, with the event as the reason.

    ``previous`` is the calendar the stored forecast was made with, when the event is a change
    of the calendar (节假日安排更新): moves are measured from the dates it gave."""
    steps = list(project.steps)
    seq = calendar.sequence(project.filed_on)
    old_seq = previous.sequence(project.filed_on) if previous is not None else None
    today = seq.index_of(on)
    index = {s.code: i for i, s in enumerate(steps)}
    inputs = _forecast_inputs(steps, seq, today, on)
    both = _both_clocks(session, project, steps, inputs, seq, on, calendar)
    if both is not None:
        forecast: Any = both.cpm
    else:
        succs: list[list[tuple[int, int]]] = [[] for _ in steps]
        for i, s in enumerate(steps):
            for code, lead in s.requires.items():
                succs[index[code]].append((i, lead))
        forecast = forecast_indexed(
            inputs.durations,
            succs,
            fixed_start=inputs.fixed_start,
            min_start=inputs.min_start,
            min_finish=inputs.min_finish,
        )
    assert forecast is not None, "a stored plan cannot have a cycle"
    old_finish = project.predicted_finish
    waits = _waits(both)
    changes = _step_changes(
        project, steps, forecast, seq, on, today, (reason_zh, reason_en), subject, old_seq, waits
    )
    new_finish = None if inputs.blocked else seq.date_of(max(forecast.makespan - 1, 0))
    _assign(project, "predicted_finish", new_finish)
    for s in steps:
        _assign(s, "clock_delays", both.steps[s.code].to_dict() if both is not None else None)
    _assign(
        project,
        "finish_delays",
        {
            **both.finish_delays,
            "plan_finish": seq.date_of(max(both.plan_makespan - 1, 0)).isoformat(),
        }
        if both is not None
        else None,
    )
    if old_finish != new_finish or not session.scalar(
        select(func.count())
        .select_from(PlanChangeRow)
        .where(PlanChangeRow.project_id == project.id)
    ):
        changes.append(
            PlanChangeRow(
                project_id=project.id,
                on=on,
                step_code=None,
                old_finish=old_finish,
                new_finish=new_finish,
                reason_zh=reason_zh,
                reason_en=reason_en,
            )
        )
    session.add_all(changes)
    session.flush()


def _assign(row: Any, name: str, value: Any) -> None:
    """Set a column only when the value differs (as the flush compares them): a decision moves
    few forecasts, and a row assigned its own value is still flushed (its every column compared,
    the steps' delay documents too) though nothing is written."""
    if getattr(row, name) != value:
        setattr(row, name, value)


#: The reason recorded when the holiday arrangement changes under the open projects.
CALENDAR_CHANGED = ("节假日安排更新", "holiday arrangement updated")


def replan_open_projects(
    session: Session, on: date, calendar: WorkCalendar, previous: WorkCalendar
) -> int:
    """节假日安排更新: re-plan every project still under review against the new calendar, so
    forecasts, predicted finishes and the provisional flag follow it; each move is recorded with
    :data:`CALENDAR_CHANGED` as its reason.  Returns how many projects were re-planned."""
    projects = session.scalars(
        select(ProjectRow).where(ProjectRow.status == "in_review").order_by(ProjectRow.id)
    ).all()
    for project in projects:
        replan(session, project, on, calendar, *CALENDAR_CHANGED, previous=previous)
    return len(projects)


def is_provisional(project: ProjectRow, calendar: WorkCalendar) -> bool:
    """Whether the project's dates rest on a year whose holiday arrangement is not loaded
    (dates then count weekends only: 暂定)."""
    end = project.predicted_finish or project.baseline_finish
    if end is None:
        return False
    return any(not calendar.is_known(year) for year in range(project.filed_on.year, end.year + 1))


def _change_reason(
    step: StepRow,
    subject: str | None,
    event: tuple[str, str],
    moved: dict[str, date],
    forecast: Any,
    index: dict[str, int],
    today: int,
    on: date,
    waits: tuple[str, tuple[str, ...]] | None = None,
) -> tuple[str, str]:
    """Why this step's forecast moved: its own event, its completion, an activity of the
    enterprise or an intermediary it waits for (企业原因、中介原因), a prerequisite that moved, its
    clock running past the due day, or not having started yet."""
    if step.code == subject:
        return event
    i = index[step.code]
    if step.status == "done" and step.actual_end:
        return (
            f"{step.code} 已于 {step.actual_end} 办结",
            f"{step.code} was completed on {step.actual_end}",
        )
    if waits is not None:
        code, causes = waits
        zh = "、".join(cf.CAUSES[c][0] for c in causes)
        en = " and ".join(cf.CAUSES[c][1] for c in causes)
        return (f"等待 {code} 完成（{zh}）", f"waiting for {code} (held by {en})")
    for pred, lead in step.requires.items():
        p = index[pred]
        if pred in moved and forecast.ef[p] - lead == forecast.es[i]:
            return (
                f"前置事项 {pred} 预计于 {moved[pred]} 办结",
                f"its prerequisite {pred} is now expected on {moved[pred]}",
            )
    if step.status == "in_progress":
        return (f"{step.code} 仍在办理（{on}）", f"{step.code} is still under review on {on}")
    if forecast.es[i] == today:
        return (f"{step.code} 尚未开始办理（{on}）", f"{step.code} has not started yet on {on}")
    return event


def _step_view(
    s: StepRow,
    seq: Any,
    reason: PlanChangeRow | None,
    today: date,
    calendar: WorkCalendar,
    lang: str,
) -> dict[str, Any]:
    """One step of the live plan: baseline, actual and forecast dates, its tasks' clocks."""
    iso_of = seq.iso_of  # working day → ISO date, remembered by the calendar (read per step)
    bes, bef, fes, fef = s.baseline_es, s.baseline_ef, s.forecast_es, s.forecast_ef
    cd = s.clock_delays
    plan_ef = cd.get("plan_ef") if cd else None
    return {
        "code": s.code,
        "name": s.name_en if lang == "en" and s.name_en else s.name,
        "kind": s.kind,
        "mode": s.mode,
        "stage": s.stage,
        "departments": list(s.departments),
        "days": s.days,
        "status": s.status,
        "requires": [{"code": c, "lead": lead} for c, lead in s.requires.items()],
        # a start is its day (day 0 at the earliest), an end the day before its finish
        "baseline_start": iso_of(max(bes, 0)) if bes is not None else None,
        "baseline_end": None if bef is None or bes is None else iso_of(max(bef - 1, bes)),
        "actual_start": iso(s.actual_start),
        "actual_end": iso(s.actual_end),
        "forecast_start": iso_of(max(fes, 0)) if fes is not None else None,
        "forecast_end": None if fef is None or fes is None else iso_of(max(fef - 1, fes)),
        "baseline_es": bes,
        "baseline_ef": bef,
        "forecast_es": fes,
        "forecast_ef": fef,
        # against the plan on both clocks when the activities are known, else the baseline
        "variance_workdays": (fef - (plan_ef if plan_ef is not None else bef))
        if fef is not None
        else None,
        "plan_end": None if plan_ef is None or bes is None else iso_of(max(plan_ef - 1, bes)),
        "delays": delays_view(cd, lang),
        "waits_for": cd.get("waits_for") if cd else None,
        "slack": s.slack,
        "critical": s.critical,
        "tasks": [task_summary(t, s, today, calendar) for t in s.tasks],
        "change_reason": reason.reason if reason else None,
    }


def delays_view(found: dict[str, Any] | None, lang: str = "zh") -> dict[str, Any] | None:
    """Whose a step's (or the finish's) delay is: :func:`approvals.clock_forecast.delays_out`."""
    return cf.delays_out(found, lang)


def _change_view(c: PlanChangeRow, lang: str) -> dict[str, Any]:
    return {
        "on": c.on.isoformat(),
        "step": c.step_code,
        "old_end": iso(c.old_end),
        "new_end": iso(c.new_end),
        "old_finish": iso(c.old_finish),
        "new_finish": iso(c.new_finish),
        "reason": c.reason,  # in the plan's language (_PLAN_CHANGES)
    }


_changes_t = PlanChangeRow.__table__
#: The plan's changes by id with their reason in one language (``reason``), by language: built
#: once (see approvals.services.queries), only the columns the plan shows.
_PLAN_CHANGES = {
    lang: select(
        *(
            _changes_t.c[n]
            for n in ("on", "step_code", "old_end", "new_end", "old_finish", "new_finish")
        ),
        _changes_t.c[f"reason_{lang}"].label("reason"),
    )
    .where(_changes_t.c.project_id == bindparam("pid"))
    .order_by(_changes_t.c.id)
    for lang in ("zh", "en")
}


def _baseline_lists(project: Any) -> dict[str, Any]:
    """The items the baseline waived and reduced to a commitment: from the project's row, or
    already read (:func:`approvals.services.queries.plan_project` reads them, not the whole
    baseline document)."""
    if isinstance(project, ProjectRow):
        return {
            "waived": project.baseline.get("waived", []),
            "reduced_to_commitment": project.baseline.get("reduced_to_commitment", []),
        }
    return {"waived": project.waived, "reduced_to_commitment": project.reduced_to_commitment}


def live_plan(
    session: Session, project: Any, today: date, calendar: WorkCalendar, lang: str = "zh"
) -> dict[str, Any]:
    """The plan as everyone sees it: baseline against actual and forecast, per step and overall,
    with the clock of every task and the latest reason each step moved.

    ``project`` is a :class:`ProjectRow` with its steps, or the plain read model of
    :func:`approvals.services.queries.plan_project` (what the API's plan reads: no ORM objects)."""
    seq = calendar.sequence(project.filed_on)
    changes = (  # plain rows
        session.connection()
        .execute(_PLAN_CHANGES["en" if lang == "en" else "zh"], {"pid": project.id})
        .all()
    )
    last_reason: dict[str | None, PlanChangeRow] = {c.step_code: c for c in changes}
    baseline_finish = project.baseline_finish.isoformat()
    plan_finish = (project.finish_delays or {}).get("plan_finish")
    return {
        "project_id": project.id,
        "code": project.code,
        "name": project.name,
        "status": project.status,
        "filed_on": project.filed_on.isoformat(),
        "today": today.isoformat(),
        "today_workday": seq.index_of(today),
        "baseline_finish": baseline_finish,
        "predicted_finish": iso(project.predicted_finish),
        # the finish planned on both clocks (the review steps after the planned activities)
        "plan_finish": plan_finish,
        "finish_delays": delays_view(project.finish_delays, lang),
        # against the plan on both clocks when the activities are known, else the baseline
        "variance_workdays": (
            seq.index_of(project.predicted_finish)
            - seq.index_of(date.fromisoformat(plan_finish or baseline_finish))
        )
        if project.predicted_finish
        else None,
        "baseline_makespan_workdays": project.baseline_makespan,
        "serial_workdays": project.serial_workdays,
        **_baseline_lists(project),
        "provisional": is_provisional(project, calendar),
        "steps": [
            _step_view(s, seq, last_reason.get(s.code), today, calendar, lang)
            for s in project.steps
        ],
        "changes": [_change_view(c, lang) for c in changes],
    }


def task_summary(
    task: TaskRow, step: StepRow, today: date, calendar: WorkCalendar
) -> dict[str, Any]:
    clock = task_clock(task)
    return {
        "id": task.id,
        "department": task.department,
        "status": task.status,
        "version": task.version,
        "ready_on": iso(task.ready_on),
        "accepted_on": iso(task.accepted_on),
        "due_on": iso(task.due_on),
        "decided_on": iso(task.decided_on),
        "stopped_since": iso(task.stopped_since),
        "stopped_days": task.stopped_days,
        "stop_kind": task.stop_kind,
        "clock": wf.clock_state(clock, today, calendar, step.slack),
        "workdays_left": wf.workdays_left(clock, today, calendar),
        "blocked_by": wf.blocked_by(clock, today),
        "deferrals": [
            {
                "material": d.material_code,
                "due_on": d.due_on.isoformat(),
                "supplied_on": iso(d.supplied_on),
            }
            for d in task.deferrals
        ],
        "reviewer": task.reviewer,
        "note": task.note,
    }
