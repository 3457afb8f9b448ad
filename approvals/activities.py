"""The enterprise's and intermediaries' clock on a live project (企业自身用时、中介服务用时).

A filed project's activities that are not government reviews — 方案设计, construction, 试生产
(the enterprise's), 测绘, report writing, 施工图 (an intermediary's) — are planned at filing on the
two-clock plan and then followed apart from the departments' tasks: their owner reports progress
(started, finished; an intermediary delivers its report), and a delay on them is the owner's,
never a department's.  An intermediary's time is measured like a department's: working days from
the day it was chosen (day 1) to its delivery, against the working days it committed to.

Pure: plain values and the working-day calendar; no database, no web.

>>> from datetime import date
>>> a = ActivityClock("enterprise", "calendar_days", 20, date(2026, 3, 13), date(2026, 4, 1))
>>> forecast(a, date(2026, 3, 20)).end  # not started a week late: 20 days from today
datetime.date(2026, 4, 8)
>>> delay_days(a, date(2026, 3, 20))
7
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from approvals.calendar import WorkCalendar
from approvals.errors import ProjectError
from approvals.workflow import due_date

#: An activity's states, in order.
STATUSES: dict[str, tuple[str, str]] = {
    "not_started": ("未开始", "not started"),
    "in_progress": ("进行中", "in progress"),
    "done": ("已完成", "done"),
}
#: Who a delay on an activity belongs to (never a department).
DELAY_OWNERS: dict[str, tuple[str, str]] = {
    "enterprise": ("企业自身用时", "the enterprise's own time"),
    "intermediary": ("中介服务用时", "the intermediary's time"),
}
#: An intermediary's delivery against its committed days.
SERVICE_STATES: dict[str, tuple[str, str]] = {
    "not_chosen": ("未选择中介", "no intermediary chosen"),
    "running": ("服务中", "in service"),
    "due_today": ("今日到期", "due today"),
    "overdue": ("已超期", "overdue"),
    "on_time": ("按时交付", "delivered on time"),
    "late": ("超期交付", "delivered late"),
}

#: 督办 of an intermediary past its committed days (once per activity and level).
SUPERVISION_LEVELS: dict[str, tuple[str, str]] = {
    "overdue": ("超期督办", "overdue"),
    "overdue_5": ("超期 5 个工作日以上，再次督办", "overdue 5 working days or more"),
}
#: Working days past the due day that raise the second level.
SECOND_LEVEL_WORKDAYS = 5


class ActivityError(ProjectError):
    """A progress report refused: the message names the activity and what is wrong."""


@dataclass(frozen=True, slots=True)
class ActivityClock:
    """An activity's plan and progress; ``unit`` is ``calendar_days`` or ``workdays``."""

    owner: str
    unit: str
    days: int
    planned_start: date
    planned_end: date
    status: str = "not_started"
    actual_start: date | None = None
    actual_end: date | None = None


@dataclass(frozen=True, slots=True)
class Span:
    start: date
    end: date


def _end_from(start: date, days: int, unit: str, calendar: WorkCalendar | None) -> date:
    """The last day of ``days`` days from ``start`` (day 1); working days need the calendar."""
    if unit == "workdays" and calendar is not None:
        return due_date(calendar, start, days)
    return start + timedelta(days=max(days - 1, 0))


def forecast(a: ActivityClock, today: date, calendar: WorkCalendar | None = None) -> Span:
    """Where the activity starts and ends as things stand on ``today``: done, its actual dates;
    running, no earlier than its planned end, its full duration or today; not started and past its
    planned start, its full duration from today; otherwise its plan.

    >>> a = ActivityClock("enterprise", "calendar_days", 10, date(2026, 3, 1), date(2026, 3, 10))
    >>> forecast(a, date(2026, 2, 1))
    Span(start=datetime.date(2026, 3, 1), end=datetime.date(2026, 3, 10))
    >>> forecast(replace(a, status="in_progress", actual_start=date(2026, 3, 5)), date(2026, 3, 6)).end
    datetime.date(2026, 3, 14)
    """
    if a.status == "done" and a.actual_start and a.actual_end:
        return Span(a.actual_start, a.actual_end)
    if a.status == "in_progress" and a.actual_start:
        end = max(a.planned_end, _end_from(a.actual_start, a.days, a.unit, calendar), today)
        return Span(a.actual_start, end)
    if today > a.planned_start:
        return Span(today, _end_from(today, a.days, a.unit, calendar))
    return Span(a.planned_start, a.planned_end)


