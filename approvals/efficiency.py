"""Efficiency statistics (效能统计), the pure part: working days on the government's clock,
percentiles over histograms, rates, and the reform's targets.

The statistics queries (:mod:`approvals.services.statistics`) let the database group tasks by
item, department and elapsed working days; what comes back is a *histogram* (value → count),
small however many tasks there are.  The percentiles here are PostgreSQL's ``percentile_cont``
(linear interpolation between the two nearest ranks) computed exactly from such a histogram.

>>> h = histogram([3, 1, 2, 2, 10])
>>> h
{1: 1, 2: 2, 3: 1, 10: 1}
>>> percentile(h, 0.5), percentile(h, 0.9)
(2.0, 7.2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from approvals.calendar import WorkCalendar

#: Zhejiang's target for a 标准地 project: 赋码 → 施工许可 within 100 calendar days.
TARGET_CODE_TO_PERMIT_DAYS = 100
#: 国办发〔2019〕11号: approval time of a project within 120 working days.
TARGET_APPROVAL_WORKDAYS = 120

#: The mechanisms whose savings the statistics add up, in display order (the first four are the
#: plan's :data:`approvals.plan_output.MECHANISM_NAMES`; 容缺 is measured on the tasks).
MECHANISMS: dict[str, tuple[str, str]] = {
    "waivers": ("标准地区域评价免审/承诺", "standard-plot waivers"),
    "early_starts": ("模拟审查/提前介入", "early starts"),
    "merges": ("合并审查", "merged reviews"),
    "splits": ("分步审批（桩基先行）", "split approvals"),
    "deferrals": ("容缺受理", "acceptance with deferred materials (容缺)"),
}


def approval_workdays(
    calendar: WorkCalendar, accepted_on: date, decided_on: date, stopped_days: int = 0
) -> int:
    """Working days a task spent on the government's clock: the acceptance day is day 1 (as
    :func:`approvals.workflow.due_date` counts), the decision day is counted, the days the clock
    stood still (补正, special procedures) are not.

    >>> cal = WorkCalendar(builtin=False)
    >>> approval_workdays(cal, date(2026, 3, 2), date(2026, 3, 2))   # decided the day it was accepted
    1
    >>> approval_workdays(cal, date(2026, 3, 2), date(2026, 3, 9))   # Monday to next Monday
    6
    >>> approval_workdays(cal, date(2026, 3, 2), date(2026, 3, 9), stopped_days=2)
    4
    """
    days = calendar.workdays_between(accepted_on, decided_on + timedelta(days=1))
    return max(days - stopped_days, 0)


def waiting_workdays(calendar: WorkCalendar, ready_on: date, accepted_on: date) -> int:
    """Working days an application waited for acceptance (ready → 受理; 0 when taken the same day).

    >>> waiting_workdays(WorkCalendar(builtin=False), date(2026, 3, 6), date(2026, 3, 9))  # Fri → Mon
    1
    """
    return max(calendar.workdays_between(ready_on, accepted_on), 0)


def histogram(values: Iterable[int]) -> dict[int, int]:
    """value → count, sorted by value."""
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items()))


def merge(into: dict[int, int], other: Mapping[int, int]) -> dict[int, int]:
    """Add ``other``'s counts to ``into`` (returned).

    >>> merge({1: 2}, {1: 1, 4: 1})
    {1: 3, 4: 1}
    """
    for v, n in other.items():
        into[v] = into.get(v, 0) + n
    return into


def percentile(counts: Mapping[int, int], fraction: float) -> float | None:
    """``percentile_cont(fraction)`` of the values a histogram counts (``None`` when empty).

    Ranks are 0 … n-1; the value at rank ``fraction·(n-1)`` interpolates linearly between its
    neighbours, as PostgreSQL does.

    >>> percentile({5: 1}, 0.9)
    5.0
    >>> percentile({1: 1, 2: 1, 3: 1, 4: 1}, 0.5)
    2.5
    >>> percentile({}, 0.5) is None
    True
    >>> percentile({1: 9, 100: 1}, 0.9)  # rank 8.1: between the ninth 1 and the 100
    10.9
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    items = sorted((v, n) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in items)
    if total == 0:
        return None
    rank = fraction * (total - 1)
    low = int(rank)
    weight = rank - low

    def at(r: int) -> int:
        seen = 0
        for v, n in items:
            seen += n
            if r < seen:
                return v
        return items[-1][0]

    a = at(low)
    if weight == 0:
        return float(a)
    b = at(low + 1)
    return round(a + (b - a) * weight, 6)


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places (``None`` when there is no whole).

    >>> rate(1, 3), rate(0, 0)
    (0.3333, None)
    """
    return round(part / whole, 4) if whole else None


def mean(total: float, count: int) -> float | None:
    """>>> mean(7, 2), mean(0, 0)
    (3.5, None)
    """
    return round(total / count, 2) if count else None


@dataclass
class Bucket:
    """The figures of one item, one department or the whole administration, added up from the
    database's groups (each group: the tasks of one item and department that took the same
    number of working days)."""

    cases: int = 0  # decided tasks
    approved: int = 0
    rejected: int = 0
    on_time: int = 0
    overdue: int = 0
    workdays: dict[int, int] = field(default_factory=dict)  # histogram of approval working days
    waited: int = 0  # tasks with a waiting time (ready → accepted)
    wait_total: int = 0  # their working days
    stopped_tasks: int = 0  # tasks whose clock stood still (补正, special procedures)
    stopped_total: int = 0  # working days it stood still
    corrected_tasks: int = 0  # tasks asked for 补正 at least once
    correction_rounds: int = 0  # 补正 notices
    committed_days: int | None = None  # the catalogue's 承诺时限 (working days)
    statutory_days: int | None = None  # 法定时限
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))

    def add_group(
        self,
        *,
        workdays: int | None,
        count: int,
        approved: int,
        on_time: int,
        waited: int,
        wait_total: int,
        stopped_tasks: int,
        stopped_total: int,
    ) -> None:
        self.cases += count
        self.approved += approved
        self.rejected += count - approved
        self.on_time += on_time
        self.overdue += count - on_time
        if workdays is not None:
            self.workdays[workdays] = self.workdays.get(workdays, 0) + count
        self.waited += waited
        self.wait_total += wait_total
        self.stopped_tasks += stopped_tasks
        self.stopped_total += stopped_total

    def figures(self) -> dict[str, object]:
        """The bucket as the statistics answer it (rates in [0, 1], days in working days).

        >>> b = Bucket(committed_days=5, statutory_days=20)
        >>> b.add_group(workdays=3, count=3, approved=3, on_time=3, waited=3, wait_total=3,
        ...             stopped_tasks=1, stopped_total=2)
        >>> b.add_group(workdays=7, count=1, approved=0, on_time=0, waited=1, wait_total=0,
        ...             stopped_tasks=0, stopped_total=0)
        >>> f = b.figures()
        >>> f["cases"], f["median_workdays"], f["p90_workdays"], f["on_time_rate"], f["overdue_rate"]
        (4, 3.0, 5.8, 0.75, 0.25)
        >>> f["within_committed_rate"], f["within_statutory_rate"], f["mean_wait_workdays"]
        (0.75, 1.0, 0.75)
        """
        within_committed = (
            sum(n for v, n in self.workdays.items() if v <= self.committed_days)
            if self.committed_days is not None
            else None
        )
        within_statutory = (
            sum(n for v, n in self.workdays.items() if v <= self.statutory_days)
            if self.statutory_days is not None
            else None
        )
        measured = sum(self.workdays.values())
        rated = sum(self.ratings.values())
        return {
            "cases": self.cases,
            "approved": self.approved,
            "rejected": self.rejected,
            "median_workdays": percentile(self.workdays, 0.5),
            "p90_workdays": percentile(self.workdays, 0.9),
            "max_workdays": max(self.workdays) if self.workdays else None,
            "committed_days": self.committed_days,
            "statutory_days": self.statutory_days,
            "within_committed_rate": rate(within_committed, measured)
            if within_committed is not None
            else None,
            "within_statutory_rate": rate(within_statutory, measured)
            if within_statutory is not None
            else None,
            "on_time": self.on_time,
            "overdue": self.overdue,
            "on_time_rate": rate(self.on_time, self.cases),
            "overdue_rate": rate(self.overdue, self.cases),
            "mean_wait_workdays": mean(self.wait_total, self.waited),
            "correction_rate": rate(self.corrected_tasks, self.cases),
            "correction_rounds": self.correction_rounds,
            "mean_correction_rounds": mean(self.correction_rounds, self.corrected_tasks),
            "stopped_tasks": self.stopped_tasks,
            "stopped_days": self.stopped_total,
            "ratings": [self.ratings[g] for g in range(1, 6)],
            "rated": rated,
            "rating_average": mean(sum(g * n for g, n in self.ratings.items()), rated),
            "bad_ratings": self.ratings[1] + self.ratings[2],
        }


@dataclass(frozen=True)
class ProjectFacts:
    """What the statistics need of a project, computed when a decision changes it."""

    approval_workdays: int | None  # 审批用时 so far (stage by stage, clocks stopped excluded)
    coded_on: date | None  # 赋码
    permit_on: date | None  # 施工许可
    completed_on: date | None  # 竣工验收


@dataclass(frozen=True)
class TaskSpan:
    """A decided or running task's dates, as :func:`project_approval_workdays` reads them."""

    stage: int
    accepted_on: date | None
    decided_on: date | None
    stopped_days: int = 0


