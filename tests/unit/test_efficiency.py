"""The pure statistics: percentiles over histograms equal numpy's linear percentiles over the
values (PostgreSQL's percentile_cont), buckets add up, working days on the calendar."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as s

from approvals import efficiency as eff
from approvals.calendar import WorkCalendar


@given(s.lists(s.integers(0, 300), min_size=1, max_size=200), s.floats(0, 1))
def test_percentile_of_a_histogram_is_percentile_cont(values, fraction):
    expected = float(np.percentile(values, fraction * 100, method="linear"))
    assert eff.percentile(eff.histogram(values), fraction) == pytest.approx(expected, abs=1e-6)


def test_percentile_refuses_a_fraction_outside_0_1():
    with pytest.raises(ValueError):
        eff.percentile({1: 1}, 1.5)


def test_buckets_add_groups_and_rates():
    b = eff.Bucket(committed_days=3)
    for days, n, ontime in ((1, 2, 2), (3, 1, 1), (9, 1, 0)):
        b.add_group(
            workdays=days,
            count=n,
            approved=n,
            on_time=ontime,
            waited=n,
            wait_total=n,
            stopped_tasks=0,
            stopped_total=0,
        )
    b.corrected_tasks, b.correction_rounds = 2, 3
    b.ratings[1] += 1
    b.ratings[4] += 3
    f = b.figures()
    assert (f["cases"], f["median_workdays"], f["max_workdays"]) == (4, 2.0, 9)
    assert (f["within_committed_rate"], f["on_time_rate"], f["overdue"]) == (0.75, 0.75, 1)
    assert (f["correction_rate"], f["mean_correction_rounds"]) == (0.5, 1.5)
    assert (f["rated"], f["rating_average"], f["bad_ratings"]) == (4, 3.25, 1)
    empty = eff.Bucket().figures()
    assert empty["median_workdays"] is None and empty["on_time_rate"] is None


def test_approval_working_days_skip_the_national_day_holiday():
    # the built-in arrangements: 2025-10-01 … 10-08 off, 09-28 (a Sunday) and 10-11 worked
    cal = WorkCalendar()
    assert eff.approval_workdays(cal, date(2025, 9, 30), date(2025, 10, 9)) == 2
    # Saturday → Monday: the Sunday between was a working day
    assert eff.waiting_workdays(cal, date(2025, 9, 27), date(2025, 9, 29)) == 1


def test_project_approval_counts_stages_not_the_gaps_between_them():
    cal = WorkCalendar(builtin=False)
    spans = [
        eff.TaskSpan(1, date(2026, 3, 2), date(2026, 3, 3)),
        eff.TaskSpan(2, date(2026, 6, 1), None),  # still under way: counted to today
        eff.TaskSpan(3, None, None),  # not accepted yet
    ]
    assert eff.project_approval_workdays(cal, spans, today=date(2026, 6, 3)) == 2 + 3


def test_milestones_wait_for_every_part():
    marks = {"construction_permit": "P"}
    steps = [(["P"], "done", date(2026, 3, 2)), (["P"], "done", date(2026, 3, 9))]
    assert eff.milestone_dates(marks, steps) == {"construction_permit": date(2026, 3, 9)}
    assert eff.code_to_permit_days(None, date(2026, 3, 9)) is None
