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


# --- each activity's own forecast after the review steps it waits for (pushed_activities) ----

from approvals.clock_forecast import StepEnd, pushed_activities  # noqa: E402

# B 施工许可 planned on working days 25–27 (ends Friday 3 April 2026)
B_PLANNED = {"B": StepEnd(24, 27, 3)}


def _b_ends(last_day: date, **delays: int) -> dict[str, StepEnd]:
    ef = SEQ.index_of(last_day) + 1
    return {"B": StepEnd(ef - 3, ef, 3, delays or None)}


def test_construction_after_a_late_permit_starts_after_it_and_the_push_is_the_departments():
    permit_ends = date(2026, 4, 24)  # 施工许可 forecast three weeks late (a Friday)
    f = pushed_activities([_d(), _w()], _b_ends(permit_ends), SEQ, MON, CAL)
    w = f["W"]
    # its own forecast is still its plan; on the graph it starts the day after the permit
    assert (w.own.start, w.own.end) == W_PLAN
    assert w.span.start == date(2026, 4, 25)
    assert w.span.end == w.span.start + timedelta(days=199)  # its whole 200 days from there
    assert w.waits_for == "B"
    assert w.pushed == (w.span.end - W_PLAN[1]).days == 16
    assert w.days == {"department": 16, "enterprise": 0, "intermediary": 0}
    # the drawings wait for nothing late: not moved
    assert f["D"].span == f["D"].own and f["D"].pushed == 0 and f["D"].waits_for is None


def test_not_started_while_the_permit_is_late_is_not_the_enterprises():
    # 11 May: construction not started (planned 9 April), the permit forecast to end 13 May
    today = date(2026, 5, 11)
    f = pushed_activities(
        [_d(status="done", actual_start=D_PLAN[0], actual_end=D_PLAN[1]), _w()],
        _b_ends(date(2026, 5, 13)),
        SEQ,
        today,
        CAL,
    )
    w = f["W"]
    assert w.own.start == today and w.span.start == date(2026, 5, 14) and w.waits_for == "B"
    late = (w.span.end - W_PLAN[1]).days
    assert w.days == {"department": late, "enterprise": 0, "intermediary": 0}


def test_a_permit_late_because_of_the_drawings_passes_on_whose_it_is():
    # the permit's own delay is the intermediary's 2 : the department's 1 (its clock_delays)
    ends = _b_ends(date(2026, 4, 24), department=1, intermediary=2)
    w = pushed_activities([_d(), _w()], ends, SEQ, MON, CAL)["W"]
    assert w.days == {"department": 5, "enterprise": 0, "intermediary": 11}
    assert sum(w.days.values()) == w.pushed == 16


def test_the_permit_on_time_pushes_nothing():
    f = pushed_activities([_d(), _w()], B_PLANNED, SEQ, MON, CAL)
    assert all(p.pushed == 0 and p.waits_for is None for p in f.values())
    assert all(p.days == ZERO for p in f.values())


def test_started_the_activity_keeps_its_own_forecast_and_its_own_delay():
    today = date(2026, 4, 20)
    started = _w(status="in_progress", actual_start=date(2026, 4, 10))
    f = pushed_activities([_d(), started], _b_ends(date(2026, 5, 29)), SEQ, today, CAL)
    assert f["W"].span == f["W"].own and f["W"].pushed == 0 and f["W"].waits_for is None
    assert f["W"].days["department"] == 0  # a day late on its own: the enterprise's
    assert f["W"].days == {"department": 0, "enterprise": 1, "intermediary": 0}


def test_an_earlier_activity_running_late_pushes_the_next_and_that_is_its_owners():
    # the enterprise's construction W2 waits directly for the intermediary's drawings D
    today = date(2026, 3, 20)  # D not started, 16 days past its planned start
    w2 = ActivityInput(
        "W2",
        ActivityClock("enterprise", "calendar_days", 10, date(2026, 4, 3), date(2026, 4, 12)),
        {"D": 0},
        {},
    )
    f = pushed_activities([_d(), w2], B_PLANNED, SEQ, today, CAL)
    assert f["D"].span.end == date(2026, 4, 18)  # D's own forecast: 30 days from today
    assert f["W2"].span.start == date(2026, 4, 19) and f["W2"].waits_for == "D"
    # D is late because nobody was chosen: the enterprise's (it commissions the service)
    assert f["W2"].days == {"department": 0, "enterprise": 16, "intermediary": 0}
    # chosen on time and running late: the intermediary's
    d = _d(status="in_progress", actual_start=D_PLAN[0], chosen_on=D_PLAN[0])
    later = date(2026, 4, 10)  # D's planned end 2 April passed, not delivered
    f = pushed_activities([d, w2], B_PLANNED, SEQ, later, CAL)
    assert f["W2"].own.start == later and f["W2"].span.start == date(2026, 4, 11)
    assert f["W2"].days == {"department": 0, "enterprise": 0, "intermediary": 8}
