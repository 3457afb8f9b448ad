"""The fast paths of loading and planning give exactly what the plain ones give (issue 16)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from approvals import catalog as C
from approvals import catalog_io
from approvals.calendar import WorkCalendar
from approvals.documents import _fast_json, parse_document
from approvals.planning import plan
from approvals.project import parse_project
from approvals.schedule import cpm_in_order, cpm_indexed

ROOT = Path(__file__).resolve().parents[2]


def test_rust_patterns_judge_codes_as_python_re_does():
    rust = catalog_io._rust_validator()
    assert rust is not None
    code_schema = {"type": "string", "pattern": r"^\S+$"}
    import jsonschema_rs

    fast = jsonschema_rs.validator_for(catalog_io._with_rust_patterns(code_schema))
    chars = [chr(c) for c in range(0x3100)] + ["\ufeff", "\U0001f600", "\u2028", "\u3000"]
    for ch in chars:
        if 0xD800 <= ord(ch) < 0xE000:
            continue
        for text in (f"A{ch}B", f"AB{ch}", ch):
            assert fast.is_valid(text) == bool(re.search(r"^\S+$", text)), repr(text)
    key = jsonschema_rs.validator_for(
        catalog_io._with_rust_patterns({"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"})
    )
    for text in ("a", "a\n", "a\n\n", "1a", "_a1", "a b", "\na", "a\r"):
        assert key.is_valid(text) == bool(re.search(r"^[A-Za-z_][A-Za-z0-9_]*$", text))


def _doc(**item):
    base = {"code": "A", "name": "甲", "department": "D", "stage": 1, "days": 3, "requires": []}
    return {"items": [{**base, **item}, {**base, "code": "B", "requires": ["A"]}]}


@pytest.mark.parametrize(
    "doc",
    [
        _doc(),
        _doc(code="A\n"),
        _doc(code="A\x1c"),
        _doc(code="A\u0085"),
        _doc(code="A\ufeff"),
        _doc(days=3.0),
        _doc(days=3.5),
        _doc(days=True),
        _doc(stage=5),
        _doc(requires=[{"code": "B", "lead": 1}]),
        _doc(requires=[{"code": "B", "lead": -1}]),
        _doc(applies_if={"attr": "x", "eq": date(2026, 1, 1)}),
        _doc(name=""),
        {"items": [{"code": "A"}]},
        {"items": "A"},
    ],
)
def test_fast_schema_check_agrees_with_jsonschema(doc):
    full = list(catalog_io._full_validator().iter_errors(doc))
    assert (catalog_io.schema_problems(doc) == []) == (not full)


def test_cpm_in_order_gives_the_figures_of_kahn():
    rng = random.Random(16)
    for _ in range(500):
        n = rng.randint(0, 30)
        durations = [rng.randint(0, 6) for _ in range(n)]
        preds, leads = [], {}
        succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for v in range(n):
            ps = rng.sample(range(v), min(v, rng.randint(0, 4)))
            pairs = [(p, min(durations[p], rng.choice([0, 0, 1, 3]))) for p in ps]
            preds.append(ps)
            if any(lead for _, lead in pairs):
                leads[v] = pairs
            for p, lead in pairs:
                succs[p].append((v, lead))
        a, b = cpm_indexed(durations, succs), cpm_in_order(durations, preds, leads)
        assert b is not None
        for field in ("batch", "es", "ef", "ls", "lf", "makespan", "critical_path"):
            assert getattr(a, field) == getattr(b, field)
        assert sorted(b.order) == list(range(n))
    assert cpm_in_order([1, 1], [[1], []], {}) is None  # not in topological order


def test_cpm_in_order_with_numpy_gives_the_figures_of_the_python_pass(monkeypatch):
    """Large graphs take the numpy pass: the same batches, figures, order and critical path."""
    from approvals import schedule

    rng = random.Random(1616)
    for case in range(200):
        n = rng.choice([1, 2, 3, 8, 40, 300])
        durations = [rng.randint(0, 6) for _ in range(n)]
        preds, leads = [], {}
        for v in range(n):
            ps = rng.sample(range(v), min(v, rng.randint(0, 4)))
            pairs = [(p, min(durations[p], rng.choice([0, 0, 1, 3]))) for p in ps]
            preds.append(ps)
            if case % 2 and any(lead for _, lead in pairs):
                leads[v] = pairs
        monkeypatch.setattr(schedule, "NUMPY_FROM", 10**9)
        plain = cpm_in_order(durations, preds, leads)
        monkeypatch.setattr(schedule, "NUMPY_FROM", 0)
        assert cpm_in_order(durations, preds, leads) == plain
    assert cpm_in_order([1, 1], [[1], []], {}) is None  # not in topological order, numpy too


def test_catalogue_positions_are_the_prerequisites_indices():
    doc = {
        "items": [
            {"code": "A", "name": "甲", "department": "D", "stage": 1, "days": 3},
            {
                "code": "B",
                "name": "乙",
                "department": "D",
                "stage": 1,
                "days": 2,
                "requires": ["A"],
            },
            {
                "code": "C",
                "name": "丙",
                "department": "D",
                "stage": 2,
                "days": 1,
                "requires": ["B", "A"],
                "legal_basis": "x",  # not a plain item: read the long way, positions all the same
            },
        ]
    }
    assert C.parse_catalog(doc).positions == [(), (0,), (1, 0)]
    doc["items"].append(doc["items"].pop(0))  # A after the items requiring it
    assert C.parse_catalog(doc).positions is None
    leads = {
        "items": [doc["items"][2], {**doc["items"][0], "requires": [{"code": "A", "lead": 1}]}]
    }
    assert C.parse_catalog(leads).positions is None


def test_plan_json_pieces_join_to_the_stdlib_text(monkeypatch):
    """Written a few items per piece, the plan is still the stdlib's text byte for byte."""
    from approvals import plan_output

    sample = json.loads((ROOT / "approvals/data/sample_project.json").read_text("utf-8"))
    sample.pop("plot")
    p = plan(C.default_catalogue(), parse_project(sample), WorkCalendar(), date(2026, 9, 28))
    for per_piece in (1, 2, 5, 10_000):
        monkeypatch.setattr(plan_output, "ITEMS_PER_PIECE", per_piece)
        for lang in ("zh", "en"):
            expected = json.dumps(p.to_dict(lang), ensure_ascii=False, indent=2) + "\n"
            assert b"".join(plan_output.plan_json_pieces(p, lang)) == expected.encode()
    from dataclasses import replace

    for odd in (replace(p, items=[]), replace(p, project_name=plan_output._ITEMS_MARK)):
        expected = json.dumps(odd.to_dict(), ensure_ascii=False, indent=2) + "\n"
        assert plan_output.plan_json(odd) == expected.encode()


