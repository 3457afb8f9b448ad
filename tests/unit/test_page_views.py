"""The pages' pure helpers: why an item is in the plan (or waived, or reduced), and the audit
trail as readable lines in China's time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from api.pages.audit_view import Names, lines, local_time, readable
from api.pages.why import applicability
from approvals.calendar import WorkCalendar
from approvals.catalog import default_catalogue
from approvals.planning import plan
from approvals.project import parse_project
from approvals.samples import sample_project_doc


def _baseline():
    doc = sample_project_doc()
    catalogue = default_catalogue()
    project = parse_project(doc)
    return catalogue, doc, plan(catalogue, project, WorkCalendar(), date(2026, 1, 5)).to_dict()


def test_waived_and_reduced_items_carry_reason_and_basis():
    catalogue, doc, baseline = _baseline()
    why = applicability(catalogue, baseline, doc["attributes"], "zh")
    waived = {w["code"]: w for w in why["waived"]}
    assert (
        "S1-10" in waived and waived["S1-10"]["reason"] and "浙政办发" in waived["S1-10"]["basis"]
    )
    reduced = {r["code"]: r for r in why["reduced"]}
    assert "S1-05" in reduced and reduced["S1-05"]["days_after"] < reduced["S1-05"]["days_before"]
    assert reduced["S1-05"]["basis"]


def test_each_planned_item_names_the_answers_that_made_it_apply():
    catalogue, doc, baseline = _baseline()
    applied = {
        a["code"]: a for a in applicability(catalogue, baseline, doc["attributes"], "zh")["applied"]
    }
    assert "S1-12" not in applied  # not hazardous
    assert applied["S3-08"]["answers"] and applied["S3-08"]["answers"][0]["answer"] == "是"
    assert applied["S1-01"]["answers"] == [] and "条例" in applied["S1-01"]["basis"]
    en = {
        a["code"]: a for a in applicability(catalogue, baseline, doc["attributes"], "en")["applied"]
    }
    assert en["S3-08"]["answers"][0]["answer"] == "yes"


def test_audit_lines_are_unescaped_and_local_to_the_minute():
    at = datetime(2026, 12, 5, 23, 59, 30, 123456, tzinfo=UTC)
    assert local_time(at) == "2026-12-06 07:59"
    assert local_time(at.replace(tzinfo=None)) == "2026-12-06 07:59"  # naive = UTC
    assert lines({"comment": "窗口排队", "ok": True, "codes": ["a", "b"], "n": None}) == [
        ("意见", "窗口排队"),
        ("ok", "是"),
        ("codes", "a、b"),
        ("n", "—"),
    ]
    # field names, statuses, roles, departments and indicator keys by their names
    assert lines(
        {
            "status": "in_review",
            "due_on": "2026-12-07",
            "verdicts": {"investment_intensity": "met"},
        },
        Names("zh", {"fgw": ("发展和改革局", "Development and Reform Bureau")}),
    ) == [("状态", "审查中"), ("办结时限", "2026-12-07"), ("核验结论", "固定资产投资强度：达标")]
    assert lines({"department": "fgw"}, Names("zh", {"fgw": ("发展和改革局", "DRB")})) == [
        ("部门", "发展和改革局")
    ]
    assert lines(None) == [] and lines("x") == [("", "x")]
    row = SimpleNamespace(
        id=1, at=at, actor="e1", role="enterprise", action="step.rate", before=None, after={"s": 2}
    )
    assert readable([row])[0] == {
        "id": 1,
        "at": "2026-12-06 07:59",
        "actor": "e1",
        "role": "项目单位",
        "action": "好差评",
        "before": [],
        "after": [("s", "2")],
    }
