"""The planner: applicability, waivers, merges, splits, leads, CPM figures and dates."""

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.calendar import WorkCalendar
from approvals.catalog import default_catalogue, parse_catalog
from approvals.errors import ProjectError
from approvals.graph import Mechanisms
from approvals.planning import plan
from approvals.project import Project, parse_project

CAL = WorkCalendar()
MONDAY = date(2026, 3, 2)


def item(code, requires=(), days=5, dept="d1", stage=1, **extra):
    return {
        "code": code,
        "name": f"事项{code}",
        "department": dept,
        "stage": stage,
        "days": days,
        "requires": list(requires),
        **extra,
    }


def make(*items, **extra):
    return parse_catalog({"items": list(items), **extra})


def test_cpm_figures_batches_and_critical_path():
    cat = make(
        item("A", days=2),
        item("B", ["A"], days=3),
        item("C", ["A"], days=1),
        item("D", ["B", "C"], days=2),
    )
    p = plan(cat, Project(), CAL, MONDAY)
    by = {i.code: i for i in p.items}
    assert p.makespan == 7 and p.serial == 8
    assert (by["A"].es, by["A"].ef, by["B"].es, by["B"].ef, by["D"].es) == (0, 2, 2, 5, 5)
    assert (by["C"].ls, by["C"].lf, by["C"].slack) == (4, 5, 2)
    assert [by[c].batch for c in "ABCD"] == [0, 1, 1, 2]
    assert p.critical_path == ["A", "B", "D"]
    assert [i.critical for i in p.items] == [True, True, False, True]
    # dates: working day 0 = Monday 2 March; A takes days 0-1
    assert (by["A"].start_date, by["A"].end_date) == (date(2026, 3, 2), date(2026, 3, 3))
    assert by["D"].start_date == date(2026, 3, 9)  # day 5 = next Monday
    assert p.finish_date == date(2026, 3, 10)  # day 6
    assert p.parallel_saving == 1


def test_start_on_a_holiday_begins_at_the_next_working_day():
    p = plan(make(item("A", days=1)), Project(), CAL, date(2026, 10, 1))
    assert p.start_date == date(2026, 10, 1)
    assert p.first_workday == p.items[0].start_date == p.finish_date == date(2026, 10, 8)


def test_zero_day_item_ends_the_day_it_starts():
    p = plan(make(item("A", days=0), item("B", ["A"], days=1)), Project(), CAL, MONDAY)
    a = p.item("A")
    assert (a.es, a.ef, a.start_date, a.end_date) == (0, 0, MONDAY, MONDAY)
    assert p.makespan == 1


def test_lead_lets_an_item_start_before_its_prerequisite_ends():
    cat = make(
        item("LAND", days=20),
        item("DESIGN", [{"code": "LAND", "lead": 10}], days=5),
        item("PERMIT", ["LAND", "DESIGN"], days=3),
    )
    p = plan(cat, Project(), CAL, MONDAY)
    assert p.item("DESIGN").es == 10
    assert p.item("PERMIT").es == 20
    assert p.makespan == 23
    assert (
        p.savings["early_starts"].workdays == 5
    )  # without the lead: DESIGN ends at 25, PERMIT at 28


def test_lead_never_lets_a_successor_start_before_its_prerequisite_starts():
    p = plan(
        make(item("A", days=3), item("B", [{"code": "A", "lead": 50}], days=1)),
        Project(),
        CAL,
        MONDAY,
    )
    assert p.item("B").es == 0 and p.item("B").requires == {"A": 3}


QUESTIONS = [
    {"key": "hazardous", "text": "是否涉及危化品", "type": "boolean"},
    {"key": "investment", "text": "总投资", "type": "number", "unit": "万元", "default": 1000},
]


def test_applicability_and_bridging_keep_the_order_the_catalogue_implies():
    cat = make(
        item("A", days=2),
        item("H", ["A"], days=10, applies_if={"attr": "hazardous", "eq": True}),
        item("B", ["H"], days=1),
        questions=QUESTIONS,
    )
    safe = plan(cat, Project({"hazardous": False}), CAL, MONDAY)
    assert safe.not_applicable == ["H"]
    assert safe.item("B").requires == {"A": 0} and safe.item("B").es == 2
    risky = plan(cat, Project({"hazardous": True}), CAL, MONDAY)
    assert risky.item("B").es == 12


