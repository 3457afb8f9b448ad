"""Evaluation (per-mu values, verdicts with tolerance, the vectorised form), consequences from
the ladder with their deadlines, checkpoint dates, policies, and 亩均论英雄 grades."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from approvals.calendar import WorkCalendar
from commitments import evaluation as ev
from commitments.errors import InspectionError, PolicyError
from commitments.grading import DEFAULT_GRADING, GradingPolicy, grade_of, score
from commitments.model import (
    DEFAULT_POLICY,
    ConsequenceRule,
    IndicatorTerm,
    Policy,
    Status,
    Verdict,
)
from landplots.model import Milestone

CAL = WorkCalendar()
MU, M2 = 80.0, 80.0 * 10000 / 15


def term(key, lower=None, upper=None, milestone=Milestone.ACCEPTANCE, tolerance=0.1):
    return IndicatorTerm(key, key, "", lower, upper, milestone, tolerance)


def test_per_mu_values_from_raw_figures():
    v = ev.per_mu_values(
        {
            "fixed_asset_investment": 32000,
            "floor_area": 2 * M2,
            "building_footprint": M2 / 2,
            "green_area": M2 / 10,
            "building_height": 24,
            "tax": 2800,
            "value_added": 8000,
            "energy_tce": 4000,
            "emissions_t": 20,
            "rd_spending": 300,
            "revenue": 10000,
            "employees": 200,
            "labor_productivity": 55,  # a zone's own key is measured directly
        },
        MU,
        M2,
    )
    assert v["investment_intensity"] == 400 and v["plot_ratio"] == pytest.approx(2)
    assert v["building_density"] == pytest.approx(50) and v["green_ratio"] == pytest.approx(10)
    assert v["tax_per_mu"] == 35 and v["value_added_per_mu"] == 100
    assert v["energy_value_added"] == 2 and v["emission_value_added"] == 400
    assert v["rd_ratio"] == 3 and v["height"] == 24
    assert v["labor_productivity"] == 40  # derived from the raw figures when they are there
    assert ev.per_mu_values({"labor_productivity": 55}, MU, M2)["labor_productivity"] == 55
    assert "energy_value_added" not in ev.per_mu_values({"value_added": 1, "energy_tce": 0}, MU, M2)


def test_verdicts_with_tolerance_and_ranges():
    assert ev.evaluate_value(35, 35, None, 0.1) == (Status.MET, 0.0)
    assert ev.evaluate_value(32, 35, None, 0.1)[0] == Status.PARTIALLY_MET
    assert ev.evaluate_value(31, 35, None, 0.1)[0] == Status.NOT_MET
    assert ev.evaluate_value(3.2, 1.5, 3.0, 0.1)[0] == Status.PARTIALLY_MET  # above the upper bound
    assert ev.evaluate_value(2.0, 1.5, 3.0, 0.1)[0] == Status.MET
    assert ev.evaluate_term(term("x", 1), None) == Verdict("x", Status.NOT_MET, None, 1.0)
    with pytest.raises(InspectionError, match="floor_area"):
        ev.evaluate([term("plot_ratio", 1.5, 3)], {"tax": 1}, MU, M2)


@pytest.mark.parametrize(
    "figures, culprit",
    [
        ({"taxes": 1}, "taxes"),
        ({"tax": -1}, "tax"),
        ({"tax": "x"}, "tax"),
        ({"tax": True}, "tax"),
        ({"tax": float("inf")}, "tax"),
    ],
)
def test_bad_figures_are_named(figures, culprit):
    with pytest.raises(InspectionError, match=culprit):
        ev.check_figures(figures)


bound = st.one_of(st.none(), st.floats(min_value=0.01, max_value=1000))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=2000),
            bound,
            bound,
            st.floats(min_value=0, max_value=0.5),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_vectorised_evaluation_agrees_with_the_scalar_one(rows):
    rows = [(v, lo, hi, t) for v, lo, hi, t in rows if lo is not None or hi is not None]
    if not rows:
        return
    arr = lambda i: np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=float)  # noqa: E731
    codes, short = ev.evaluate_arrays(arr(0), arr(1), arr(2), arr(3))
    for (v, lo, hi, t), code, s in zip(rows, codes, short, strict=True):
        status, expected = ev.evaluate_value(v, lo, hi, t)
        assert ev.STATUS_CODES[code] == status
        assert s == pytest.approx(expected)


def verdict(status, shortfall):
    return Verdict("tax_per_mu", Status(status), 1.0, shortfall)


@pytest.mark.parametrize(
    "status, shortfall, attempt, expected",
    [
        ("met", 0, 1, None),
        ("partiallyMet", 0.05, 1, "correction"),
        ("notMet", 0.15, 1, "correction"),
        ("notMet", 0.25, 1, "damages"),
        ("partiallyMet", 0.05, 2, "damages"),
        ("notMet", 0.25, 2, "credit_record"),
        ("notMet", 0.6, 3, "land_recovery"),
        ("overdue", 1.0, 1, "bond_forfeit"),
        ("overdue", 1.0, 2, "credit_record"),
    ],
)
def test_the_ladder_picks_the_most_severe_matching_rung(status, shortfall, attempt, expected):
    rule = ev.select_consequence(DEFAULT_POLICY.ladder, verdict(status, shortfall), attempt)
    assert (rule.code if rule else None) == expected


def test_consequence_amounts_and_deadlines():
    decided = date(2026, 9, 25)
    k = ev.consequence_for(
        verdict("notMet", 0.25),
        1,
        DEFAULT_POLICY,
        area_mu=80,
        land_price=2400,
        decided_on=decided,
        calendar=CAL,
    )
    assert k.rule.code == "damages" and k.amount == pytest.approx(0.25 * 2400)
    assert k.deadline == CAL.add_workdays(decided, 120)
    bond = ev.consequence_for(
        Verdict("x", Status.OVERDUE, None, 1.0),
        1,
        DEFAULT_POLICY,
        area_mu=80,
        land_price=2400,
        decided_on=decided,
        calendar=CAL,
    )
    assert bond.amount == 5 * 80 and bond.deadline == CAL.add_workdays(decided, 20)
    # across the National Day holiday (10 October 2026 is a make-up working day)
    assert CAL.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_checkpoint_dates_on_the_working_day_calendar():
    completion = date(2026, 9, 28)
    assert ev.acceptance_due(CAL, completion, DEFAULT_POLICY) == CAL.add_workdays(completion, 30)
    # three years after 3 October 2023 is a day of the National Day holiday: the next working day
    assert ev.production_due(CAL, date(2023, 10, 3), DEFAULT_POLICY) == date(2026, 10, 8)
    assert ev.add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert ev.overdue_after(CAL, date(2026, 3, 2), Policy(grace_workdays=5)) == date(2026, 3, 9)


def test_zone_policies_are_validated_by_field():
    p = Policy.from_dict(
        {
            "production_years": 5,
            "tolerances": {"tax_per_mu": 0.05},
            "ladder": [{"code": "correction", "statuses": ["notMet"], "correction_workdays": 60}],
        }
    )
    assert (
        p.production_years == 5
        and p.tolerance_for("tax_per_mu") == 0.05
        and p.tolerance_for("rd_ratio") == 0.1
    )
    assert Policy.from_dict(p.to_dict()) == p
    for bad, culprit in [
        ({"tolerance": 1.5}, "tolerance"),
        ({"production_years": 0}, "production_years"),
        ({"ladder": []}, "ladder"),
        ({"ladder": [{"code": "jail", "statuses": ["notMet"]}]}, "jail"),
        ({"ladder": [{"code": "correction", "statuses": ["met"]}]}, "statuses"),
        ({"surprise": 1}, "surprise"),
    ]:
        with pytest.raises(PolicyError, match=culprit):
            Policy.from_dict(bad)
    assert ConsequenceRule.from_dict(DEFAULT_POLICY.ladder[2].to_dict()) == DEFAULT_POLICY.ladder[2]
    assert "差额比例" in DEFAULT_POLICY.ladder[2].describe(
        "zh"
    ) and "shortfall" in DEFAULT_POLICY.ladder[2].describe("en")


def test_grades_with_the_huangyan_weights():
    at_benchmark = dict(DEFAULT_GRADING.benchmarks)
    assert score(at_benchmark).total == pytest.approx(100) and score(at_benchmark).grade == "B"
    strong = {k: v * 1.3 for k, v in at_benchmark.items()}
    assert score(strong).grade == "A"
    capped = score({k: v * 10 for k, v in at_benchmark.items()})
    assert capped.total == pytest.approx(150)  # each ratio capped at 1.5
    weak = score({"tax_per_mu": 10})
    assert weak.parts["tax_per_mu"] == pytest.approx(10) and weak.grade == "D"
    assert [grade_of(x) for x in (120, 90, 60, 10)] == ["A", "B", "C", "D"]
    assert score(at_benchmark).grade_text("zh") == "B 支持发展"


def test_grading_policies_are_configurable_and_validated():
    g = GradingPolicy.from_dict(
        {"weights": {"tax_per_mu": 50, "value_added_per_mu": 50}, "thresholds": {"A": 90}}
    )
    assert score({"tax_per_mu": 30, "value_added_per_mu": 100}, g).total == pytest.approx(100)
    assert score({"tax_per_mu": 30, "value_added_per_mu": 100}, g).grade == "A"
    for bad, culprit in [
        ({"weights": {"tax_per_mu": 50}}, "100"),
        ({"weights": {"luck": 100}}, "luck"),
        ({"benchmarks": {"tax_per_mu": 0}}, "benchmarks"),
        ({"thresholds": {"A": 10, "B": 50}}, "thresholds"),
    ]:
        with pytest.raises(PolicyError, match=culprit):
            GradingPolicy.from_dict(bad)
