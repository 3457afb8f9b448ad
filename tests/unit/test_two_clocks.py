"""Two clocks in every plan: the government's review items (working days, counted stage by
stage as 国办发〔2019〕11号 does) and the enterprise's and intermediaries' own activities
(calendar or working days)."""

from datetime import date

import pytest

from approvals.calendar import WorkCalendar
from approvals.catalog import default_catalogue, parse_catalog
from approvals.errors import CatalogError, ProjectError
from approvals.graph import Mechanisms
from approvals.planning import plan
from approvals.project import Project, parse_project
from approvals.samples import sample_project_doc

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


def activity(code, requires=(), days=10, kind="enterprise", unit="calendar_days", stage=1, **extra):
    return {
        "code": code,
        "name": f"活动{code}",
        "kind": kind,
        "unit": unit,
        "stage": stage,
        "days": days,
        "requires": list(requires),
        **extra,
    }


def make(*items):
    return parse_catalog({"items": list(items)})


def test_calendar_days_activity_between_two_review_items():
    # A: Mon 2 – Fri 6 March (5 working days); E: 10 calendar days from Sat 7 to Mon 16;
    # B: the next working day, Tue 17, for 5 working days → Mon 23
    cat = make(item("A"), activity("E", ["A"]), item("B", ["E"], stage=2))
    p = plan(cat, Project(), CAL, MONDAY)
    a, e, b = p.item("A"), p.item("E"), p.item("B")
    assert (a.start_date, a.end_date) == (date(2026, 3, 2), date(2026, 3, 6))
    assert (e.start_date, e.end_date) == (date(2026, 3, 7), date(2026, 3, 16))
    assert (b.start_date, b.end_date) == (date(2026, 3, 17), date(2026, 3, 23))
    assert e.owner == "enterprise" and e.unit == "calendar_days" and e.department == "enterprise"
    assert p.finish_date == date(2026, 3, 23)
    assert p.approval_workdays == 10
    assert [(s.stage, s.approval_workdays) for s in p.stages] == [(1, 5), (2, 5)]
    assert p.stages[1].start_date == date(2026, 3, 17)
    assert p.enterprise_days == 10 and p.intermediary_days == 0
    assert p.critical_path == ["A", "E", "B"]
    # working-day figures over the whole project: E covers working days 5 … 10 (Mon 9 – Mon 16)
    assert (e.es, e.ef) == (5, 11) and (b.es, b.ef) == (11, 16)
    # makespan_workdays and serial_workdays keep their meaning: the review items alone
    assert (p.makespan, p.serial) == (10, 10)


def test_stage_workdays_are_the_union_not_the_sum():
    # two review items of stage 1 running side by side for 5 and 3 days, then one of 2 days:
    # the stage takes 7 working days (not 10)
    cat = make(
        item("A"),
        item("B", days=3),
        item("C", ["A", "B"], days=2),
        activity("S", ["A"], days=4, kind="intermediary", unit="workdays"),
    )
    p = plan(cat, Project(), CAL, MONDAY)
    assert p.approval_workdays == 7
    assert p.stages[0].approval_workdays == 7
    assert p.stages[0].start_date == MONDAY and p.stages[0].end_date == date(2026, 3, 10)
    # S runs on working days 5–8 (Mon 9 – Thu 12 March): four calendar days
    s = p.item("S")
    assert (s.start_date, s.end_date) == (date(2026, 3, 9), date(2026, 3, 12))
    assert p.intermediary_days == 4


def test_project_overrides_an_activity_duration():
    cat = make(item("A"), activity("E", ["A"]), item("B", ["E"]))
    p = plan(cat, Project(durations={"E": 3}), CAL, MONDAY)
    assert p.item("E").days == 3
    assert p.item("E").end_date == date(2026, 3, 9)
    assert p.item("B").start_date == date(2026, 3, 10)
    assert p.enterprise_days == 3
    assert parse_project({"durations": {"E": 3}}).durations == {"E": 3}
    with pytest.raises(ProjectError):
        plan(cat, Project(durations={"A": 3}), CAL, MONDAY)  # a review item's limit stays
    with pytest.raises(ProjectError):
        parse_project({"durations": {"E": "three"}})


def test_activities_off_bridges_them_and_plans_the_reviews_alone():
    cat = make(item("A"), activity("E", ["A"]), item("B", ["E"]))
    p = plan(cat, Project(), CAL, MONDAY, Mechanisms(activities=False))
    assert [i.code for i in p.items] == ["A", "B"]
    assert p.item("B").requires == {"A": 0}
    assert p.makespan == 10 and p.enterprise_days == 0
    assert p.makespan == plan(cat, Project(), CAL, MONDAY).makespan


def test_review_only_catalogue_reports_the_clock_without_activities():
    cat = make(item("A"), item("B", ["A"], stage=2, days=3))
    p = plan(cat, Project(), CAL, MONDAY)
    assert p.makespan == 8 and p.approval_workdays == 8
    assert p.enterprise_days == p.intermediary_days == 0
    assert p.milestones == {
        "project_code": None,
        "construction_permit": None,
        "completion_acceptance": None,
    }
    assert p.days_code_to_construction_permit is None
    doc = p.to_dict()
    assert doc["stages"][1] == {
        "stage": 2,
        "name": "工程建设许可",
        "approval_workdays": 3,
        "start_date": "2026-03-09",
        "end_date": "2026-03-11",
    }