def test_missing_answer_names_the_attribute_and_the_item():
    cat = make(item("H", applies_if={"attr": "hazardous", "eq": True}), questions=QUESTIONS)
    with pytest.raises(ProjectError) as err:
        plan(cat, Project({}), CAL, MONDAY)
    assert "hazardous" in str(err.value) and "H" in str(err.value)


def test_wrong_answer_type_is_refused():
    cat = make(item("A"), questions=QUESTIONS)
    with pytest.raises(ProjectError, match="investment"):
        plan(cat, Project({"hazardous": False, "investment": "lots"}), CAL, MONDAY)


def test_waivers_by_regional_assessment_with_reasons():
    cat = make(
        item("F", days=1),
        item(
            "EIA",
            ["F"],
            days=10,
            waivers=[{"assessment": "environment", "effect": "commitment", "days": 1}],
        ),
        item(
            "MIN",
            ["F"],
            days=8,
            waivers=[{"assessment": "mineral", "effect": "waive", "basis": "区域压覆矿产评估"}],
        ),
        item("P", ["EIA", "MIN"], days=3),
    )
    project = parse_project(
        {
            "regional_assessments": [
                {
                    "type": "mineral",
                    "name": "开发区压覆矿产资源评估",
                    "zone": "钱塘新区",
                    "reference": "ZJ-2025-07",
                },
                "environment",
            ]
        }
    )
    p = plan(cat, project, CAL, MONDAY)
    assert [w.code for w in p.waived] == ["MIN"]
    assert "ZJ-2025-07" in p.waived[0].reason_zh and "区域压覆矿产评估" in p.waived[0].reason_zh
    assert [(r.code, r.days_before, r.days_after) for r in p.reduced] == [("EIA", 10, 1)]
    assert p.item("EIA").mode == "commitment"
    assert p.item("P").requires == {"EIA": 0} and p.item("P").es == 2
    assert p.makespan == 5
    assert p.savings["waivers"].workdays == 11 - 2  # without: P starts at 11
    assert p.savings["waivers"].review_days == 8 + 9


def test_expired_assessment_waives_nothing():
    cat = make(item("MIN", days=8, waivers=[{"assessment": "mineral", "effect": "waive"}]))
    project = parse_project(
        {"regional_assessments": [{"type": "mineral", "valid_to": "2025-12-31"}]}
    )
    assert plan(cat, project, CAL, MONDAY).waived == []


def test_merge_group_is_one_node_signed_by_all_member_departments():
    cat = make(
        item("S", days=2),
        item("M1", ["S"], days=5, dept="zrzy"),
        item("M2", ["S"], days=4, dept="fire"),
        item("M3", ["S"], days=3, dept="rfb"),
        item("E", ["M1", "M2", "M3"], days=1),
        merge_groups=[
            {
                "code": "G",
                "name": "联合验收",
                "members": ["M1", "M2", "M3"],
                "days": 5,
                "department": "zrzy",
            }
        ],
    )
    p = plan(cat, Project(), CAL, MONDAY)
    g = p.item("G")
    assert (
        g.kind == "merged"
        and g.members == ("M1", "M2", "M3")
        and g.departments == ("zrzy", "fire", "rfb")
    )
    assert (
        g.items == ("M1", "M2", "M3")
        and p.item("S").departments == ("d1",)
        and p.item("S").items == ("S",)
    )
    assert p.item("E").requires == {"G": 0}
    assert p.makespan == 8
    # unmerged, the members run one after another (5+4+3)
    assert p.savings["merges"].workdays == (2 + 12 + 1) - 8
    assert p.savings["merges"].review_days == 12 - 5


def test_merge_with_one_applicable_member_leaves_it_alone():
    cat = make(
        item("M1", days=5),
        item("M2", days=4, applies_if={"attr": "x", "eq": 1}),
        merge_groups=[{"code": "G", "name": "合并", "members": ["M1", "M2"]}],
    )
    p = plan(cat, Project({"x": 0}), CAL, MONDAY)
    assert [i.code for i in p.items] == ["M1"]


