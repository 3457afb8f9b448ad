"""Alert rules (风险提醒): when is an item of a project at risk?  Pure functions over plain values.

Each rule takes the facts of one item and returns an :class:`~agent_service.model.Alert` or
``None``; the scan (:func:`agent_service.services.alert_scan.scan_alerts`) feeds them rows from a few set
queries, so 10,000 active projects are checked in well under two seconds.

Rules
-----
``task_overdue`` / ``task_warning``
    A department's task whose clock (:func:`approvals.workflow.clock_state`, 行政许可 time limit)
    is overdue, or in warning (two working days or fewer left).  The clock is read without the
    step's slack: a critical step's task would otherwise always be "warning"; slack has its own
    rule below.
``slack_used_up``
    A step not yet done whose live slack is used up (≤ 0) and whose forecast end has slipped past
    its baseline: any further delay moves the project's finish.  Only the first such steps of a
    chain are reported (a step whose prerequisite is reported already is not): one alert per
    cause, not one per step downstream of it.  The scan gives this rule the steps ready or under
    way: a step still waiting for its prerequisites slips because one of them does (reported
    while it ran late); should that one be done already, the waiting step is reported once ready.
``deferral_due`` / ``deferral_overdue``
    A material accepted as missing (容缺) and not yet supplied, due within ``within`` working
    days, or past its deadline (the task is then blocked).
``checkpoint_due`` / ``checkpoint_overdue``
    A commitment checkpoint (承诺 对标验收, 达产复核 …, added by other packages) not yet done,
    due within ``within`` working days, or past due.
``action_overdue``
    A follow-up action of a joint meeting (联席会议) still open after its due date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from agent_service.model import Alert
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from i18n import Text

#: Default windows (working days) of the "falling due" rules.
DEFERRAL_WINDOW = 3
CHECKPOINT_WINDOW = 10

#: Levels, worst first.
LEVELS = ("overdue", "warning")

KIND_NAMES: dict[str, Text] = {
    "task_overdue": Text("审批超期", "review overdue"),
    "task_warning": Text("审批时限预警", "review time limit near"),
    "slack_used_up": Text("机动时间用完", "slack used up"),
    "deferral_due": Text("容缺材料即将到期", "deferred material falling due"),
    "deferral_overdue": Text("容缺材料超期", "deferred material overdue"),
    "checkpoint_due": Text("承诺核查临近", "commitment checkpoint coming"),
    "checkpoint_overdue": Text("承诺核查逾期", "commitment checkpoint overdue"),
    "action_overdue": Text("会议跟进事项逾期", "meeting action overdue"),
}


def window_end(calendar: WorkCalendar, today: date, workdays: int) -> date:
    """The last date that is at most ``workdays`` working days after ``today``: every date ``d``
    with ``calendar.workdays_between(today, d) <= workdays`` is on or before it (``workdays`` ≥ 0).
    Used to pre-filter rows in SQL before a rule decides."""
    return calendar.sequence(today).date_of(workdays)


def task_alert(
    project_id: int,
    task_id: int,
    step_code: str,
    step_name: str,
    department: str,
    clock: wf.TaskClock,
    today: date,
    calendar: WorkCalendar,
) -> Alert | None:
    """``task_overdue`` or ``task_warning`` for a task in review, else ``None``.

    ``department`` is the department's display name.
    """
    state = wf.clock_state(clock, today, calendar)
    if state not in LEVELS:
        return None
    left = wf.workdays_left(clock, today, calendar) or 0
    due = clock.due_on.isoformat() if clock.due_on else "—"
    if state == "overdue":
        title = Text(
            f"{step_code} {step_name}（{department}）已超期 {-left} 个工作日（应于 {due} 办结）",
            f"{step_code} {step_name} ({department}) is {-left} working day(s) overdue (due {due})",
        )
    else:
        title = Text(
            f"{step_code} {step_name}（{department}）剩余 {left} 个工作日（{due} 到期）",
            f"{step_code} {step_name} ({department}): {left} working day(s) left (due {due})",
        )
    return Alert(project_id, f"task_{state}", f"task:{task_id}", state, title, clock.due_on)


class StepSlack(NamedTuple):
    """The slack-related facts of a step (working-day numbers of the project's plan).  A named
    tuple: the scan builds one per slipped step, thousands of them."""

    code: str
    name: str
    status: str
    slack: int | None
    forecast_ef: int | None
    baseline_ef: int
    forecast_end: date | None
    requires: tuple[str, ...] = ()


def slack_used_up(step: StepSlack) -> bool:
    """Not done, slack ≤ 0 and slipped past the baseline end."""
    return (
        step.status not in {"done", "rejected", "refused"}
        and step.slack is not None
        and step.slack <= 0
        and step.forecast_ef is not None
        and step.forecast_ef > step.baseline_ef
    )


def slack_alerts(project_id: int, steps: Iterable[StepSlack]) -> list[Alert]:
    """``slack_used_up`` for the first steps of each slipping chain of one project."""
    flagged = {s.code: s for s in steps if slack_used_up(s)}
    out = []
    for s in flagged.values():
        if any(r in flagged for r in s.requires):
            continue  # its prerequisite is the cause, reported already
        assert s.forecast_ef is not None
        late = s.forecast_ef - s.baseline_ef
        end = s.forecast_end.isoformat() if s.forecast_end else "—"
        out.append(
            Alert(
                project_id,
                "slack_used_up",
                f"step:{s.code}",
                "warning",
                Text(
                    f"{s.code} {s.name}：机动时间已用完，预计 {end} 办结，较基线推迟 {late} 个工作日，项目完成日期随之推迟",
                    f"{s.code} {s.name}: slack used up; expected on {end}, {late} working day(s) behind the baseline, which delays the finish",
                ),
                s.forecast_end,
            )
        )
    return out


def _due_rule(
    due_on: date, today: date, calendar: WorkCalendar, within: int
) -> tuple[str, int] | None:
    if due_on < today:
        return "overdue", calendar.workdays_between(due_on, today)
    left = calendar.workdays_between(today, due_on)
    return ("warning", left) if left <= within else None


def deferral_alert(
    project_id: int,
    deferral_id: int,
    material: str,
    step_code: str,
    due_on: date,
    supplied_on: date | None,
    today: date,
    calendar: WorkCalendar,
    within: int = DEFERRAL_WINDOW,
) -> Alert | None:
    """``deferral_due`` (within ``within`` working days, today included) or
    ``deferral_overdue`` (past the deadline: the task is blocked) for a 容缺 material."""
    if supplied_on is not None:
        return None
    rule = _due_rule(due_on, today, calendar, within)
    if rule is None:
        return None
    level, n = rule
    if level == "overdue":
        title = Text(
            f"容缺材料 {material} 已于 {due_on} 到期未补齐，{step_code} 无法办结（已超期 {n} 个工作日）",
            f"deferred material {material} was due on {due_on} and is still missing; {step_code} is blocked ({n} working day(s) late)",
        )
        return Alert(
            project_id, "deferral_overdue", f"deferral:{deferral_id}", level, title, due_on
        )
    title = Text(
        f"容缺材料 {material}（{step_code}）将于 {due_on} 到期，还剩 {n} 个工作日",
        f"deferred material {material} ({step_code}) is due on {due_on}; {n} working day(s) left",
    )
    return Alert(project_id, "deferral_due", f"deferral:{deferral_id}", level, title, due_on)


def checkpoint_alert(
    project_id: int,
    key: str,
    title: Text,
    due_on: date | None,
    done_on: date | None,
    today: date,
    calendar: WorkCalendar,
    within: int = CHECKPOINT_WINDOW,
) -> Alert | None:
    """``checkpoint_due`` / ``checkpoint_overdue`` for a commitment checkpoint not yet done."""
    if done_on is not None or due_on is None:
        return None
    rule = _due_rule(due_on, today, calendar, within)
    if rule is None:
        return None
    level, n = rule
    if level == "overdue":
        text = Text(
            f"承诺核查“{title.zh}”已于 {due_on} 到期，尚未完成",
            f"commitment checkpoint '{title.en}' was due on {due_on} and is not done",
        )
        return Alert(project_id, "checkpoint_overdue", f"checkpoint:{key}", level, text, due_on)
    text = Text(
        f"承诺核查“{title.zh}”将于 {due_on} 进行，还剩 {n} 个工作日",
        f"commitment checkpoint '{title.en}' is due on {due_on}; {n} working day(s) left",
    )
    return Alert(project_id, "checkpoint_due", f"checkpoint:{key}", level, text, due_on)


def action_alert(
    project_id: int,
    action_id: int,
    text: str,
    owner: str,
    due_on: date,
    status: str,
    today: date,
) -> Alert | None:
    """``action_overdue`` for a joint meeting's follow-up action still open after its due date."""
    if status != "open" or due_on >= today:
        return None
    return Alert(
        project_id,
        "action_overdue",
        f"action:{action_id}",
        "overdue",
        Text(
            f"联席会议跟进事项逾期：{text}（责任人：{owner}，应于 {due_on} 完成）",
            f"joint meeting action overdue: {text} (owner: {owner}, due {due_on})",
        ),
        due_on,
    )


def worst_level(alerts: Sequence[Alert]) -> str | None:
    """``overdue`` if any alert is, else ``warning`` if any, else ``None``."""
    levels = {a.level for a in alerts}
    return next((lvl for lvl in LEVELS if lvl in levels), None)
