"""The review workflow (并联审批) as pure rules: task states, clocks and transitions.

A *step* is a node of the project's plan (an item, a part of a split item, or a merged review);
a *task* is one department's work on a step.  A merged review (联合审查) has one task per member
department and completes when every one of them has approved; any other step has one task.

Task states::

    waiting ──(prerequisites done)──▶ ready ──accept──▶ in_review ──approve──▶ approved
                                        │                 │  ▲   └──reject──▶ rejected
                                        │                 ▼  │
                                        │          corrections (补正, clock stopped)
                                        │          special     (特别程序, clock stopped)
                                        ├──reject──▶ rejected
                                        ├──refuse──▶ refused (不予受理)
                                        └──intake corrections──▶ corrections ──supply──▶ ready

受理前一次性告知补正: a ready task whose application lacks materials is sent back once, naming
every missing material; the intake clock (受理时限, :data:`INTAKE_DAYS` working days from the task
becoming ready or from the last supply) stops until the enterprise supplies them.  不予受理
(refused: the application is not taken in) differs from 不予许可 (rejected: refused after review).

Clock (in working days, as the plan counts them): a task accepted on working day ``a`` with a
committed limit of ``d`` days is due at the end of working day ``a + d − 1``, pushed back by every
working day its clock was stopped (补正, expert review, hearing, testing: 行政许可法第四十五条).
It is *overdue* after its due day, in *warning* when two working days or fewer are left or its
slack in the live plan is overrun (the item runs late), *normal* otherwise; a task not started yet is *idle* (no
warning for a critical item that is merely waiting its turn).

容缺受理: a task may be accepted with deferrable materials missing; each gets a deadline.  Past
its deadline and still missing, the task is *blocked*: it cannot be approved until supplied.

Every function here is pure: it takes the current values and returns the new ones, or raises
:class:`WorkflowError` naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from approvals.calendar import WorkCalendar
from approvals.errors import ApprovalsError
from i18n import Conflict, Invalid

TaskStatus = Literal[
    "waiting", "ready", "in_review", "corrections", "special", "approved", "rejected", "refused"
]
OPEN_STATUSES: frozenset[str] = frozenset({"ready", "in_review", "corrections", "special"})
CLOCK_STOPPED: frozenset[str] = frozenset({"corrections", "special"})
SPECIAL_PROCEDURES: dict[str, tuple[str, str]] = {
    "expert_review": ("专家评审", "expert review"),
    "hearing": ("听证", "hearing"),
    "testing": ("检验检测", "testing"),
    "inspection": ("现场核查", "site inspection"),
    "public_notice": ("公示", "public notice"),
}
STATUS_NAMES: dict[str, tuple[str, str]] = {
    "waiting": ("等待前置事项", "waiting for prerequisites"),
    "ready": ("待受理", "ready for intake"),
    "in_review": ("审查中", "in review"),
    "corrections": ("补正中（计时暂停）", "corrections requested (clock stopped)"),
    "special": ("特别程序（计时暂停）", "special procedure (clock stopped)"),
    "approved": ("已办结", "approved"),
    "rejected": ("不予许可", "rejected"),
    "refused": ("不予受理", "refused at intake"),
}
CLOSED_STATUSES: frozenset[str] = frozenset({"approved", "rejected", "refused"})
#: 受理时限: working days to accept or refuse an application (or ask once for its missing
#: materials), counted from the day after it became ready or was last supplied.
INTAKE_DAYS = 2
ClockState = Literal["normal", "warning", "overdue", "stopped", "done", "idle"]
WARNING_DAYS = 2


class WorkflowError(ApprovalsError, Conflict):
    """An action that the task's state or the rules do not allow (a conflict with the state)."""


class MaterialsMissing(Invalid, WorkflowError):
    """Essential materials are missing; ``codes`` names them.

    ``Invalid`` comes first (before the ``Conflict`` of every other workflow error): the fix is
    in what the caller sends (attach the materials), so adapters answer 422, not 409."""

    def __init__(self, codes: Iterable[str], names: Mapping[str, str] | None = None) -> None:
        self.codes = sorted(codes)
        shown = "、".join(f"{c}（{names[c]}）" if names and c in names else c for c in self.codes)
        super().__init__(
            f"缺少必要材料：{shown}", f"essential materials missing: {', '.join(self.codes)}"
        )