def test_split_parts_have_their_own_prerequisites():
    cat = make(
        item("SCHEME", days=5),
        item("DRAWINGS", ["SCHEME"], days=10),
        item(
            "PERMIT",
            ["SCHEME", "DRAWINGS"],
            days=3,
            split={
                "applies_if": {"attr": "piling_first", "eq": True},
                "parts": [
                    {"code": "PILE", "name": "桩基", "days": 2, "requires": ["SCHEME"]},
                    {"code": "MAIN", "name": "主体", "days": 3, "requires": ["DRAWINGS"]},
                ],
            },
        ),
        item("WORKS", ["PILE"], days=1),
        item("DONE", ["PERMIT"], days=1),
    )
    p = plan(cat, Project({"piling_first": True}), CAL, MONDAY)
    assert {i.code for i in p.items} == {"SCHEME", "DRAWINGS", "PILE", "MAIN", "WORKS", "DONE"}
    assert p.item("PILE").es == 5 and p.item("PILE").part_of == "PERMIT"
    assert p.item("PILE").departments == ("d1",) and p.item("PILE").items == ("PERMIT",)
    assert p.item("DONE").requires == {"PILE": 0, "MAIN": 0}
    assert p.savings["splits"].first_permit_days == 18 - 7
    plain = plan(cat, Project({"piling_first": False}), CAL, MONDAY)
    assert plain.item("WORKS").requires == {"PERMIT": 0}  # a part's code stands for the whole


def test_mechanisms_can_be_switched_off():
    cat = default_catalogue()
    from approvals.samples import sample_project_doc

    project = parse_project(sample_project_doc())
    full = plan(cat, project, CAL)
    bare = plan(
        cat, project, CAL, mechanisms=Mechanisms(False, False, False, False), measure_savings=False
    )
    assert bare.makespan > full.makespan
    assert not any(i.kind in {"merged", "part"} for i in bare.items)
    assert bare.waived == [] and bare.reduced == []


def test_provisional_when_the_plan_reaches_an_unknown_year():
    cat = make(item("A", days=30))
    p = plan(cat, Project(), CAL, date(2026, 12, 1))
    assert p.provisional and p.provisional_years == [2027]
    assert not plan(cat, Project(), CAL, date(2026, 3, 2)).provisional


def test_materials_are_told_once_and_certificates_are_never_asked():
    cat = make(
        item(
            "A",
            days=1,
            materials=[{"code": "M1", "name": "申请表"}],
            outputs=[{"code": "C1", "name": "证照"}],
        ),
        item(
            "B",
            ["A"],
            materials=[
                {"code": "M1", "name": "申请表"},
                {"code": "C1", "name": "证照"},
                {"code": "M2", "name": "效果图", "deferrable": True},
            ],
        ),
    )
    p = plan(cat, Project(), CAL, MONDAY)
    by = {m.code: m for m in p.materials}
    assert by["M1"].needed_by == ("A", "B")
    assert by["C1"].provided_by == "A"
    assert [m.code for m in p.materials_to_submit] == ["M1", "M2"]
    assert by["M2"].deferrable


def test_default_catalogue_sample_plan_meets_the_national_target():
    from approvals.samples import sample_project_doc

    p = plan(default_catalogue(), parse_project(sample_project_doc()), CAL)
    assert p.makespan <= 120  # 国办发〔2019〕11号: ≤ 120 working days
    assert p.serial > p.makespan
    assert {"waivers", "early_starts", "merges", "splits"} <= set(p.savings)
    assert p.waived and p.reduced


# --- invariants on random catalogues ---------------------------------------------------------


@st.composite
def random_catalogues(draw):
    n = draw(st.integers(1, 25))
    items = []
    for i in range(n):
        preds = draw(st.lists(st.integers(0, i - 1), max_size=3, unique=True)) if i else []
        reqs = [{"code": f"I{p}", "lead": draw(st.integers(0, 3))} for p in preds]
        items.append(item(f"I{i}", reqs, days=draw(st.integers(0, 9))))
    return make(*items)


@given(random_catalogues(), st.dates(date(2004, 1, 1), date(2030, 12, 31)))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_plan_invariants(cat, start):
    p = plan(cat, Project(), CAL, start)
    by = {i.code: i for i in p.items}
    assert p.makespan == max(i.ef for i in p.items)
    assert p.serial == sum(i.days for i in p.items)
    for i in p.items:
        assert i.ef == i.es + i.days and i.slack == i.ls - i.es >= 0 and i.lf <= p.makespan
        for pred, lead in i.requires.items():
            assert i.es >= by[pred].ef - lead and i.es >= by[pred].es
            assert i.batch > by[pred].batch
        assert CAL.is_workday(i.start_date) and i.start_date >= start
    path = [by[c] for c in p.critical_path]
    assert path[0].es == 0 and path[-1].ef == p.makespan
    assert all(x.slack == 0 for x in path)
    for a, b in itertools.pairwise(path):
        assert a.code in b.requires and b.es == a.ef - b.requires[a.code]
