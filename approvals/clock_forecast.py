"""The live forecast on both clocks (两个时钟的动态预测): review steps wait for the activities.

A filed project's review steps (the government's clock, working days) and its enterprise's and
intermediaries' activities (方案设计, 施工图设计, 施工, 报告编制 …, their own clock) form one
graph: the design review waits for 施工图设计, 竣工验收 for construction.  :func:`live_forecast`
forecasts every step as things stand: a step not started cannot start before the forecast finish
of an activity it depends on (an activity running late finishes no earlier than today, see
:func:`approvals.activities.forecast`), and an activity not started cannot start before its
prerequisites' forecast finish; the forecast runs through the graph to the last step.

Whose a step's delay is (部门原因、企业原因、中介原因) is measured by running the same pass four
times, adding one cause at a time:

0. ``plan`` — nothing happened yet: every step and activity as planned on both clocks;
1. ``department`` — the departments' facts (steps started, in review, not started by today),
   the activities as planned (their planned length, after their prerequisites);
2. ``enterprise`` — plus the enterprise's delays (its own activities as forecast, and the days
   an intermediary activity started late because none was chosen);
3. ``both`` — plus the intermediaries' delays: everything as forecast.

A step's delay of each cause is the working days its end moves from one run to the next.  A
step held back by an unfinished activity does not count "not started by today" against the
department in runs 1 and 2 (it could not start: the activity was not done).

Pure: plain values, the working-day sequence and :mod:`approvals.activities`; no database.

>>> from approvals.calendar import WorkCalendar
>>> seq = WorkCalendar().sequence(date(2026, 3, 2))   # Monday, working day 0
>>> drawing = ActivityInput(
...     "I-DRAWING",
...     ActivityClock("intermediary", "calendar_days", 10, date(2026, 3, 2), date(2026, 3, 11)),
...     requires={}, required_by={"S3-01": 0},
... )
>>> review = StepInput("S3-01", days=5, requires={}, min_start=0)
>>> f = live_forecast([review], [drawing], seq, date(2026, 3, 2))
>>> seq.date_of(f.steps["S3-01"].es)  # the review waits for the drawings (done 11 March)
datetime.date(2026, 3, 12)
>>> late = live_forecast([review], [drawing], seq, date(2026, 3, 9))  # nobody chosen a week on
>>> late.steps["S3-01"].delays
{'department': 0, 'enterprise': 5, 'intermediary': 0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from approvals.activities import ActivityClock, Span, _end_from, delay_shares
from approvals.activities import forecast as activity_forecast
from approvals.calendar import WorkCalendar, WorkdaySequence
from approvals.schedule import Forecast, forecast_indexed

#: The causes of a delay, in the order they are added (see the module's docstring).
CAUSES: dict[str, tuple[str, str]] = {
    "department": ("部门原因", "the departments"),
    "enterprise": ("企业原因", "the enterprise"),
    "intermediary": ("中介原因", "the intermediary"),
}
#: The cause of a delay on an activity, by its owner.
OWNER_CAUSE: dict[str, tuple[str, str]] = {
    "enterprise": CAUSES["enterprise"],
    "intermediary": CAUSES["intermediary"],
}
_RUNS = ("plan", "department", "enterprise", "both")


@dataclass(frozen=True, slots=True)
class StepInput:
    """A review step as it stands: ``days`` working days; ``requires`` its prerequisites (steps
    or activities) with their leads; the facts as working-day indices of the project's sequence
    (``fixed_start``: it started; ``min_start``: not before today; ``min_finish``: in review, not
    before its due day)."""

    code: str
    days: int
    requires: Mapping[str, int]
    fixed_start: int | None = None
    min_start: int | None = None
    min_finish: int | None = None


@dataclass(frozen=True, slots=True)
class ActivityInput:
    """An enterprise's or intermediary's activity: its clock, its prerequisites (steps or
    activities, with leads) and the review steps that wait for it (with leads)."""

    code: str
    clock: ActivityClock
    requires: Mapping[str, int] = field(default_factory=dict)
    required_by: Mapping[str, int] = field(default_factory=dict)
    chosen_on: date | None = None


@dataclass(frozen=True, slots=True)
class StepForecast:
    """A step on both clocks: working-day indices (``es`` … ``ef`` − 1), the end planned on both
    clocks (``plan_ef``), the working days of delay by cause, and the unfinished activity that
    holds its start, if one does."""

    es: int
    ef: int
    plan_ef: int
    delays: dict[str, int]
    waits_for: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"plan_ef": self.plan_ef, **self.delays, "waits_for": self.waits_for}


@dataclass(frozen=True)
class LiveForecast:
    """The forecast of every step (by code) and activity (its span, by code), the CPM figures of
    the steps in their given order (for slack and the critical path), and the finish's delay."""

    steps: dict[str, StepForecast]
    activities: dict[str, Span]
    cpm: Forecast
    plan_makespan: int
    finish_delays: dict[str, int]
    owners: dict[str, str] = field(default_factory=dict)  # activity code → its owner


