"""The live forecast on both clocks (issue 17, "two clocks"): review steps wait for the
enterprise's and intermediaries' activities, and each delay is attributed to its cause."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from approvals.activities import ActivityClock
from approvals.calendar import WorkCalendar
from approvals.clock_forecast import ActivityInput, StepInput, delays_out, live_forecast

CAL = WorkCalendar()
MON = date(2026, 3, 2)
SEQ = CAL.sequence(MON)
ZERO = {"department": 0, "enterprise": 0, "intermediary": 0}

# A 备案 (2 working days) → D 施工图设计 (intermediary, 30 days) → B 施工许可 (3) → W 施工
# (enterprise, 200 days) → C 竣工验收 (5).  The stored review steps are bridged (B after A).
D_PLAN = (date(2026, 3, 4), date(2026, 4, 2))
W_PLAN = (date(2026, 4, 9), date(2026, 10, 25))


def _d(**kw) -> ActivityInput:
    clock = ActivityClock("intermediary", "calendar_days", 30, *D_PLAN)
    chosen = kw.pop("chosen_on", None)
    return ActivityInput("D", replace(clock, **kw), {"A": 0}, {"B": 0}, chosen)


def _w(**kw) -> ActivityInput:
    clock = ActivityClock("enterprise", "calendar_days", 200, *W_PLAN)
    return ActivityInput("W", replace(clock, **kw), {"B": 0}, {"C": 0})


def _steps(today: date, *, a_done: bool = True, b_started: date | None = None) -> list[StepInput]:
    t = SEQ.index_of(today)
    a = StepInput("A", 2, {}, fixed_start=0) if a_done else StepInput("A", 2, {}, min_start=t)
    b = (
        StepInput("B", 3, {"A": 0}, fixed_start=SEQ.index_of(b_started), min_finish=t + 1)
        if b_started
        else StepInput("B", 3, {"A": 0}, min_start=t)
    )
    return [a, b, StepInput("C", 5, {"B": 0}, min_start=t)]


def _start(f, code: str) -> date:
    return SEQ.date_of(f.steps[code].es)


def test_as_planned_the_review_waits_for_the_activity_and_nobody_is_late():
    f = live_forecast(_steps(MON, a_done=False), [_d(), _w()], SEQ, MON, CAL)
    # the drawings are planned to end 2 April: the drawing review starts on the next working day
    assert _start(f, "B") == date(2026, 4, 3)
    assert f.steps["B"].waits_for == "D"
    assert f.steps["B"].ef == f.steps["B"].plan_ef
    # 竣工验收 waits for construction (ends 25 October, a Sunday): the next working day
    assert _start(f, "C") == date(2026, 10, 26)
    assert all(s.delays == ZERO for s in f.steps.values())
    assert f.finish_delays == ZERO
    assert f.activities["D"].end == D_PLAN[1]


def test_a_late_activity_moves_the_review_that_depends_on_it_and_the_finish():
    today = date(2026, 3, 20)  # no intermediary chosen 16 days after the planned start
    f = live_forecast(_steps(today), [_d(), _w()], SEQ, today, CAL)
    # 30 days from today: 20 March … 18 April; the review starts after it
    assert f.activities["D"].end == date(2026, 4, 18)
    assert _start(f, "B") == date(2026, 4, 20)
    assert f.steps["B"].waits_for == "D"
    # choosing the intermediary is the enterprise's: the delay is its (企业原因)
    late = SEQ.index_of(date(2026, 4, 20)) - SEQ.index_of(date(2026, 4, 3))
    assert f.steps["B"].delays == {"department": 0, "enterprise": late, "intermediary": 0}
    # everything after follows: construction and 竣工验收, and the project's finish
    assert f.activities["W"].start > W_PLAN[0]
    assert f.steps["C"].delays["enterprise"] > 0 and f.steps["C"].delays["department"] == 0
    assert f.finish_delays["enterprise"] > 0 and f.finish_delays["intermediary"] == 0
    # the CPM of the steps agrees with the pass over both clocks (slack, critical path)
    assert f.cpm.es[1] == f.steps["B"].es and f.cpm.ef[2] == f.steps["C"].ef


def test_an_intermediary_running_late_is_the_intermediarys_delay():
    today = date(2026, 4, 10)  # chosen on time, not delivered 8 days after its planned end
    d = _d(status="in_progress", actual_start=D_PLAN[0], chosen_on=D_PLAN[0])
    f = live_forecast(_steps(today), [d, _w()], SEQ, today, CAL)
    assert f.activities["D"].end == today  # no earlier than today
    assert _start(f, "B") == date(2026, 4, 13)
    assert f.steps["B"].delays["intermediary"] > 0
    assert f.steps["B"].delays["enterprise"] == 0 == f.steps["B"].delays["department"]


def test_chosen_late_then_running_late_splits_the_delay():
    today = date(2026, 4, 20)
    chosen = date(2026, 3, 10)  # six days late: the enterprise's
    d = _d(status="in_progress", actual_start=chosen, chosen_on=chosen)
    f = live_forecast(_steps(today), [d, _w()], SEQ, today, CAL)
    b = f.steps["B"].delays
    assert b["enterprise"] > 0 and b["intermediary"] > 0 and b["department"] == 0
    assert sum(b.values()) == f.steps["B"].ef - f.steps["B"].plan_ef


def test_a_finished_activity_does_not_push_the_review():
    today = date(2026, 4, 3)
    running = _d(status="in_progress", actual_start=D_PLAN[0], chosen_on=D_PLAN[0])
    done = _d(status="done", actual_start=D_PLAN[0], actual_end=D_PLAN[1], chosen_on=D_PLAN[0])
    f_running = live_forecast(_steps(today), [running, _w()], SEQ, today, CAL)
    f_done = live_forecast(_steps(today), [done, _w()], SEQ, today, CAL)
    # still running on 3 April, it ends no earlier than today: the review moves a day
    assert _start(f_running, "B") > _start(f_done, "B") == date(2026, 4, 3)
    assert f_done.steps["B"].waits_for is None
    assert f_done.steps["B"].delays == ZERO


def test_a_department_delay_is_still_the_departments():
    today = date(2026, 4, 15)  # the drawings came on time; the department has not taken B in
    done = _d(status="done", actual_start=D_PLAN[0], actual_end=D_PLAN[1], chosen_on=D_PLAN[0])
    f = live_forecast(_steps(today), [done, _w()], SEQ, today, CAL)
    assert _start(f, "B") == today
    b = f.steps["B"].delays
    assert b["department"] == SEQ.index_of(today) - SEQ.index_of(date(2026, 4, 3))
    assert b["enterprise"] == 0 == b["intermediary"]
    assert f.finish_delays["department"] > 0 and f.finish_delays["enterprise"] == 0


def test_a_step_held_by_an_unfinished_activity_is_not_the_departments_fault():
    # 2 April: the drawings not delivered and B not taken in — B could not start: not the
    # department's; and the same held step later downstream (C) is not either
    today = date(2026, 4, 2) + timedelta(days=6)
    d = _d(status="in_progress", actual_start=D_PLAN[0], chosen_on=D_PLAN[0])
    f = live_forecast(_steps(today), [d, _w()], SEQ, today, CAL)
    assert f.steps["B"].delays["department"] == 0
    assert f.steps["C"].delays["department"] == 0


def test_a_review_in_progress_is_not_held_back():
    today = date(2026, 3, 20)
    f = live_forecast(_steps(today, b_started=date(2026, 3, 19)), [_d(), _w()], SEQ, today, CAL)
    assert _start(f, "B") == date(2026, 3, 19)  # it started: the activity cannot hold it
    assert f.steps["B"].waits_for is None


def test_a_cycle_is_refused():
    a = StepInput("A", 1, {"B": 0})
    b = StepInput("B", 1, {"A": 0})
    with pytest.raises(ValueError, match="cycle"):
        live_forecast([a, b], [], SEQ, MON, CAL)


def test_delays_out_names_the_causes_in_both_languages():
    out = delays_out({"department": 1, "enterprise": 0, "intermediary": 3}, "en")
    assert (
        out["note"] == "3 working day(s) by the intermediary, 1 working day(s) by the departments"
    )
    assert delays_out(None) is None
    assert delays_out(ZERO)["note"] == ""