def test_plan_json_is_the_stdlib_text():
    from api.cli.plan import plan_json

    sample = json.loads((ROOT / "approvals/data/sample_project.json").read_text("utf-8"))
    sample.pop("plot")
    p = plan(C.default_catalogue(), parse_project(sample), WorkCalendar(), date(2026, 9, 28))
    for lang in ("zh", "en"):
        expected = json.dumps(p.to_dict(lang), ensure_ascii=False, indent=2) + "\n"
        assert plan_json(p, lang) == expected.encode()


@pytest.mark.parametrize(
    "value",
    [
        1,
        3.0,
        0.5,
        -0.0,
        1e14,
        1e15,
        1e16,
        1e-5,
        2**70,
        float("nan"),
        float("inf"),
        "x",
        None,
        [1e-7, "a"],
        {"k": 1e300},
        date(2024, 1, 1),
        datetime(2024, 1, 1, 3),
    ],
)
def test_catalogue_hash_is_the_same_with_msgspec(value):
    doc = _doc(applies_if={"attr": "x", "in": [value, 1]})
    doc["catalog"] = {"code": "c", "version": value if isinstance(value, int | float) else 1}
    plain = catalog_io.msgspec_writes_as_json(doc)
    assert catalog_io.canonical_sha256(doc, plain) == catalog_io.canonical_sha256(doc)
    if isinstance(value, float) and not 1e-4 <= abs(value) < 1e15 and value != 0:
        assert not plain


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        "[NaN]",
        "[1E400]",
        '["\\ud800"]',
        '["a\tb"]',
        "[1] x",
        "[18446744073709551616]",
        "[0.1e1]",
        '["\\u00e9"]',
        "[01]",
        "[" * 3000 + "]" * 3000,
    ],
)
def test_json_documents_read_as_the_stdlib_reads_them(text):
    try:
        expected = repr(json.loads(text))
    except (ValueError, RecursionError):
        expected = None
    try:
        got = repr(_fast_json(text))
    except Exception:
        got = None
    assert got is None or got == expected
    if expected is not None:
        assert repr(parse_document(text, "x.json")) == expected


