"""The intake rules as pure functions: 一次性告知补正 before acceptance, 不予受理 and the 受理时限."""

from __future__ import annotations

from datetime import date

import pytest

from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from commitments.model import IndicatorTerm
from landplots.model import Milestone

CAL = WorkCalendar()
MON, TUE, WED, THU, FRI = (date(2026, 3, d) for d in range(2, 7))


def ready() -> wf.TaskClock:
    return wf.make_ready(wf.TaskClock(status="waiting", days=5), MON)


def test_intake_notice_stops_the_intake_clock_and_supply_returns_to_intake():
    clock = wf.request_intake_corrections(ready(), TUE)
    assert (clock.status, clock.stopped_since, clock.accepted_on) == ("corrections", TUE, None)
    assert wf.intake_due(clock, CAL) is None
    assert wf.clock_state(clock, WED, CAL) == "stopped"
    back = wf.resume(clock, THU, CAL)
    assert (back.status, back.stopped_since, back.due_on) == ("ready", None, None)
    assert wf.intake_due(back, CAL, since=THU) == date(2026, 3, 9)  # Thursday + 2 working days
    assert wf.accept(back, FRI, CAL).status == "in_review"


def test_intake_time_limit_counts_working_days_from_ready():
    assert wf.intake_due(ready(), CAL) == WED
    fri = wf.make_ready(wf.TaskClock(status="waiting", days=5), FRI)
    assert wf.intake_due(fri, CAL) == date(2026, 3, 10)  # over the weekend


def test_refusal_only_at_intake_and_with_reasons():
    assert wf.refuse(ready(), TUE, "不属于本机关职权").status == "refused"
    waiting = wf.request_intake_corrections(ready(), TUE)
    assert wf.refuse(waiting, WED, "逾期未补正").status == "refused"
    with pytest.raises(wf.WorkflowError):
        wf.refuse(ready(), TUE, "  ")
    accepted = wf.accept(ready(), TUE, CAL)
    with pytest.raises(wf.WorkflowError):
        wf.refuse(accepted, WED, "x")  # after acceptance it is 不予许可 (reject)
    with pytest.raises(wf.WorkflowError):
        wf.request_intake_corrections(accepted, WED)
    stopped = wf.stop_clock(accepted, WED, "corrections")
    with pytest.raises(wf.WorkflowError):
        wf.refuse(stopped, THU, "x")
    assert wf.clock_state(wf.refuse(ready(), TUE, "x"), WED, CAL) == "done"


@pytest.mark.parametrize(
    ("lower", "upper", "planned", "misses"),
    [
        (400, None, 193, True),
        (400, None, 400, False),
        (1.5, 3.0, 3.2, True),
        (1.5, 3.0, 2, False),
        (400, None, None, False),
    ],
)
def test_planned_figures_missing_the_bounds(lower, upper, planned, misses):
    term = IndicatorTerm("k", "指标", "", lower, upper, Milestone.ACCEPTANCE, planned=planned)
    assert term.planned_misses() is misses