def project_approval_workdays(
    calendar: WorkCalendar, tasks: Iterable[TaskSpan], today: date | None = None
) -> int | None:
    """A project's approval time on the government's clock, counted stage by stage as
    国办发〔2019〕11号 does: each stage from its first acceptance (受理) to its last decision, in
    working days (both ends counted), less the longest clock stop among its tasks (the time the
    enterprise held the file for 补正, or experts for a special procedure); the time between
    stages (the enterprise's design and preparation) is not approval time.  A stage still under
    way counts up to ``today``; ``None`` when nothing was accepted yet.

    >>> cal = WorkCalendar(builtin=False)
    >>> spans = [TaskSpan(1, date(2026, 3, 2), date(2026, 3, 4)),       # stage 1: Mon → Wed, 3 days
    ...          TaskSpan(1, date(2026, 3, 3), date(2026, 3, 6), 1),    # … → Fri, one day stopped
    ...          TaskSpan(2, date(2026, 4, 1), date(2026, 4, 1))]       # stage 2: one day
    >>> project_approval_workdays(cal, spans)
    5
    >>> project_approval_workdays(cal, []) is None
    True
    """
    stages: dict[int, tuple[date, date, int]] = {}
    for t in tasks:
        if t.accepted_on is None:
            continue
        end = t.decided_on or today or t.accepted_on
        lo, hi, stop = stages.get(t.stage, (t.accepted_on, end, 0))
        stages[t.stage] = (min(lo, t.accepted_on), max(hi, end), max(stop, t.stopped_days))
    if not stages:
        return None
    return sum(approval_workdays(calendar, lo, hi, stop) for lo, hi, stop in stages.values())