def test_activity_schema_rules():
    with pytest.raises(CatalogError):  # a review item still names its department
        make({"code": "A", "name": "x", "stage": 1, "days": 1})
    with pytest.raises(CatalogError):  # review items count working days
        make(item("A", unit="calendar_days"))
    with pytest.raises(CatalogError):
        make(activity("E", kind="contractor"))
    with pytest.raises(CatalogError):  # an activity is not reviewed, so never merged
        parse_catalog(
            {
                "items": [item("A"), activity("E")],
                "merge_groups": [{"code": "G", "name": "g", "members": ["A", "E"]}],
            }
        )
    cat = make(item("A", milestone="project_code"), activity("E", ["A"]))
    assert cat.has_activities and cat.milestones == {"project_code": "A"}


def shipped_plan(**overrides):
    doc = sample_project_doc()
    if overrides:
        doc["durations"] = overrides
    project = parse_project(doc)
    return plan(default_catalogue(), project, CAL, project.start_date or MONDAY)


def test_shipped_catalogue_builds_before_it_accepts():
    p = shipped_plan()
    ms = p.milestones
    assert ms["project_code"] < ms["construction_permit"] < ms["completion_acceptance"]
    assert ms["production"] > ms["completion_acceptance"]
    above = p.item("E-BUILD-ABOVE")
    assert above.owner == "enterprise" and above.start_date > ms["construction_permit"]
    assert p.item("G-ACCEPT").start_date > above.end_date
    # construction takes months: acceptance comes more than half a year after the permit
    assert (ms["completion_acceptance"] - ms["construction_permit"]).days > 180
    assert (
        p.days_code_to_construction_permit == (ms["construction_permit"] - ms["project_code"]).days
    )
    assert 30 < p.days_code_to_construction_permit < 200
    assert p.enterprise_days > 200 and p.intermediary_days > 0
    assert 0 < p.approval_workdays <= 120
    assert p.approval_workdays == sum(s.approval_workdays for s in p.stages)
    assert [s.stage for s in p.stages] == [1, 2, 3, 4]
    # no department task stands for an enterprise's or intermediary's activity
    assert all(
        i.department in {"enterprise", "intermediary"} for i in p.items if i.owner != "review"
    )


def test_shipped_catalogue_overrides_move_the_acceptance():
    base = shipped_plan()
    longer = shipped_plan(**{"E-BUILD-ABOVE": 400})
    assert longer.milestones["completion_acceptance"] > base.milestones["completion_acceptance"]
    assert longer.approval_workdays == base.approval_workdays


def test_stage_union_counts_like_a_set_of_days():
    import random

    from approvals.planning import _stage_workdays, _union_length

    rng = random.Random(5)
    for _ in range(200):
        n = rng.randint(1, 30)
        stage = [rng.randint(1, 4) for _ in range(n)]
        es = [rng.randint(0, 40) for _ in range(n)]
        ef = [e + rng.randint(0, 6) for e in es]
        got = _stage_workdays(stage, es, ef)
        for st in set(stage):
            rows = [(s, e) for g, s, e in zip(stage, es, ef, strict=True) if g == st]
            days = {d for s, e in rows for d in range(s, e)}
            assert got[st] == (
                len(days),
                min(s for s, _ in rows),
                max(max(e - 1, s) for s, e in rows),
            )
            assert _union_length(sorted(rows)) == len(days)


def test_random_two_clock_plans_keep_their_order():
    import random
    from datetime import timedelta

    rng = random.Random(11)
    for _ in range(150):
        n = rng.randint(1, 15)
        raw = []
        for i in range(n):
            preds = rng.sample(range(i), k=min(i, rng.randint(0, 3)))
            days = rng.randint(0, 12)
            if rng.random() < 0.4:
                raw.append(
                    activity(
                        f"I{i}",
                        [f"I{p}" for p in preds],
                        days=days,
                        kind=rng.choice(["enterprise", "intermediary"]),
                        unit=rng.choice(["calendar_days", "workdays"]),
                        stage=rng.randint(1, 4),
                    )
                )
            else:
                raw.append(
                    item(f"I{i}", [f"I{p}" for p in preds], days=days, stage=rng.randint(1, 4))
                )
        cat = make(*raw)
        start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
        p = plan(cat, Project(), CAL, start)
        by = {i.code: i for i in p.items}
        for it in p.items:
            assert it.slack >= 0, it
            assert it.start_date <= it.end_date
            if it.owner == "review" or it.unit == "workdays":
                assert CAL.is_workday(it.start_date) or it.days == 0
            for code in it.requires:
                pred = by[code]
                after = pred.end_date + timedelta(days=1 if pred.days else 0)
                assert it.start_date >= after, (pred, it)
        assert p.finish_date == max(i.end_date for i in p.items)
        assert p.approval_workdays == sum(s.approval_workdays for s in p.stages)
        assert p.critical_path and all(by[c].critical for c in p.critical_path)