def delay_days(a: ActivityClock, today: date, calendar: WorkCalendar | None = None) -> int:
    """Calendar days the activity ends (or will end) after its planned end; 0 when on time.

    >>> a = ActivityClock("intermediary", "calendar_days", 10, date(2026, 3, 3), date(2026, 3, 12))
    >>> delay_days(replace(a, status="done", actual_start=date(2026, 3, 3), actual_end=date(2026, 3, 15)), date(2026, 4, 1))
    3
    """
    return max((forecast(a, today, calendar).end - a.planned_end).days, 0)


def delay_shares(
    a: ActivityClock,
    today: date,
    calendar: WorkCalendar | None = None,
    chosen_on: date | None = None,
) -> dict[str, int]:
    """Whose the activity's delay is (calendar days, by owner).  An enterprise's activity: all
    the enterprise's.  An intermediary's: the days it started late because no intermediary was
    chosen yet are the enterprise's (it commissions the service), the rest the intermediary's.

    >>> a = ActivityClock("intermediary", "calendar_days", 10, date(2026, 3, 3), date(2026, 3, 12))
    >>> delay_shares(a, date(2026, 3, 8))  # nobody chosen five days after the planned start
    {'enterprise': 5, 'intermediary': 0}
    >>> late = replace(a, status="done", actual_start=date(2026, 3, 5), actual_end=date(2026, 3, 20))
    >>> delay_shares(late, date(2026, 3, 25), chosen_on=date(2026, 3, 5))
    {'enterprise': 2, 'intermediary': 6}
    """
    total = delay_days(a, today, calendar)
    out = dict.fromkeys(DELAY_OWNERS, 0)
    if a.owner != "intermediary":
        out[a.owner] = total
        return out
    began = chosen_on or (a.actual_start if a.status != "not_started" else None) or today
    enterprise = min(max((began - a.planned_start).days, 0), total)
    out["enterprise"], out["intermediary"] = enterprise, total - enterprise
    return out


def delays_by_owner(
    clocks: Iterable[tuple[ActivityClock, date | None]],
    today: date,
    calendar: WorkCalendar | None = None,
) -> dict[str, int]:
    """The largest delay (calendar days) each owner causes on any of the activities, each given
    with the day its intermediary was chosen (``None`` for the enterprise's own).

    >>> e = ActivityClock("enterprise", "calendar_days", 5, date(2026, 3, 1), date(2026, 3, 5))
    >>> delays_by_owner([(e, None)], date(2026, 3, 4))
    {'enterprise': 3, 'intermediary': 0}
    """
    out = dict.fromkeys(DELAY_OWNERS, 0)
    for c, chosen_on in clocks:
        for owner, days in delay_shares(c, today, calendar, chosen_on).items():
            out[owner] = max(out[owner], days)
    return out


def _name(code: str) -> str:
    return f"活动 {code}"


def start(a: ActivityClock, code: str, on: date, filed_on: date, today: date) -> ActivityClock:
    """The owner reports the activity started on ``on`` (not before filing, not in the future).

    Raises
    ------
    ActivityError
        Already started or done; ``on`` before the filing or after today.
    """
    if a.status != "not_started":
        raise ActivityError(
            f"{_name(code)}已开始或已完成，不能再次开始",
            f"activity {code} has already started or is done",
        )
    _check_day(code, on, filed_on, today)
    return replace(a, status="in_progress", actual_start=on)


def finish(
    a: ActivityClock,
    code: str,
    on: date,
    filed_on: date,
    today: date,
    started_on: date | None = None,
) -> ActivityClock:
    """The owner reports the activity finished on ``on``; one not yet reported started starts on
    ``started_on`` (else the same day).

    Raises
    ------
    ActivityError
        Already done; a day before the filing, after today, or an end before its start.
    """
    if a.status == "done":
        raise ActivityError(f"{_name(code)}已完成", f"activity {code} is already done")
    _check_day(code, on, filed_on, today)
    begun = a.actual_start if a.status == "in_progress" else (started_on or on)
    assert begun is not None
    _check_day(code, begun, filed_on, today)
    if on < begun:
        raise ActivityError(
            f"on：{_name(code)}的完成日期 {on} 早于开始日期 {begun}",
            f"on: activity {code} cannot finish on {on}, before it started on {begun}",
        )
    return replace(a, status="done", actual_start=begun, actual_end=on)