def code_to_permit_days(coded_on: date | None, permit_on: date | None) -> int | None:
    """Calendar days from 赋码 to 施工许可 (Zhejiang's 标准地 target: 100).

    >>> code_to_permit_days(date(2026, 1, 5), date(2026, 4, 10))
    95
    """
    return (permit_on - coded_on).days if coded_on and permit_on else None


def milestone_dates(
    marks: Mapping[str, str], steps: Iterable[tuple[Iterable[str], str, date | None]]
) -> dict[str, date | None]:
    """The actual dates of the catalogue's milestones (赋码, 施工许可, 竣工验收): ``marks`` maps a
    milestone to the item marking it; ``steps`` are ``(items, status, actual_end)``.  A milestone
    is reached when every step carrying its item (itself, its merged review, every split part) is
    done, on the last of their ends.

    >>> marks = {"project_code": "S1-01", "construction_permit": "S3-01"}
    >>> steps = [(["S1-01"], "done", date(2026, 1, 5)), (["S3-01"], "done", date(2026, 3, 2)),
    ...          (["S3-01"], "in_progress", None)]     # a split part still under way
    >>> milestone_dates(marks, steps)
    {'project_code': datetime.date(2026, 1, 5), 'construction_permit': None}
    """
    wanted = {code: name for name, code in marks.items()}
    out: dict[str, date | None] = dict.fromkeys(marks)
    open_: set[str] = set()
    for items, status, end in steps:
        for code in items:
            name = wanted.get(code)
            if name is None:
                continue
            if status != "done" or end is None:
                open_.add(name)
                continue
            current = out[name]
            out[name] = end if current is None else max(current, end)
    for name in open_:
        out[name] = None
    return out
