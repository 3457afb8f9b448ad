"""Catalogue loading: the minimal form, the schema, and every error naming the item and field."""

import json
import subprocess
import sys

import pytest

from approvals.catalog import default_catalogue, parse_catalog
from approvals.catalog_schema import CATALOG_SCHEMA, REGIONAL_ASSESSMENT_TYPES
from approvals.documents import parse_document
from approvals.errors import CatalogError, CycleError, DocumentError, UnknownPrerequisiteError


def item(code, requires=(), days=5, **extra):
    return {
        "code": code,
        "name": f"事项{code}",
        "department": "d1",
        "stage": 1,
        "days": days,
        "requires": list(requires),
        **extra,
    }


def test_minimal_form_is_accepted():
    cat = parse_catalog({"items": [item("A"), item("B", ["A"])]})
    assert list(cat.items) == ["A", "B"]
    assert cat.items["B"].requires[0].code == "A"
    assert cat.department_name("d1") == "d1"


def problems_of(doc):
    with pytest.raises(CatalogError) as err:
        parse_catalog(doc)
    return [p.en for p in err.value.problems]


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"days": -1}, "items[1] (B).days"),
        ({"stage": 7}, "items[1] (B).stage"),
        ({"days": "five"}, "items[1] (B).days"),
        ({"colour": "red"}, "items[1] (B)"),
        ({"requires": [{"code": "A", "lead": -2}]}, "items[1] (B).requires[0]"),
        (
            {"waivers": [{"assessment": "astrology", "effect": "waive"}]},
            "items[1] (B).waivers[0].assessment",
        ),
    ],
)
def test_schema_errors_name_the_item_code_and_field(bad, expected):
    doc = {"items": [item("A"), {**item("B", ["A"]), **bad}]}
    assert any(p.startswith(expected) for p in problems_of(doc)), problems_of(doc)


def test_missing_required_field_is_named():
    doc = {"items": [{"code": "A", "name": "x", "stage": 1, "days": 1}]}
    assert problems_of(doc) == ["items[0] (A).department: is required"]


def test_every_problem_is_reported_not_only_the_first():
    doc = {"items": [item("A", days=-1), item("A"), {**item("C"), "stage": 0}]}
    assert len(problems_of(doc)) >= 2


def test_duplicate_codes_and_unknown_departments():
    doc = {
        "departments": [{"code": "d1", "name": "部门一"}],
        "items": [item("A"), item("A"), {**item("B"), "department": "zz"}],
    }
    found = problems_of(doc)
    assert any("duplicate code 'A'" in p for p in found)
    assert any("items[2] (B).department: unknown department 'zz'" in p for p in found)


def test_unknown_prerequisite_is_refused_by_name():
    with pytest.raises(UnknownPrerequisiteError) as err:
        parse_catalog({"items": [item("A"), item("B", ["A", "Z9"])]})
    assert "items[1] (B).requires[1]: unknown prerequisite 'Z9'" in err.value.problems[0].en


def test_a_cycle_is_refused_naming_every_item_in_it():
    doc = {"items": [item("A", ["C"]), item("B", ["A"]), item("C", ["B"]), item("D")]}
    with pytest.raises(CycleError) as err:
        parse_catalog(doc)
    assert err.value.cycles == [["A", "B", "C"]]
    assert "A → B → C → A" in str(err.value)


def test_self_requirement_and_two_cycles():
    with pytest.raises(CatalogError, match="cannot require itself"):
        parse_catalog({"items": [item("A", ["A"])]})
    with pytest.raises(CycleError) as err:
        parse_catalog(
            {"items": [item("A", ["B"]), item("B", ["A"]), item("C", ["D"]), item("D", ["C"])]}
        )
    assert err.value.cycles == [["A", "B"], ["C", "D"]]


def test_a_merge_that_would_close_a_loop_is_a_cycle():
    # X and Y are merged; Y needs A and A needs X: reviewed as one, X+Y would wait for itself
    doc = {
        "items": [item("X"), item("A", ["X"]), item("Y", ["A"])],
        "merge_groups": [{"code": "G", "name": "合并", "members": ["X", "Y"]}],
    }
    with pytest.raises(CycleError) as err:
        parse_catalog(doc)
    assert err.value.cycles == [["A", "G"]]


def test_merge_and_waiver_consistency():
    doc = {
        "items": [
            item("A"),
            item("B", waivers=[{"assessment": "energy", "effect": "commitment", "days": 9}]),
        ],
        "merge_groups": [{"code": "G", "name": "合并", "members": ["A", "Q"]}],
    }
    found = problems_of(doc)
    assert any("merge_groups[0] (G).members[1]: unknown item 'Q'" in p for p in found)
    assert any("items[1] (B).waivers[0].days" in p for p in found)


def test_conditions_must_use_declared_questions():
    doc = {
        "questions": [{"key": "hazardous", "text": "危化？", "type": "boolean"}],
        "items": [item("A", applies_if={"attr": "hazardus", "eq": True})],
    }
    assert problems_of(doc) == [
        "items[0] (A).applies_if: attribute 'hazardus' is not a question of the questionnaire"
    ]


def test_committed_limit_cannot_exceed_statutory():
    found = problems_of({"items": [item("A", days=30, statutory_days=20)]})
    assert found == ["items[0] (A).days: committed limit 30 exceeds the statutory limit 20"]


def test_default_catalogue_is_realistic():
    cat = default_catalogue()
    assert 30 <= len(cat.items) <= 50
    assert 10 <= len(cat.departments) <= 14
    assert {i.stage for i in cat.items.values()} == {1, 2, 3, 4}
    assert all(i.legal_basis for i in cat.items.values()), "every item cites its basis"
    assert cat.merge_groups
    assert any(i.split for i in cat.items.values())
    assert any(r.lead > 0 for i in cat.items.values() for r in i.requires)
    waived_types = {w.assessment for i in cat.items.values() for w in i.waivers}
    assert waived_types == set(REGIONAL_ASSESSMENT_TYPES)
    assert any(m.deferrable for i in cat.items.values() for m in i.materials)


def test_malformed_documents_say_where():
    with pytest.raises(DocumentError, match="line 2, column"):
        parse_document('{"items": [\n  {"code": }]}', "c.json")
    with pytest.raises(DocumentError, match="malformed YAML at line"):
        parse_document("items:\n  - code: A\n   name: [", "c.yaml")
    with pytest.raises(DocumentError, match="aliases"):
        parse_document("a: &x [1, 2]\nb: *x\n", "c.yaml")


def test_the_published_schema_is_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(CATALOG_SCHEMA)
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", "catalog", "schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == CATALOG_SCHEMA