@dataclass(frozen=True)
class Deferral:
    """A material accepted as missing (容缺) with its deadline."""

    code: str
    due_on: date
    supplied_on: date | None = None


@dataclass(frozen=True)
class TaskClock:
    """The clock-related facts of a task."""

    status: TaskStatus
    days: int  # committed limit (working days)
    ready_on: date | None = None
    accepted_on: date | None = None
    due_on: date | None = None
    decided_on: date | None = None
    stopped_since: date | None = None
    stopped_days: int = 0
    deferrals: tuple[Deferral, ...] = field(default_factory=tuple)


def _require(clock: TaskClock, allowed: Iterable[str], action: tuple[str, str]) -> None:
    if clock.status not in allowed:
        zh, en = STATUS_NAMES[clock.status]
        raise WorkflowError(
            f"当前状态为“{zh}”，不能{action[0]}", f"cannot {action[1]}: the task is {en}"
        )


def due_date(calendar: WorkCalendar, accepted_on: date, days: int, stopped_days: int = 0) -> date:
    """The last working day of a limit of ``days`` counted from the acceptance day (day 1)."""
    return calendar.sequence(accepted_on).date_of(max(days - 1, 0) + stopped_days)


def make_ready(clock: TaskClock, on: date) -> TaskClock:
    _require(clock, {"waiting"}, ("转为待受理", "make ready"))
    return replace(clock, status="ready", ready_on=on)


def accept(
    clock: TaskClock,
    on: date,
    calendar: WorkCalendar,
    *,
    missing_essential: Iterable[str] = (),
    missing_deferrable: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
) -> TaskClock:
    """Accept the application (受理).  Essential materials must be present; deferrable ones
    (容缺) may be missing and get a deadline of their own deferral days from today.

    Raises
    ------
    WorkflowError
        When the task is not ready.
    MaterialsMissing
        Naming every essential material that is missing.
    """
    _require(clock, {"ready"}, ("受理", "accept"))
    essential = list(missing_essential)
    if essential:
        raise MaterialsMissing(essential, names)
    deferrals = tuple(
        Deferral(code, calendar.sequence(on).date_of(days))
        for code, days in sorted((missing_deferrable or {}).items())
    )
    return replace(
        clock,
        status="in_review",
        accepted_on=on,
        due_on=due_date(calendar, on, clock.days),
        deferrals=deferrals,
    )


def request_intake_corrections(clock: TaskClock, on: date) -> TaskClock:
    """一次性告知补正 before acceptance: the intake clock stops until the materials are supplied."""
    _require(clock, {"ready"}, ("一次性告知补正", "ask for missing materials at intake"))
    return replace(clock, status="corrections", stopped_since=on)


def refuse(clock: TaskClock, on: date, reasons: str) -> TaskClock:
    """不予受理: the application is not taken in — with reasons, before acceptance."""
    at_intake = clock.status == "ready" or (
        clock.status == "corrections" and clock.accepted_on is None
    )
    if not at_intake:
        _require(clock, (), ("作出不予受理决定", "refuse the application"))
    if not reasons.strip():
        raise WorkflowError("不予受理必须说明理由", "a refusal must give its reasons")
    return replace(clock, status="refused", stopped_since=None, decided_on=on)


def intake_due(clock: TaskClock, calendar: WorkCalendar, since: date | None = None) -> date | None:
    """The last day to decide on intake (受理时限): :data:`INTAKE_DAYS` working days after the
    task became ready, or after ``since`` (the last supply of materials asked for at intake)."""
    if clock.status != "ready" or clock.ready_on is None:
        return None
    start = max(clock.ready_on, since) if since else clock.ready_on
    return calendar.sequence(start).date_of(INTAKE_DAYS)


