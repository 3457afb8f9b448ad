"""The shape a newcomer relies on: dependencies point one way, pure modules stay pure and typed.

* no two top-level packages import each other, directly or around a cycle — static imports at any
  depth (inside functions too) and dynamic loading (``importlib``) both count;
* the domain packages never import the web adapter (``api``) nor litestar;
* the pure domain modules import no database session and no web framework, type-check with mypy,
  and their docstring examples run (doctest).
"""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "access",
    "approvals",
    "landplots",
    "commitments",
    "agent_service",
    "api",
    "storage",
    "i18n",
    "migrations",
]
DOMAIN = ["approvals", "landplots", "commitments", "agent_service"]

#: Pure domain modules: plain values, shapely and networkx; no sqlalchemy, no litestar.
PURE = [
    "access/actor.py",
    "access/policy.py",
    "access/credit_code.py",
    "access/password_rules.py",
    "i18n/__init__.py",
    "approvals/calendar.py",
    "approvals/catalog.py",
    "approvals/catalog_checks.py",
    "approvals/catalog_cycles.py",
    "approvals/catalog_edit.py",
    "approvals/catalog_io.py",
    "approvals/catalog_schema.py",
    "approvals/fast_init.py",
    "approvals/conditions.py",
    "approvals/graph.py",
    "approvals/planning.py",
    "approvals/plan_output.py",
    "approvals/project.py",
    "approvals/project_code.py",
    "approvals/questionnaire.py",
    "approvals/schedule.py",
    "approvals/workflow.py",
    "approvals/activities.py",
    "approvals/clock_forecast.py",
    "approvals/efficiency.py",
    "approvals/capacity.py",
    "approvals/exchange.py",
    "approvals/errors.py",
    "approvals/counter_documents.py",
    "approvals/pdf.py",
    "landplots/geometry.py",
    "landplots/indicators.py",
    "landplots/model.py",
    "landplots/features.py",
    "landplots/index.py",
    "landplots/errors.py",
    "commitments/model.py",
    "commitments/canonical.py",
    "commitments/signing.py",
    "commitments/ledger.py",
    "commitments/evaluation.py",
    "commitments/grading.py",
    "commitments/errors.py",
    "agent_service/model.py",
    "agent_service/checklist.py",
    "agent_service/milestones.py",
    "agent_service/alerts.py",
    "agent_service/assignment.py",
    "agent_service/digest.py",
    "agent_service/ical.py",
    "agent_service/errors.py",
]


def _imports(path: Path) -> set[str]:
    """Every module name a file imports, at any depth, plus names given to importlib."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
        ):
            names.add("<importlib>")
    return names


def _package_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(PACKAGES)
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[0]
                if top in PACKAGES and top != pkg:
                    g.add_edge(pkg, top, where=str(path.relative_to(ROOT)))
    return g


def test_top_level_packages_form_no_cycle():
    g = _package_graph()
    cycles = list(nx.simple_cycles(g))
    where = [
        " → ".join([*c, c[0]])
        + ": "
        + ", ".join(g.edges[a, b]["where"] for a, b in zip(c, c[1:] + c[:1], strict=True))
        for c in cycles
    ]
    assert not cycles, "import cycles between packages:\n" + "\n".join(where)


@pytest.mark.parametrize("pkg", DOMAIN)
def test_domain_packages_never_import_the_web_adapter(pkg):
    offenders = []
    for path in (ROOT / pkg).rglob("*.py"):
        names = _imports(path)
        bad = {n for n in names if n.split(".")[0] in {"api", "litestar"} or n == "<importlib>"}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_session_and_no_framework(module):
    names = _imports(ROOT / module)
    bad = {
        n
        for n in names
        if n.split(".")[0] in {"sqlalchemy", "litestar", "api", "storage", "uvicorn"}
        or n == "<importlib>"
    }
    assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("module", PURE)
def test_docstring_examples_run(module):
    mod = importlib.import_module(
        module.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    )
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{module}: {result.failed} of {result.attempted} examples failed"


def test_pure_modules_type_check():
    mypy_api = pytest.importorskip("mypy.api")
    out, err, status = mypy_api.run(
        [
            "--ignore-missing-imports",
            "--follow-imports=silent",
            "--no-incremental",
            *[str(ROOT / m) for m in PURE],
        ]
    )
    assert status == 0, out + err
