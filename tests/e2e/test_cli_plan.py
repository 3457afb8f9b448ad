"""The `onetrip plan` contract, run as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from approvals.calendar import WorkCalendar

MINIMAL = {
    "items": [
        {"code": "A", "name": "立项", "department": "发改", "stage": 1, "days": 3, "requires": []},
        {
            "code": "B",
            "name": "规划",
            "department": "规划",
            "stage": 1,
            "days": 5,
            "requires": ["A"],
        },
        {
            "code": "C",
            "name": "环评",
            "department": "环保",
            "stage": 1,
            "days": 2,
            "requires": ["A"],
        },
        {
            "code": "D",
            "name": "施工许可",
            "department": "住建",
            "stage": 3,
            "days": 4,
            "requires": ["B", "C"],
        },
    ]
}


def onetrip(
    *args: str, cwd: Path | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    import os

    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, **(env or {})},
        timeout=120,
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "c.json").write_text(json.dumps(MINIMAL, ensure_ascii=False), "utf-8")
    (tmp_path / "p.json").write_text(json.dumps({"name": "测试项目"}), "utf-8")
    return tmp_path


def test_json_output_follows_the_contract(files: Path):
    r = onetrip(
        "plan",
        "--project",
        "p.json",
        "--catalog",
        "c.json",
        "--start",
        "2026-09-30",
        "--format",
        "json",
        cwd=files,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in (
        "start_date",
        "makespan_workdays",
        "serial_workdays",
        "finish_date",
        "critical_path",
        "items",
        "waived",
        "provisional",
    ):
        assert key in out
    assert out["start_date"] == "2026-09-30"
    assert out["makespan_workdays"] == 12 and out["serial_workdays"] == 14
    assert out["critical_path"] == ["A", "B", "D"]
    items = {i["code"]: i for i in out["items"]}
    assert {k for k in items["A"]} >= {
        "code",
        "name",
        "department",
        "stage",
        "batch",
        "es",
        "ef",
        "ls",
        "lf",
        "slack",
        "start_date",
        "end_date",
    }
    assert (items["C"]["batch"], items["C"]["es"], items["C"]["slack"]) == (1, 3, 3)
    seq = WorkCalendar().sequence(date(2026, 9, 30))
    for i in items.values():
        assert i["start_date"] == seq.date_of(i["es"]).isoformat()
        assert i["end_date"] == seq.date_of(i["ef"] - 1).isoformat()
    assert out["finish_date"] == seq.date_of(11).isoformat()
    # A takes 9-30, 10-08, 10-09 (the National Day holiday between); B starts on the make-up Saturday
    assert items["B"]["start_date"] == "2026-10-10"
    assert out["provisional"] is False and out["waived"] == []


def test_yaml_catalogue_and_default_catalogue(files: Path):
    import yaml

    (files / "c.yaml").write_text(yaml.safe_dump(MINIMAL, allow_unicode=True), "utf-8")
    assert (
        onetrip(
            "plan", "--project", "p.json", "--catalog", "c.yaml", "--format", "json", cwd=files
        ).returncode
        == 0
    )
    sample = Path(__file__).parents[2] / "approvals" / "data" / "sample_project.json"
    r = onetrip("plan", "--project", str(sample), "--format", "json", cwd=files)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["waived"]


def test_table_bpmn_and_ics_formats(files: Path):
    table = onetrip(
        "plan", "--project", "p.json", "--catalog", "c.json", "--start", "2026-03-02", cwd=files
    )
    assert (
        table.returncode == 0
        and "施工许可" in table.stdout
        and "★" in table.stdout
        and "█" in table.stdout
    )
    english = onetrip(
        "--lang", "en", "plan", "--project", "p.json", "--catalog", "c.json", cwd=files
    )
    assert "Critical path" in english.stdout
    bpmn = onetrip(
        "plan", "--project", "p.json", "--catalog", "c.json", "--format", "bpmn", cwd=files
    )
    assert bpmn.stdout.startswith("<?xml") and "parallelGateway" in bpmn.stdout
    ics = onetrip(
        "plan",
        "--project",
        "p.json",
        "--catalog",
        "c.json",
        "--format",
        "ics",
        "--out",
        "plan.ics",
        cwd=files,
    )
    assert ics.returncode == 0 and (files / "plan.ics").read_text().count("BEGIN:VEVENT") == 4


def test_plan_past_the_known_years_is_marked_provisional(files: Path):
    r = onetrip(
        "plan",
        "--project",
        "p.json",
        "--catalog",
        "c.json",
        "--start",
        "2026-12-28",
        "--format",
        "json",
        cwd=files,
    )
    out = json.loads(r.stdout)
    assert out["provisional"] is True and out["provisional_years"] == [2027]


BAD = [
    (["--project", "missing.json"], "missing.json"),
    (["--project", "p.json", "--catalog", "broken.json"], "broken.json"),
    (["--project", "p.json", "--catalog", "schema.json"], "items[1] (B).days"),
    (["--project", "p.json", "--catalog", "cycle.json"], "A → B → A"),
    (["--project", "p.json", "--catalog", "unknown.json"], "'ZZ'"),
    (["--project", "p.json", "--catalog", "c.json", "--start", "1999-01-01"], "1999-01-01"),
    (["--project", "p.json", "--catalog", "c.json", "--start", "2026-02-30"], "--start"),
    (["--project", "notobject.json", "--catalog", "c.json"], "notobject.json"),
]


@pytest.mark.parametrize(("args", "culprit"), BAD)
def test_bad_input_exits_non_zero_with_one_clear_line(files: Path, args: list[str], culprit: str):
    (files / "broken.json").write_text('{"items": [', "utf-8")
    bad_schema = json.loads(json.dumps(MINIMAL))
    bad_schema["items"][1]["days"] = -4
    (files / "schema.json").write_text(json.dumps(bad_schema), "utf-8")
    cycle = {
        "items": [
            {"code": "A", "name": "a", "department": "d", "stage": 1, "days": 1, "requires": ["B"]},
            {"code": "B", "name": "b", "department": "d", "stage": 1, "days": 1, "requires": ["A"]},
        ]
    }
    (files / "cycle.json").write_text(json.dumps(cycle), "utf-8")
    unknown = {
        "items": [
            {"code": "A", "name": "a", "department": "d", "stage": 1, "days": 1, "requires": ["ZZ"]}
        ]
    }
    (files / "unknown.json").write_text(json.dumps(unknown), "utf-8")
    (files / "notobject.json").write_text("[1, 2]", "utf-8")
    r = onetrip("plan", *args, cwd=files)
    assert r.returncode != 0
    assert culprit in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2, r.stderr  # click usage errors add a hint line
