"""The enterprise's and intermediaries' clock on a live project (approvals/activities.py, pure):
forecasts, whose a delay is, progress reports refused precisely, an intermediary's time against
its committed days, the 中介超市's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from approvals import activities as act
from approvals.calendar import WorkCalendar
from i18n import Invalid

CAL = WorkCalendar()
DESIGN = act.ActivityClock("enterprise", "calendar_days", 20, date(2026, 3, 13), date(2026, 4, 1))
EIA = act.ActivityClock("intermediary", "calendar_days", 10, date(2026, 3, 3), date(2026, 3, 12))
FILED, TODAY = date(2026, 3, 2), date(2026, 3, 20)


def test_forecast_follows_the_plan_until_the_owner_is_late():
    assert act.forecast(DESIGN, date(2026, 3, 1)) == act.Span(
        DESIGN.planned_start, DESIGN.planned_end
    )
    assert act.delay_days(DESIGN, date(2026, 3, 13)) == 0
    # not started a day after its planned start: its whole duration from today
    assert act.forecast(DESIGN, date(2026, 3, 14)).end == date(2026, 4, 2)
    assert act.delay_days(DESIGN, date(2026, 3, 14)) == 1


def test_a_running_activity_ends_no_earlier_than_planned_nor_than_today():
    early = replace(DESIGN, status="in_progress", actual_start=date(2026, 3, 3))
    assert act.forecast(early, date(2026, 3, 5)).end == DESIGN.planned_end
    assert act.forecast(early, date(2026, 4, 10)).end == date(2026, 4, 10)
    assert act.delay_days(early, date(2026, 4, 10)) == 9


def test_working_day_activities_use_the_calendar():
    wd = act.ActivityClock("enterprise", "workdays", 5, date(2026, 3, 2), date(2026, 3, 6))
    # started Friday 6 March: five working days end Thursday 12 March
    assert act.forecast(wd, date(2026, 3, 6), CAL).end == date(2026, 3, 12)


def test_delays_belong_to_their_owner_never_to_a_department():
    late_design = replace(
        DESIGN, status="done", actual_start=date(2026, 3, 13), actual_end=date(2026, 4, 11)
    )
    assert act.delay_shares(late_design, TODAY) == {"enterprise": 10, "intermediary": 0}
    # an intermediary chosen late: the days before the choice are the enterprise's
    late_eia = replace(
        EIA, status="done", actual_start=date(2026, 3, 6), actual_end=date(2026, 3, 22)
    )
    assert act.delay_shares(late_eia, TODAY, chosen_on=date(2026, 3, 6)) == {
        "enterprise": 3,
        "intermediary": 7,
    }
    # nobody chosen yet: all of it is the enterprise's
    assert act.delay_shares(EIA, date(2026, 3, 10)) == {"enterprise": 7, "intermediary": 0}
    assert act.delays_by_owner([(late_design, None), (late_eia, date(2026, 3, 6))], TODAY) == {
        "enterprise": 10,
        "intermediary": 7,
    }
    assert set(act.DELAY_OWNERS) == {"enterprise", "intermediary"}


def test_progress_reports_are_refused_precisely():
    started = act.start(DESIGN, "E-SCHEME", date(2026, 3, 10), FILED, TODAY)
    assert started.status == "in_progress" and started.actual_start == date(2026, 3, 10)
    with pytest.raises(act.ActivityError, match="already started"):
        act.start(started, "E-SCHEME", TODAY, FILED, TODAY)
    with pytest.raises(act.ActivityError, match="before the project was filed") as e:
        act.start(DESIGN, "E-SCHEME", date(2026, 3, 1), FILED, TODAY)
    assert isinstance(e.value, Invalid)
    with pytest.raises(act.ActivityError, match="in the future"):
        act.finish(started, "E-SCHEME", date(2026, 3, 21), FILED, TODAY)
    with pytest.raises(act.ActivityError, match="before it started"):
        act.finish(started, "E-SCHEME", date(2026, 3, 9), FILED, TODAY)
    done = act.finish(started, "E-SCHEME", TODAY, FILED, TODAY)
    assert (done.status, done.actual_start, done.actual_end) == ("done", date(2026, 3, 10), TODAY)
    with pytest.raises(act.ActivityError, match="already done"):
        act.finish(done, "E-SCHEME", TODAY, FILED, TODAY)
    # finishing one never reported started: it started on the day given, else the same day
    once = act.finish(DESIGN, "E-SCHEME", TODAY, FILED, TODAY, started_on=date(2026, 3, 5))
    assert once.actual_start == date(2026, 3, 5)
    assert act.finish(DESIGN, "E-SCHEME", TODAY, FILED, TODAY).actual_start == TODAY


def test_an_intermediarys_time_is_measured_like_a_departments():
    # chosen Monday 2 March, 5 working days: due Friday 6 March
    assert act.service_time(None, None, None, TODAY, CAL).state == "not_chosen"
    running = act.service_time(date(2026, 3, 2), 5, None, date(2026, 3, 4), CAL)
    assert (running.state, running.due_on, running.workdays_used) == (
        "running",
        date(2026, 3, 6),
        3,
    )
    assert act.service_time(date(2026, 3, 2), 5, None, date(2026, 3, 6), CAL).state == "due_today"
    over = act.service_time(date(2026, 3, 2), 5, None, date(2026, 3, 10), CAL)
    assert (over.state, over.overdue_workdays) == ("overdue", 2)
    on_time = act.service_time(date(2026, 3, 2), 5, date(2026, 3, 6), date(2026, 3, 30), CAL)
    assert (on_time.state, on_time.workdays_used, on_time.overdue_workdays) == ("on_time", 5, 0)
    # weekends do not count: delivered the Monday after its due Friday is one working day late
    late = act.service_time(date(2026, 3, 2), 5, date(2026, 3, 9), date(2026, 3, 30), CAL)
    assert (late.state, late.workdays_used, late.overdue_workdays) == ("late", 6, 1)


def test_the_market_lists_qualified_active_organisations_best_rated_first():
    orgs = [
        (1, "甲", {"I-EIA": 20}, True),
        (2, "乙", {"I-EIA": 15}, True),
        (3, "丙", {"I-EIA": 10}, False),  # inactive
        (4, "丁", {"I-SURVEY": 5}, True),  # another service
        (5, "戊", {"I-EIA": 12}, True),
    ]
    offers = act.market(orgs, "I-EIA", {1: (4.5, 2), 2: (3.0, 1)})
    assert [o.name for o in offers] == ["甲", "乙", "戊"]
    assert offers[0].rating == 4.5 and offers[0].ratings == 2 and offers[2].rating is None
    assert act.market(orgs, "I-GEOTECH", {}) == []
    assert act.average([5, 4, 4]) == (4.3, 3) and act.average([]) is None
