"""The 代办清单's phases, entries and milestones, from plain step values."""

from __future__ import annotations

from datetime import date

from agent_service.checklist import build_checklist, current_phase, phases
from agent_service.milestones import milestone_status, plan_milestones
from agent_service.model import (
    ActionView,
    Contact,
    ExtraEntry,
    MaterialView,
    MeetingView,
    Note,
    StepView,
)
from i18n import Text

D = date(2026, 3, 2)


def step(code, stage, requires=(), outputs=(), status="waiting", end=None, base=None, **kw):
    return StepView(
        code=code,
        name=f"事项{code}",
        stage=stage,
        status=status,
        requires=tuple(requires),
        outputs=frozenset(outputs),
        end=end,
        baseline_end=base or end or D,
        **kw,
    )


PLAN = [
    step("S1-01", 1, outputs=["C-project-code"], status="done", end=date(2026, 3, 2)),
    step("S1-02", 1, ["S1-01"], ["C-land-contract"], "in_progress", date(2026, 3, 30)),
    step("S1-03", 1, ["S1-02"], ["C-land-planning-permit"], end=date(2026, 3, 31)),
    step("S1-04", 1, ["S1-02"], ["C-land-title"], end=date(2026, 3, 31)),
    step("S1-06", 1, ["S1-01"], ["C-eia-approval"], "ready", date(2026, 3, 4)),
    step("G-DESIGN", 2, ["S1-01"], end=date(2026, 3, 20)),
    step("S3-05", 3, ["S1-04", "G-DESIGN"], end=date(2026, 4, 8)),
    step("S4-08", 4, ["S3-05"], end=date(2026, 5, 6)),
]


def test_phases_follow_the_landing_certificates():
    got = phases(PLAN)
    assert {c for c, p in got.items() if p == "pre_landing"} == {"S1-01", "S1-02", "S1-03"}
    assert got["S1-04"] == got["S1-06"] == got["G-DESIGN"] == got["S3-05"] == "post_landing"
    assert got["S4-08"] == "post_completion"
    assert current_phase(PLAN, got) == "pre_landing"


def test_without_a_land_step_the_filing_alone_is_before_landing():
    plan = [step("A", 1, outputs=["C-code"]), step("B", 1, ["A"]), step("C", 2, ["A"])]
    got = phases(plan)
    assert got == {"A": "pre_landing", "B": "post_landing", "C": "post_landing"}
    done = [step(s.code, s.stage, s.requires, status="done") for s in plan]
    assert current_phase(done, got) == "post_completion"


def test_checklist_entries_carry_materials_contacts_notes_and_extras():
    entries = build_checklist(
        PLAN,
        materials={
            "S1-06": [
                MaterialView("M-eia-report", "环评报告", state="missing"),
                MaterialView("M-pp", "公众参与说明", state="missing", deferrable=True),
            ],
            "S1-01": [MaterialView("M-form", "备案表", state="uploaded")],  # done: not listed
        },
        contacts={"sthj": Contact("sthj", "生态环境分局", phone="0571-1")},
        meetings=[MeetingView(7, "协调会", date(2026, 3, 10), "held", ("zrzy",), 1)],
        actions=[ActionView(3, 7, "补充材料", "王经理", date(2026, 3, 12), "open")],
        extras=[
            ExtraEntry(1, "benchmark", Text("对标验收", "benchmark"), date(2026, 6, 1)),
            ExtraEntry(1, "landing-check", Text("交地核查", "hand-over"), D, phase="pre_landing"),
        ],
        notes={"step:S1-06": Note("step:S1-06", "已联系郑科长", True, D)},
    )
    by_key = {e.key: e for e in entries}
    eia = by_key["step:S1-06"]
    assert eia.status == "todo" and eia.ticked and eia.note == "已联系郑科长"
    assert [m.code for m in eia.materials] == ["M-eia-report", "M-pp"]
    assert by_key["step:S1-01"].status == "done" and by_key["step:S1-01"].materials == []
    assert by_key["meeting:7"].phase == by_key["action:3"].phase == "post_landing"
    assert by_key["checkpoint:benchmark"].phase == "post_completion"
    assert by_key["checkpoint:landing-check"].phase == "pre_landing"
    phases_in_order = [e.phase for e in entries]
    assert phases_in_order == sorted(
        phases_in_order, key=["pre_landing", "post_landing", "post_completion"].index
    )
    d = by_key["step:S1-06"].to_dict("zh")
    assert d["materials_missing"] == 2 and d["due"] == "2026-03-04"


def test_milestone_status_and_the_plan_milestones():
    assert milestone_status(D, None, None, date(2026, 3, 3)) == "overdue"
    assert milestone_status(D, None, date(2026, 3, 5), date(2026, 2, 1)) == "at_risk"
    assert milestone_status(D, None, D, date(2026, 2, 1)) == "scheduled"
    assert milestone_status(D, D, D, date(2026, 4, 1)) == "met"
    assert milestone_status(D, date(2026, 3, 3), None, date(2026, 4, 1)) == "met_late"
    marks = {m.key: m for m in plan_milestones(PLAN, phases(PLAN), date(2026, 3, 3))}
    assert list(marks) == ["landing", "stage-1", "stage-2", "stage-3", "stage-4"]
    assert marks["landing"].steps == ("S1-01", "S1-02", "S1-03")
    assert marks["landing"].forecast_on == date(2026, 3, 31) and marks["landing"].met_on is None
