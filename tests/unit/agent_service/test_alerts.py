"""The alert rules over plain values: clocks, slack, 容缺, checkpoints, meeting actions."""

from __future__ import annotations

from datetime import date

import pytest

from agent_service import alerts as rules
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from i18n import Text

MON = date(2026, 3, 2)  # Monday; no holiday for weeks


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar()


def clock(due, accepted=date(2026, 2, 23)):
    return wf.TaskClock("in_review", 5, accepted, accepted, due)


def test_task_clock_overdue_warning_or_nothing(cal):
    overdue = rules.task_alert(1, 10, "S1-02", "出让", "规划局", clock(date(2026, 2, 26)), MON, cal)
    assert overdue.kind == "task_overdue" and overdue.level == "overdue"
    # Thu 26 Feb, Fri 27 and Sat 28 Feb (a make-up working day, 调休) have passed
    assert overdue.subject == "task:10" and "已超期 3 个工作日" in overdue.title.zh
    warning = rules.task_alert(1, 10, "S1-02", "出让", "规划局", clock(date(2026, 3, 3)), MON, cal)
    assert warning.kind == "task_warning" and "剩余 2 个工作日" in warning.title.zh
    assert rules.task_alert(1, 10, "S", "x", "d", clock(date(2026, 3, 4)), MON, cal) is None
    stopped = wf.TaskClock("corrections", 5, MON, MON, date(2026, 2, 20), stopped_since=MON)
    assert rules.task_alert(1, 10, "S", "x", "d", stopped, MON, cal) is None


def test_slack_used_up_reports_the_first_steps_of_a_slipping_chain():
    steps = [
        rules.StepSlack("A", "甲", "in_progress", 0, 12, 10, date(2026, 3, 17)),
        rules.StepSlack("B", "乙", "waiting", 0, 15, 13, date(2026, 3, 20), ("A",)),
        rules.StepSlack("C", "丙", "waiting", 3, 15, 13, None, ("A",)),  # slack left
        rules.StepSlack("D", "丁", "waiting", 0, 10, 10, None),  # on time
        rules.StepSlack("E", "戊", "done", 0, 12, 10, None),
    ]
    found = rules.slack_alerts(7, steps)
    assert [a.subject for a in found] == ["step:A"]
    assert "推迟 2 个工作日" in found[0].title.zh and found[0].due_on == date(2026, 3, 17)


def test_deferral_falling_due_overdue_or_supplied(cal):
    due_thu = date(2026, 3, 5)
    a = rules.deferral_alert(1, 4, "M-x", "S3-05", due_thu, None, MON, cal, within=3)
    assert a.kind == "deferral_due" and "还剩 3 个工作日" in a.title.zh
    assert rules.deferral_alert(1, 4, "M-x", "S3-05", due_thu, None, MON, cal, within=2) is None
    today = rules.deferral_alert(1, 4, "M-x", "S3-05", MON, None, MON, cal)
    assert today.kind == "deferral_due"  # due today: still in time
    late = rules.deferral_alert(1, 4, "M-x", "S3-05", date(2026, 2, 27), None, MON, cal)
    assert (
        late.kind == "deferral_overdue" and late.level == "overdue" and "阻塞" not in late.title.en
    )
    assert rules.deferral_alert(1, 4, "M-x", "S", date(2026, 2, 27), MON, MON, cal) is None


def test_checkpoint_coming_and_action_overdue(cal):
    title = Text("对标验收", "benchmark acceptance")
    soon = rules.checkpoint_alert(1, "bench", title, date(2026, 3, 13), None, MON, cal)
    assert soon.kind == "checkpoint_due" and soon.subject == "checkpoint:bench"
    far = rules.checkpoint_alert(1, "bench", title, date(2026, 6, 1), None, MON, cal)
    assert far is None
    done = rules.checkpoint_alert(1, "bench", title, date(2026, 2, 1), date(2026, 2, 1), MON, cal)
    assert done is None
    late = rules.checkpoint_alert(1, "bench", title, date(2026, 2, 27), None, MON, cal)
    assert late.kind == "checkpoint_overdue"
    act = rules.action_alert(1, 9, "补充材料", "王经理", date(2026, 2, 27), "open", MON)
    assert act.kind == "action_overdue" and "王经理" in act.title.zh
    assert rules.action_alert(1, 9, "x", "y", MON, "open", MON) is None  # due today
    assert rules.action_alert(1, 9, "x", "y", date(2026, 2, 27), "closed", MON) is None


def test_window_end_bounds_the_rules(cal):
    end = rules.window_end(cal, MON, 3)
    assert end == date(2026, 3, 5) and cal.workdays_between(MON, end) == 3
    sat = date(2026, 3, 7)
    assert rules.window_end(cal, sat, 0) == date(2026, 3, 9)
    assert rules.worst_level([]) is None