def test_plan_from_files_imports_neither_the_orm_nor_networkx(tmp_path: Path):
    (tmp_path / "c.json").write_text(json.dumps(_doc()), "utf-8")
    (tmp_path / "p.json").write_text("{}", "utf-8")
    script = (
        "import sys\n"
        "from api.cli import main\n"
        "try:\n"
        "    main(['plan', '--project', 'p.json', '--catalog', 'c.json', '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'networkx', 'litestar', 'jsonschema')"
        " if m in sys.modules), file=sys.stderr)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert json.loads(r.stdout)["makespan_workdays"] == 6
    assert r.stderr.strip().splitlines()[-1] == "[]"


def _with_defaults_spelled_out(doc):
    """The same catalogue with every item's defaults written out: it takes the full path of
    ``_parse_items`` rather than the one for items with only the usual fields."""
    out = json.loads(json.dumps(doc))
    for it in out["items"]:
        it.update(kind="review", unit="workdays")
    return out


@pytest.mark.parametrize("seed", range(6))
def test_items_with_only_the_usual_fields_parse_as_the_full_path_parses_them(seed):
    rng = random.Random(seed)
    items = []
    for i in range(40):
        preds = rng.sample(range(i), min(i, rng.randint(0, 3)))
        item = {
            "code": f"I{i:03d}",
            "name": f"事项{i}",
            "department": f"D{i % 4}",
            "stage": 1 + i // 10,
            "days": rng.randint(0, 9),
            "requires": [f"I{p:03d}" for p in preds],
        }
        if rng.random() < 0.3:
            item["name_en"] = f"item {i}"
        if rng.random() < 0.2 and preds:
            item["requires"] = [{"code": f"I{p:03d}", "lead": rng.randint(0, 2)} for p in preds]
        items.append(item)
    if seed % 2:
        rng.shuffle(items)
    doc = {"departments": [{"code": f"D{j}", "name": f"部门{j}"} for j in range(4)], "items": items}
    fast = C.parse_catalog(doc)
    full = C.parse_catalog(_with_defaults_spelled_out(doc))
    assert fast.items == full.items
    assert [type(r) for i in fast.items.values() for r in i.requires] == [
        C.Requirement for i in fast.items.values() for r in i.requires
    ]
    # the problems an item with only the usual fields can have are found on both paths
    broken = json.loads(json.dumps(doc))
    broken["items"][5]["department"] = "DX"
    broken["items"][7]["requires"] = [broken["items"][2]["code"]] * 2
    broken["items"][9]["requires"] = [broken["items"][9]["code"]]
    errors = []
    for d in (broken, _with_defaults_spelled_out(broken)):
        with pytest.raises(Exception) as e:
            C.parse_catalog(d, "c.json")
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1]


def test_fast_frozen_init_keeps_the_dataclass_contract():
    import dataclasses
    import pickle

    item = C.Item("A", "甲", "D", 1, 3, (C.Requirement("B"), C.Requirement("C", lead=2)))
    assert item.unit == "workdays" and item.kind == "review" and item.materials == ()
    assert item == C.Item(
        code="A", name="甲", department="D", stage=1, days=3, requires=item.requires
    )
    assert hash(item) == hash(dataclasses.replace(item))
    assert pickle.loads(pickle.dumps(item)) == item
    assert dataclasses.replace(item, days=4).days == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.days = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        C.Item("A", "甲", "D", 1)  # days missing


def test_plan_process_ends_early_only_as_its_own_entry_point(tmp_path: Path):
    """``python -m api.cli plan`` ends without freeing the plan (all its output written);
    ``main(argv)`` called by a program returns through SystemExit as before."""
    doc = {
        "items": [_doc()["items"][0]]
        + [
            {
                "code": f"X{i}",
                "name": "乙",
                "department": "D",
                "stage": 1,
                "days": 2,
                "requires": ["A"],
            }
            for i in range(3000)
        ]
    }
    (tmp_path / "c.json").write_text(json.dumps(doc), "utf-8")
    (tmp_path / "p.json").write_text("{}", "utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    args = ["plan", "--project", "p.json", "--catalog", "c.json", "--format", "json"]
    r = subprocess.run(
        [sys.executable, "-m", "api.cli", *args], cwd=tmp_path, env=env, capture_output=True
    )
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["items"]) == 3001
    script = (
        "import sys\n"
        "from api.cli import main\n"
        "from api.cli.common import _process\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as e:\n"
        "    print('exit', e.code, len(_process['kept']), file=sys.stderr)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert len(json.loads(r.stdout)["items"]) == 3001
    assert r.stderr.strip().splitlines()[-1] == "exit 0 0"


@pytest.mark.parametrize(
    "raw",
    [
        '{"a": "甲", "b": [1, 2.5, null, true]}'.encode(),
        b'\xef\xbb\xbf{"a": 1}',  # a BOM
        b'{"a": NaN}',
        b'{"a": 1e400}',
        b'{"a": "\\ud800"}',
        b'{"a": "\xff"}',  # not UTF-8
        b'{"a": "\xed\xa0\x80"}',  # an encoded surrogate: not UTF-8 either
        b'{"a": 1,}',
        b"",
    ],
)
def test_a_json_file_reads_as_its_text_does(tmp_path, raw):
    """JSON files are decoded from their bytes: the same values, or the same error, as when
    their text is parsed."""
    from approvals.documents import read_document
    from approvals.errors import DocumentError

    path = tmp_path / "d.json"
    path.write_bytes(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        with pytest.raises(DocumentError, match=f"not UTF-8 text \\(byte {e.start}\\)"):
            read_document(path)
        return
    try:
        expected = parse_document(text, str(path), "json")
    except DocumentError as e:
        with pytest.raises(DocumentError) as got:
            read_document(path)
        assert str(got.value) == str(e)
        return
    got = read_document(path)
    assert json.dumps(got) == json.dumps(expected)