def _check_day(code: str, on: date, filed_on: date, today: date) -> None:
    if on < filed_on:
        raise ActivityError(
            f"on：{_name(code)}的日期 {on} 早于项目申报日 {filed_on}",
            f"on: {on} for activity {code} is before the project was filed ({filed_on})",
        )
    if on > today:
        raise ActivityError(
            f"on：{_name(code)}的日期 {on} 晚于今天 {today}",
            f"on: {on} for activity {code} is in the future (today is {today})",
        )


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """An intermediary's time on an activity, measured like a department's clock."""

    state: str  # a key of SERVICE_STATES
    due_on: date | None = None
    workdays_used: int | None = None
    overdue_workdays: int = 0


def service_time(
    chosen_on: date | None,
    committed_days: int | None,
    delivered_on: date | None,
    today: date,
    calendar: WorkCalendar,
) -> ServiceTime:
    """Working days from the day the intermediary was chosen (day 1) to its delivery (or today),
    against its committed days: due on the last of them, overdue after.

    >>> cal = WorkCalendar()
    >>> t = service_time(date(2026, 3, 2), 5, date(2026, 3, 9), date(2026, 3, 20), cal)
    >>> t.state, t.due_on, t.workdays_used, t.overdue_workdays
    ('late', datetime.date(2026, 3, 6), 6, 1)
    >>> service_time(date(2026, 3, 2), 5, None, date(2026, 3, 4), cal).state
    'running'
    """
    if chosen_on is None or committed_days is None:
        return ServiceTime("not_chosen")
    due = due_date(calendar, chosen_on, committed_days)
    until = delivered_on or today
    used = calendar.workdays_between(chosen_on, until + timedelta(days=1))
    over = max(calendar.workdays_between(due, until), 0) if until > due else 0
    if delivered_on is not None:
        return ServiceTime("on_time" if delivered_on <= due else "late", due, used, over)
    state = "overdue" if today > due else "due_today" if today == due else "running"
    return ServiceTime(state, due, used, over)


def supervision_levels(t: ServiceTime) -> list[str]:
    """The 督办 levels an intermediary's time has reached: past its due day and not delivered,
    ``overdue``; :data:`SECOND_LEVEL_WORKDAYS` working days or more past, ``overdue_5`` too.
    Delivered (even late) or not yet due: none.

    >>> supervision_levels(ServiceTime("overdue", date(2026, 3, 6), 8, 2))
    ['overdue']
    >>> supervision_levels(ServiceTime("overdue", date(2026, 3, 6), 11, 5))
    ['overdue', 'overdue_5']
    >>> supervision_levels(ServiceTime("late", date(2026, 3, 6), 11, 5))
    []
    """
    if t.state != "overdue":
        return []
    return ["overdue"] + (["overdue_5"] if t.overdue_workdays >= SECOND_LEVEL_WORKDAYS else [])


@dataclass(frozen=True, slots=True)
class Offer:
    """An organisation in the 中介超市 for one service: its committed days and rating."""

    intermediary_id: int
    name: str
    committed_days: int
    rating: float | None  # the average of the enterprises' ratings, None before any
    ratings: int


def market(
    organisations: Iterable[tuple[int, str, Mapping[str, int], bool]],
    code: str,
    ratings: Mapping[int, tuple[float, int]],
) -> list[Offer]:
    """The active organisations qualified for service ``code``: best rated first (unrated last),
    then fewest committed days, then name.

    ``organisations`` are (id, name, services {code: committed days}, active); ``ratings`` maps an
    organisation to (average, count).

    >>> orgs = [(1, "甲", {"I-EIA": 20}, True), (2, "乙", {"I-EIA": 15}, True), (3, "丙", {"I-SURVEY": 5}, True)]
    >>> [o.name for o in market(orgs, "I-EIA", {1: (4.5, 2)})]
    ['甲', '乙']
    """
    offers = [
        Offer(oid, name, int(services[code]), *(ratings.get(oid) or (None, 0)))
        for oid, name, services, active in organisations
        if active and code in services
    ]
    return sorted(
        offers,
        key=lambda o: (o.rating is None, -(o.rating or 0), o.committed_days, o.name),
    )


def average(scores: Iterable[int]) -> tuple[float, int] | None:
    """The average score (to one decimal) and the count, or ``None`` without scores.

    >>> average([5, 4, 4])
    (4.3, 3)
    """
    values = list(scores)
    return (round(sum(values) / len(values), 1), len(values)) if values else None