def stop_clock(clock: TaskClock, on: date, reason: Literal["corrections", "special"]) -> TaskClock:
    """补正 or a special procedure: the clock stops until :func:`resume`."""
    _require(clock, {"in_review"}, ("暂停计时", "stop the clock"))
    return replace(clock, status=reason, stopped_since=on)


def resume(clock: TaskClock, on: date, calendar: WorkCalendar) -> TaskClock:
    """The enterprise resubmitted (补正) or the special procedure ended: the clock runs again and
    the due date moves by the working days it was stopped."""
    _require(clock, CLOCK_STOPPED, ("恢复计时", "resume the clock"))
    if clock.accepted_on is None:  # materials supplied at intake: back to intake
        return replace(clock, status="ready", stopped_since=None)
    assert (
        clock.stopped_since is not None
        and clock.due_on is not None
        and clock.accepted_on is not None
    )
    stopped = max(calendar.workdays_between(clock.stopped_since, on), 0)
    total = clock.stopped_days + stopped
    return replace(
        clock,
        status="in_review",
        stopped_since=None,
        stopped_days=total,
        due_on=due_date(calendar, clock.accepted_on, clock.days, total),
    )


def blocked_by(clock: TaskClock, on: date) -> list[str]:
    """Deferred materials past their deadline and still missing (容缺超期): they block approval."""
    return [d.code for d in clock.deferrals if d.supplied_on is None and d.due_on < on]


def supply(clock: TaskClock, code: str, on: date) -> TaskClock:
    """A deferred material was supplied."""
    return replace(
        clock,
        deferrals=tuple(
            replace(d, supplied_on=on) if d.code == code and d.supplied_on is None else d
            for d in clock.deferrals
        ),
    )


def approve(clock: TaskClock, on: date) -> TaskClock:
    """Approve (准予许可).

    Raises
    ------
    WorkflowError
        When the task is not in review, or deferred materials are overdue (容缺超期, blocked).
    """
    _require(clock, {"in_review"}, ("批准", "approve"))
    blocked = blocked_by(clock, on)
    if blocked:
        raise WorkflowError(
            f"容缺材料已超期未补齐，事项被阻塞：{'、'.join(blocked)}",
            f"deferred materials are overdue, the task is blocked: {', '.join(blocked)}",
        )
    return replace(clock, status="approved", decided_on=on)


def reject(clock: TaskClock, on: date, reasons: str) -> TaskClock:
    """Reject (不予许可) — with reasons, which the law requires."""
    _require(clock, {"ready", "in_review"}, ("作出不予许可决定", "reject"))
    if not reasons.strip():
        raise WorkflowError("不予许可必须说明理由", "a rejection must give its reasons")
    return replace(clock, status="rejected", decided_on=on)


def clock_state(
    clock: TaskClock, today: date, calendar: WorkCalendar, slack: int | None = None
) -> ClockState:
    """normal / warning / overdue for a running clock; stopped, done or idle otherwise.

    A task not started yet (waiting, or ready but not accepted) is *idle* whatever its slack: a
    warning is for a started item running late, not for a critical item waiting its turn.
    """
    if clock.status in CLOSED_STATUSES:
        return "done"
    if clock.status in CLOCK_STOPPED:
        return "stopped"
    if clock.status != "in_review" or clock.due_on is None:
        return "idle"
    if today > clock.due_on:
        return "overdue"
    left = calendar.workdays_between(today, clock.due_on) + (
        1 if calendar.is_workday(clock.due_on) else 0
    )
    if left <= WARNING_DAYS or (slack is not None and slack < 0):
        return "warning"
    return "normal"


def workdays_left(clock: TaskClock, today: date, calendar: WorkCalendar) -> int | None:
    """Working days left before the due day ends (negative when overdue); None without a due day."""
    if clock.due_on is None or clock.status not in {"in_review", *CLOCK_STOPPED}:
        return None
    if today > clock.due_on:
        return -calendar.workdays_between(clock.due_on, today)
    return calendar.workdays_between(today, clock.due_on) + 1
