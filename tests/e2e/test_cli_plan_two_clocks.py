"""`onetrip plan --format json` reports both clocks (审批用时 and 企业/中介用时), run as a user
runs it: a real process, real files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.e2e.test_cli_plan import MINIMAL, onetrip

SAMPLE = Path(__file__).parents[2] / "approvals" / "data" / "sample_project.json"

TWO_CLOCKS = {
    "items": [
        {"code": "A", "name": "赋码", "department": "发改", "stage": 1, "days": 1,
         "milestone": "project_code"},
        {"code": "R", "name": "环评报告编制", "kind": "intermediary", "unit": "calendar_days",
         "stage": 1, "days": 20, "requires": ["A"]},
        {"code": "B", "name": "环评审批", "department": "环保", "stage": 1, "days": 5,
         "requires": ["R"]},
        {"code": "C", "name": "施工许可", "department": "住建", "stage": 3, "days": 3,
         "requires": ["B"], "milestone": "construction_permit"},
        {"code": "W", "name": "施工", "kind": "enterprise", "unit": "calendar_days", "stage": 3,
         "days": 200, "requires": ["C"]},
        {"code": "D", "name": "竣工验收", "department": "住建", "stage": 4, "days": 5,
         "requires": ["W"], "milestone": "completion_acceptance"},
    ]
}  # fmt: skip


def plan_json(tmp_path: Path, catalogue: dict, project: dict) -> dict:
    (tmp_path / "c.json").write_text(json.dumps(catalogue, ensure_ascii=False), "utf-8")
    (tmp_path / "p.json").write_text(json.dumps(project, ensure_ascii=False), "utf-8")
    r = onetrip(
        "plan", "--project", str(tmp_path / "p.json"), "--catalog", str(tmp_path / "c.json"),
        "--format", "json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_json_reports_both_clocks(tmp_path: Path):
    doc = plan_json(tmp_path, TWO_CLOCKS, {"name": "p", "start_date": "2026-03-02"})
    # A Mon 2 March; R 20 calendar days 3–22 March; B Mon 23 – Fri 27; C Mon 30 – Wed 1 April;
    # W 200 calendar days 2 April – 18 October (a Sunday); D from Mon 19 October
    assert doc["milestones"] == {
        "project_code": "2026-03-02",
        "construction_permit": "2026-04-01",
        "completion_acceptance": "2026-10-23",
    }
    assert doc["days_code_to_construction_permit"] == 30
    assert doc["approval_workdays"] == 1 + 5 + 3 + 5
    assert [(s["stage"], s["approval_workdays"]) for s in doc["stages"]] == [(1, 6), (3, 3), (4, 5)]
    assert doc["stages"][2]["start_date"] == "2026-10-19"
    assert doc["stages"][2]["end_date"] == "2026-10-23"
    assert doc["enterprise_days"] == 200 and doc["intermediary_days"] == 20
    by = {i["code"]: i for i in doc["items"]}
    assert by["W"]["owner"] == "enterprise" and by["W"]["unit"] == "calendar_days"
    assert (by["W"]["start_date"], by["W"]["end_date"]) == ("2026-04-02", "2026-10-18")
    assert by["B"]["owner"] == "review" and by["B"]["unit"] == "workdays"
    # the review items' figures: the plan with the activities left out (A → B → C → D)
    assert doc["makespan_workdays"] == 14 and doc["serial_workdays"] == 14
    assert doc["finish_date"] == "2026-10-23"
    assert doc["critical_path"] == ["A", "R", "B", "C", "W", "D"]

    longer = plan_json(
        tmp_path, TWO_CLOCKS, {"name": "p", "start_date": "2026-03-02", "durations": {"W": 300}}
    )
    assert longer["enterprise_days"] == 300
    assert (
        longer["milestones"]["completion_acceptance"] > doc["milestones"]["completion_acceptance"]
    )


def test_minimal_catalogue_gains_fields_only(tmp_path: Path):
    doc = plan_json(tmp_path, MINIMAL, {"name": "p", "start_date": "2026-03-02"})
    assert doc["makespan_workdays"] == 12 and doc["approval_workdays"] == 12
    assert doc["enterprise_days"] == doc["intermediary_days"] == 0
    assert doc["milestones"] == {
        "project_code": None,
        "construction_permit": None,
        "completion_acceptance": None,
    }
    assert doc["days_code_to_construction_permit"] is None


def test_shipped_catalogue_plans_construction_before_acceptance(tmp_path: Path):
    r = onetrip("plan", "--project", str(SAMPLE), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    ms = {k: date.fromisoformat(v) for k, v in doc["milestones"].items()}
    by = {i["code"]: i for i in doc["items"]}
    assert date.fromisoformat(by["E-BUILD-ABOVE"]["end_date"]) < ms["completion_acceptance"]
    assert ms["construction_permit"] < ms["completion_acceptance"] < ms["production"]
    assert (
        doc["days_code_to_construction_permit"]
        == (ms["construction_permit"] - ms["project_code"]).days
    )
    assert doc["approval_workdays"] <= 120 and doc["makespan_workdays"] <= 120
    assert doc["enterprise_days"] > 300 and doc["intermediary_days"] > 0
