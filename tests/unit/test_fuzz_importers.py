"""Property-based fuzzing of the importers: hostile input never crashes them; it is refused with
the importer's own error (naming the culprit), or accepted as a valid catalogue."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approvals.calendar import parse_arrangement
from approvals.catalog import parse_catalog
from approvals.documents import parse_document
from approvals.errors import ApprovalsError, CalendarError, CatalogError, DocumentError
from approvals.project import parse_project

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)

item_keys = st.sampled_from(
    [
        "code",
        "name",
        "department",
        "stage",
        "days",
        "requires",
        "applies_if",
        "waivers",
        "split",
        "materials",
        "outputs",
        "statutory_days",
        "lead",
    ]
)
items = st.lists(st.dictionaries(item_keys, json_values, max_size=8), max_size=6)
codes = st.sampled_from(["A", "B", "C", "D", ""])
plausible_items = st.lists(
    st.fixed_dictionaries(
        {
            "code": codes,
            "name": st.text(min_size=0, max_size=5),
            "department": st.sampled_from(["d1", "d2", ""]),
            "stage": st.integers(-1, 6),
            "days": st.integers(-2, 12),
            "requires": st.lists(
                codes | st.fixed_dictionaries({"code": codes, "lead": st.integers(-1, 5)}),
                max_size=3,
            ),
        }
    ),
    max_size=6,
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"items": items}),
        st.fixed_dictionaries({"items": plausible_items}),
    )
)
@SETTINGS
def test_catalogue_loader_never_crashes(doc):
    try:
        catalogue = parse_catalog(doc)
    except CatalogError as e:
        assert e.problems and all(p.zh and p.en for p in e.problems)
        return
    # accepted: then it is a consistent catalogue
    assert all(
        r.code in catalogue.items or r.code in catalogue.part_parent
        for i in catalogue.items.values()
        for r in i.requires
    )


@given(st.text(max_size=300), st.sampled_from(["json", "yaml", None]))
@SETTINGS
def test_document_parser_never_crashes(text, fmt):
    try:
        parse_document(text, "fuzz", fmt)
    except DocumentError as e:
        assert "fuzz" in str(e)


@given(st.binary(max_size=200))
@SETTINGS
def test_document_parser_on_arbitrary_bytes(data):
    text = data.decode("utf-8", errors="replace")
    with contextlib.suppress(DocumentError):
        parse_document(text, "fuzz.yaml")


@given(json_values)
@SETTINGS
def test_project_and_arrangement_parsers_never_crash(doc):
    for parse, errors in ((parse_project, ApprovalsError), (parse_arrangement, CalendarError)):
        with contextlib.suppress(errors):
            parse(doc)


def test_yaml_bombs_are_refused_not_expanded():
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n"
    try:
        parse_document(bomb, "bomb.yaml")
    except DocumentError as e:
        assert "aliases" in str(e)
    else:
        raise AssertionError("aliases accepted")
    deep = "[" * 5000 + "]" * 5000
    for text, name in ((deep, "deep.json"), ("a:\n" + "  - " * 3000 + "x\n", "deep.yaml")):
        try:
            parse_document(text, name)
        except DocumentError as e:
            assert name in str(e)
        except RecursionError:
            raise AssertionError(f"{name}: deep nesting crashed the parser") from None