def delays_out(found: Mapping[str, object] | None, lang: str = "zh") -> dict[str, object] | None:
    """Whose a delay is, as the pages and the API show it: working days by cause and a line
    naming the causes that delay (``None`` when the activities are not known).

    >>> delays_out({"department": 2, "enterprise": 5, "intermediary": 0})["note"]
    '企业原因 5 个工作日、部门原因 2 个工作日'
    """
    if not found:
        return None
    days = {c: int(found.get(c) or 0) for c in CAUSES}  # type: ignore[call-overload]
    order = ("enterprise", "intermediary", "department")
    if lang == "en":
        note = ", ".join(
            f"{days[c]} working day(s) by {CAUSES[c][1]}" for c in order if days[c] > 0
        )
    else:
        note = "、".join(f"{CAUSES[c][0]} {days[c]} 个工作日" for c in order if days[c] > 0)
    return {**days, "note": note}


def _topological(codes: Sequence[str], preds: Mapping[str, Sequence[str]]) -> list[str]:
    """Kahn's order (given order among ready nodes); unknown prerequisites are ignored.

    Raises
    ------
    ValueError
        The graph has a cycle (a stored plan never has one).
    """
    known = set(codes)
    indeg = {c: 0 for c in codes}
    succs: dict[str, list[str]] = {c: [] for c in codes}
    for c in codes:
        for p in preds[c]:
            if p in known:
                indeg[c] += 1
                succs[p].append(c)
    ready = [c for c in codes if indeg[c] == 0]
    order: list[str] = []
    while ready:
        u = ready.pop(0)
        order.append(u)
        for v in succs[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    if len(order) != len(codes):
        raise ValueError("the two-clock graph has a cycle")
    return order


def _shift(span: Span, start: date, a: ActivityClock, calendar: WorkCalendar | None) -> Span:
    return Span(start, _end_from(start, a.days, a.unit, calendar))


def live_forecast(
    steps: Sequence[StepInput],
    activities: Sequence[ActivityInput],
    seq: WorkdaySequence,
    today: date,
    calendar: WorkCalendar | None = None,
) -> LiveForecast:
    """Forecast the review steps and activities on both clocks, with each step's delay by cause
    (see the module's docstring).  ``seq`` is the project's working-day sequence (day 0 the first
    working day on or after the filing); ``calendar`` counts an activity's working days.

    Preconditions: the combined graph is acyclic; a step's ``requires`` and the activities'
    ``required_by`` together name every prerequisite of a step; codes unknown to both lists are
    ignored (an item bridged out of the plan).

    >>> from approvals.calendar import WorkCalendar
    >>> seq = WorkCalendar().sequence(date(2026, 3, 2))
    >>> design = ActivityInput("E-SCHEME", ActivityClock(
    ...     "enterprise", "calendar_days", 5, date(2026, 3, 2), date(2026, 3, 6), "done",
    ...     date(2026, 3, 2), date(2026, 3, 6)), required_by={"S2-01": 0})
    >>> f = live_forecast([StepInput("S2-01", 3, {}, min_start=5)], [design], seq, date(2026, 3, 9))
    >>> f.steps["S2-01"].delays, f.steps["S2-01"].waits_for   # design done: nothing waits
    ({'department': 0, 'enterprise': 0, 'intermediary': 0}, None)
    """
    by_step = {s.code: s for s in steps}
    by_act = {a.code: a for a in activities}
    preds: dict[str, dict[str, int]] = {s.code: dict(s.requires) for s in steps}
    for a in activities:
        preds[a.code] = dict(a.requires)
        for step_code, lead in a.required_by.items():
            if step_code in preds:
                preds[step_code][a.code] = lead
    codes = [s.code for s in steps] + [a.code for a in activities]
    order = _topological(codes, {c: list(preds[c]) for c in codes})
    index_of_day = seq.index_of

    # an activity not done holds back everything after it ("held": not started by today is then
    # not counted against the department in the department and enterprise runs)
    open_acts = {a.code for a in activities if a.clock.status != "done"}
    held: set[str] = set()
    for c in order:
        if any(p in open_acts or p in held for p in preds[c] if p in by_step or p in by_act):
            held.add(c)

    current = {a.code: activity_forecast(a.clock, today, calendar) for a in activities}
    results: dict[str, tuple[dict[str, int], dict[str, int], dict[str, Span], dict[str, int]]] = {}
    for run in _RUNS:
        es: dict[str, int] = {}
        ef: dict[str, int] = {}
        spans: dict[str, Span] = {}
        bound: dict[str, int] = {}  # a step's earliest start set by its activities
        for c in order:
            ready_w = 0  # working-day index (steps)
            act_w = 0
            ready_d: date | None = None  # the first calendar day (activities)
            for p, lead in preds[c].items():
                if p in by_step and p in ef:
                    w = ef[p] - lead
                    ready_w = max(ready_w, w)
                    if by_step[p].days and not lead:
                        d = seq.date_of(max(ef[p] - 1, es[p])) + timedelta(days=1)
                    else:
                        d = seq.date_of(max(w, 0))
                elif p in spans:
                    d = spans[p].end + timedelta(days=1 - lead)
                    w = index_of_day(d)
                    ready_w = max(ready_w, w)
                    act_w = max(act_w, w)
                else:
                    continue
                ready_d = d if ready_d is None or d > ready_d else ready_d
            if c in by_step:
                s = by_step[c]
                if run == "plan":
                    start, finish = ready_w, ready_w + s.days
                elif s.fixed_start is not None:
                    start = s.fixed_start
                    finish = max(start + s.days, s.min_finish or 0)
                else:
                    floor = s.min_start or 0
                    if run in {"department", "enterprise"} and c in held:
                        floor = 0  # it could not start: an activity before it is not done
                    start = max(ready_w, floor)
                    finish = max(start + s.days, s.min_finish or 0)
                es[c], ef[c] = start, finish
                bound[c] = act_w
            else:
                a = by_act[c]
                planned = Span(a.clock.planned_start, a.clock.planned_end)
                first = max(planned.start, ready_d) if ready_d else planned.start
                as_planned = _shift(planned, first, a.clock, calendar)
                now = current[c]
                started = a.clock.status != "not_started"
                if not started and ready_d and ready_d > now.start:
                    now = _shift(now, ready_d, a.clock, calendar)
                if run in {"plan", "department"}:
                    span = as_planned
                elif run == "both" or a.clock.owner == "enterprise":
                    span = now
                else:  # the enterprise's share of an intermediary's delay: chosen late
                    began = a.chosen_on or (
                        a.clock.actual_start if started and a.clock.actual_start else today
                    )
                    late = max((began - as_planned.start).days, 0)
                    end = min(as_planned.end + timedelta(days=late), max(now.end, as_planned.end))
                    span = Span(min(as_planned.start + timedelta(days=late), end), end)
                spans[c] = span
        results[run] = (es, ef, spans, bound)

    es_c, ef_c, spans_c, bound_c = results["both"]
    index = {s.code: i for i, s in enumerate(steps)}
    succs: list[list[tuple[int, int]]] = [[] for _ in steps]
    for s in steps:
        for p, lead in s.requires.items():
            if p in index:
                succs[index[p]].append((index[s.code], lead))
    cpm = forecast_indexed(
        [s.days for s in steps],
        succs,
        fixed_start={i: s.fixed_start for i, s in enumerate(steps) if s.fixed_start is not None},
        min_start={
            i: max(s.min_start or 0, bound_c[s.code])
            for i, s in enumerate(steps)
            if s.fixed_start is None
        },
        min_finish={i: s.min_finish for i, s in enumerate(steps) if s.min_finish is not None},
    )
    if cpm is None:
        raise ValueError("the review steps' graph has a cycle")

    def by_cause(ends: list[int]) -> dict[str, int]:
        return {cause: ends[k + 1] - ends[k] for k, cause in enumerate(CAUSES)}

    out: dict[str, StepForecast] = {}
    for s in steps:
        c = s.code
        ends = [results[run][1][c] for run in _RUNS]
        waits = None
        if s.fixed_start is None and bound_c[c] and bound_c[c] >= max(s.min_start or 0, 0):
            holding = [
                p
                for p, lead in preds[c].items()
                if p in open_acts
                and p in spans_c
                and index_of_day(spans_c[p].end + timedelta(days=1 - lead)) == bound_c[c]
            ]
            waits = holding[0] if holding and bound_c[c] == es_c[c] else None
        out[c] = StepForecast(es_c[c], ef_c[c], ends[0], by_cause(ends), waits)
    makespans = [max(results[run][1].values(), default=0) for run in _RUNS]
    return LiveForecast(
        out,
        spans_c,
        cpm,
        makespans[0],
        by_cause(makespans),
        {a.code: a.clock.owner for a in activities},
    )


# --- each activity's forecast after the review steps it waits for ----------------------------


@dataclass(frozen=True, slots=True)
class StepEnd:
    """A review step's forecast as stored after the last re-plan: working-day indices of the
    project's sequence (``es`` … ``ef`` − 1), its length in working days, and whose its delay
    is (working days by cause, ``StepRow.clock_delays``; none known: the departments')."""

    es: int
    ef: int
    days: int
    delays: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class ActivityPush:
    """An activity's forecast on the graph (施工 after a late 施工许可): ``span`` no earlier than
    the forecast finish of what it waits for; ``own`` its own forecast
    (:func:`approvals.activities.forecast`); ``days`` the calendar days ``span`` ends after its
    plan, by cause (部门原因、企业原因、中介原因); ``waits_for`` the step or activity that holds
    its start, when one does."""

    span: Span
    own: Span
    days: dict[str, int]
    waits_for: str | None = None

    @property
    def pushed(self) -> int:
        """Calendar days what it waits for moves its end past its own forecast."""
        return max((self.span.end - self.own.end).days, 0)


def _ready(
    preds: Mapping[str, int],
    ends: Mapping[str, StepEnd],
    spans: Mapping[str, Span],
    seq: WorkdaySequence,
) -> tuple[date | None, str | None]:
    """The first day everything in ``preds`` allows (the same rule as :func:`live_forecast`)
    and which prerequisite sets it."""
    best: tuple[date | None, str | None] = (None, None)
    for p, lead in preds.items():
        if p in ends:
            e = ends[p]
            if e.days and not lead:
                d = seq.date_of(max(e.ef - 1, e.es)) + timedelta(days=1)
            else:
                d = seq.date_of(max(e.ef - lead, 0))
        elif p in spans:
            d = spans[p].end + timedelta(days=1 - lead)
        else:
            continue
        if best[0] is None or d > best[0]:
            best = (d, p)
    return best


def split(total: int, weights: Mapping[str, int]) -> dict[str, int] | None:
    """``total`` shared among the causes in proportion to ``weights`` (largest remainders);
    ``None`` when no weight is positive.

    >>> split(10, {"department": 3, "enterprise": 1, "intermediary": 0})
    {'department': 8, 'enterprise': 2, 'intermediary': 0}
    """
    w = {c: max(int(weights.get(c) or 0), 0) for c in CAUSES}
    whole = sum(w.values())
    if whole <= 0:
        return None
    out = {c: total * w[c] // whole for c in CAUSES}
    rest = total - sum(out.values())
    for c in sorted(CAUSES, key=lambda c: -(total * w[c] % whole))[:rest]:
        out[c] += 1
    return out


def pushed_activities(
    activities: Sequence[ActivityInput],
    step_ends: Mapping[str, StepEnd],
    seq: WorkdaySequence,
    today: date,
    calendar: WorkCalendar | None = None,
) -> dict[str, ActivityPush]:
    """Each activity's forecast on the graph: an activity not started starts no earlier than
    the forecast finish of the review steps (``step_ends``) and activities it waits for (its
    ``requires``), and its whole length runs from there; started or done, its own forecast.

    Whose the days past its plan are: held by a review step, as that step's delay is (its
    ``delays``; none known or none late: 部门原因 — it could not start before the review was
    done); held by an earlier activity, as that activity's are; held by nothing, its own
    (:func:`approvals.activities.delay_shares`: an intermediary not chosen is the
    enterprise's).  ``seq`` is the project's working-day sequence.

    >>> from approvals.calendar import WorkCalendar
    >>> seq = WorkCalendar().sequence(date(2026, 3, 2))   # Monday, working day 0
    >>> build = ActivityInput("E-BUILD", ActivityClock(
    ...     "enterprise", "calendar_days", 30, date(2026, 3, 16), date(2026, 4, 14)),
    ...     requires={"S4-01": 0})
    >>> late = {"S4-01": StepEnd(15, 20, 5)}   # 施工许可 forecast to end Friday 27 March
    >>> f = pushed_activities([build], late, seq, date(2026, 3, 2))["E-BUILD"]
    >>> f.span.start, f.own.start, f.waits_for, f.pushed
    (datetime.date(2026, 3, 28), datetime.date(2026, 3, 16), 'S4-01', 12)
    >>> f.days
    {'department': 12, 'enterprise': 0, 'intermediary': 0}
    """
    codes = [a.code for a in activities]
    known = set(codes)
    order = _topological(codes, {a.code: [p for p in a.requires if p in known] for a in activities})
    by_code = {a.code: a for a in activities}
    spans: dict[str, Span] = {}
    out: dict[str, ActivityPush] = {}
    for c in order:
        a = by_code[c]
        own = activity_forecast(a.clock, today, calendar)
        ready, by = _ready(a.requires, step_ends, spans, seq)
        held = a.clock.status == "not_started" and ready is not None and ready > own.start
        span = _shift(own, ready, a.clock, calendar) if held and ready else own
        spans[c] = span
        total = max((span.end - a.clock.planned_end).days, 0)
        days: dict[str, int] | None = None
        if held and by is not None and by in step_ends:
            days = split(total, step_ends[by].delays or {}) or {
                **dict.fromkeys(CAUSES, 0),
                "department": total,
            }
        elif held and by is not None and by in out:
            days = split(total, out[by].days)
        if days is None:
            shares = delay_shares(a.clock, today, calendar, a.chosen_on)
            days = split(total, shares) or {**dict.fromkeys(CAUSES, 0), a.clock.owner: total}
        out[c] = ActivityPush(span, own, days, by if held else None)
    return {a.code: out[a.code] for a in activities}
