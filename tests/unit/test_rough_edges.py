"""Issue 15's rough edges as plain functions: no 预警 for an item not started, the calendar
warning from November, errors on pages in the page's language, readable job results, the
holidays the Gantt shades, answers and regional assessments by their names."""

from __future__ import annotations

from datetime import date

from api.errors import page_detail
from api.pages.admin import job_summary
from api.pages.enterprise import _regional
from api.pages.gantt import holiday_spans, render_gantt
from approvals import workflow as wf
from approvals.calendar import WorkCalendar, YearArrangement, missing_next_year
from approvals.catalog import default_catalogue
from approvals.errors import StaleVersion
from approvals.questionnaire import answer_label

CAL = WorkCalendar()
MON, TUE, WED = (date(2026, 3, d) for d in range(2, 5))


def test_no_warning_before_an_item_starts_and_only_when_a_started_one_runs_late():
    waiting = wf.TaskClock(status="waiting", days=5)
    ready = wf.make_ready(waiting, MON)
    for clock in (waiting, ready):  # critical (slack 0) or already behind (slack < 0)
        assert wf.clock_state(clock, TUE, CAL, slack=0) == "idle"
        assert wf.clock_state(clock, TUE, CAL, slack=-3) == "idle"
    started = wf.accept(wf.make_ready(wf.TaskClock(status="waiting", days=20), MON), MON, CAL)
    assert wf.clock_state(started, TUE, CAL, slack=0) == "normal"  # critical, on time
    assert wf.clock_state(started, TUE, CAL, slack=-1) == "warning"  # running late


def test_the_administrator_is_warned_from_november_until_next_year_is_loaded():
    bare = WorkCalendar(builtin=False)
    assert missing_next_year(bare, date(2026, 10, 31)) is None
    assert missing_next_year(bare, date(2026, 11, 1)) == 2027
    assert missing_next_year(bare, date(2026, 12, 31)) == 2027
    loaded = WorkCalendar([YearArrangement(2027, {}, {})], builtin=False)
    assert missing_next_year(loaded, date(2026, 12, 31)) is None


def test_a_stale_page_is_out_of_date_not_someone_elses_fault():
    e = StaleVersion("该审批任务", 3, 4, "task 7")
    assert e.text("zh") == "页面已过期：该审批任务在您打开页面后已有变化，请刷新后重试"
    assert "他人" not in e.text("zh") and "someone else" not in e.text("en")
    assert e.text("en").startswith("The page is out of date: task 7 changed")


def test_an_error_page_says_one_language_never_the_frameworks_english():
    assert page_detail("未登录 (not authenticated)", 401, "zh") == "未登录"
    assert page_detail("未登录 (not authenticated)", 401, "en") == "not authenticated"
    assert page_detail("CSRF token verification failed", 403, "zh") == "页面已过期，请刷新后重试"
    assert page_detail("Not Found", 404, "zh") == "未找到您要的页面"
    assert page_detail("Method Not Allowed", 405, "zh") == "不支持的请求方法"
    assert page_detail("Method Not Allowed", 405, "en") == "Method Not Allowed"
    assert page_detail("项目 3 不存在", 404, "zh") == "项目 3 不存在"


def test_a_job_result_reads_as_labels_not_json_keys():
    result = {
        "day": "2026-12-07",
        "alerts": {"projects": 2, "at_risk": 1, "new": 0},
        "capacity": {"method": "none", "tasks": 0},
    }
    line = job_summary(result, "zh")
    assert (
        line
        == "日期：2026-12-07；预警扫描：项目 2，有风险 1，新增 0；部门承载量排程：方法 无，任务 0"
    )
    assert "at_risk" not in line and "{" not in line
    assert job_summary(result, "en").startswith(
        "day: 2026-12-07; alert scan: projects 2, at risk 1"
    )


def test_the_gantt_shades_the_holidays_by_name_beside_a_fixed_label_column():
    assert holiday_spans(date(2026, 2, 10), date(2026, 2, 28), CAL.info) == [
        (date(2026, 2, 15), date(2026, 2, 23), "春节")
    ]
    assert holiday_spans(date(2026, 3, 2), date(2026, 3, 31), CAL.info) == []
    seq = CAL.sequence(date(2026, 2, 9))
    step = {
        "code": "S1-01",
        "name": "企业投资项目备案（赋码）" * 3,
        "critical": True,
        "status": "in_progress",
        "baseline_es": 0,
        "baseline_ef": 10,
        "forecast_es": 0,
        "forecast_ef": 12,
        "baseline_start": "2026-02-09",
        "baseline_end": "2026-03-02",
        "actual_start": "2026-02-09",
        "forecast_start": None,
        "actual_end": None,
        "forecast_end": "2026-03-04",
    }
    plan = {
        "code": "P-1",
        "steps": [step],
        "today": "2026-02-12",
        "today_workday": 3,
        "baseline_finish": "2026-03-02",
        "predicted_finish": "2026-03-04",
    }
    html = render_gantt(plan, {"S1-01": 0}, seq.date_of, "zh", CAL.info)
    assert '<ul class="gantt-labels"' in html and 'title="S1-01 企业投资项目备案' in html
    assert '<div class="gantt-chart" tabindex="0" role="region"' in html
    assert 'class="holiday"' in html and "<title>春节 02-15–02-23（法定节假日）</title>" in html
    # the bar spans the calendar days of its working days: over the whole holiday
    assert html.count("<rect") >= 4
    assert "holiday" not in render_gantt(plan, {"S1-01": 0}, seq.date_of, "zh")


def test_answers_and_regional_assessments_by_their_names():
    assert answer_label(default_catalogue(), "industry", "equipment") == (
        "装备制造",
        "Equipment manufacturing",
    )
    form = {"ra-energy": "1", "ra-flood": "1", "regional_assessments": "flood, mineral"}
    assert _regional(form) == ["energy", "flood", "mineral"]
