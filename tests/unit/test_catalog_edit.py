"""The catalogue edit and diff (pure): what counts as a change, what an edit keeps, and the
edited copy against the full checks of parse_catalog."""

from __future__ import annotations

import pytest

from approvals.catalog import default_catalogue, parse_catalog
from approvals.catalog_edit import (
    CatalogueDiff,
    ItemEdit,
    MaterialEdit,
    apply_edit,
    diff_documents,
    diff_summary,
    edit_problems,
)
from approvals.errors import CycleError


def edit_of(item: dict, **changes) -> ItemEdit:
    return ItemEdit(
        **{
            "name": item["name"],
            "department": item["department"],
            "days": item["days"],
            "statutory_days": item.get("statutory_days"),
            "legal_basis": item.get("legal_basis", ""),
            "materials": tuple(
                MaterialEdit(m["code"], m["name"]) for m in item.get("materials") or ()
            ),
            **changes,
        }
    )


@pytest.fixture(scope="module")
def doc() -> dict:
    return default_catalogue().document


def item(doc: dict, code: str) -> dict:
    return next(i for i in doc["items"] if i["code"] == code)


def test_an_unchanged_edit_changes_nothing_but_the_version(doc):
    same = apply_edit(doc, "S1-02", edit_of(item(doc, "S1-02")), version="x")
    assert diff_documents(doc, same) == CatalogueDiff()
    assert same["catalog"]["version"] == "x" and doc["catalog"]["version"] != "x"
    assert same["items"] == doc["items"]


def test_prerequisites_keep_their_lead_and_a_rename_drops_the_english_name(doc):
    lead = next(
        i for i in doc["items"] if any(isinstance(r, dict) for r in i.get("requires") or ())
    )
    codes = tuple(r if isinstance(r, str) else r["code"] for r in lead["requires"])
    out = apply_edit(doc, lead["code"], edit_of(lead, requires=codes))
    assert item(out, lead["code"])["requires"] == lead["requires"]
    first = item(doc, "S1-01")["materials"][0]
    renamed = apply_edit(
        doc,
        "S1-01",
        edit_of(item(doc, "S1-01"), materials=(MaterialEdit(first["code"], "新名称"),)),
    )
    m = item(renamed, "S1-01")["materials"][0]
    assert m["name"] == "新名称" and "name_en" not in m
    d = diff_documents(doc, renamed)
    assert d.changed == (("S1-01", ("materials",)),)
    assert diff_summary(d, "en") == "changed S1-01 (materials)"


def test_a_cycle_passes_the_field_checks_and_is_caught_by_the_full_checks(doc):
    e = edit_of(item(doc, "S1-01"), requires=("S1-03",))
    assert edit_problems(doc, "S1-01", e) == []
    with pytest.raises(CycleError) as err:
        parse_catalog(apply_edit(doc, "S1-01", e))
    assert any("S1-01" in c for c in err.value.cycles)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "名称：不能为空"),
        ({"days": None}, "承诺时限：须填写整数天数"),
        ({"statutory_days": -1}, "法定时限：不能为负数"),
        ({"materials": (MaterialEdit("", "表"),)}, "申请材料：材料「表」缺少编号"),
        ({"materials": (MaterialEdit("M x", "表"),)}, "申请材料：材料编号「M x」无效"),
        ({"requires": ("S1-01",)}, "前置事项：事项不能以自身为前置"),
    ],
)
def test_each_bad_field_is_named(doc, changes, field):
    problems = edit_problems(doc, "S1-01", edit_of(item(doc, "S1-01"), **changes))
    assert any(p.zh.startswith("事项 S1-01「") and field in p.zh for p in problems), problems
