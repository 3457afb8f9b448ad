"""Plan time against catalogue size, beside networkx's bare topological sort of the same graph.

Random catalogues of N items, each requiring about 3 earlier items (uniformly chosen), 1–10
working days each, one department per 25 items.  For each size we time ``approvals.planning.plan``
(applicability, graph, batches, CPM, critical path, dates on the working-day calendar) on an
already-loaded catalogue, and ``list(nx.topological_sort(G))`` on a prebuilt ``nx.DiGraph`` of
the same items and edges.  Median of repeats (more repeats for small sizes).

Including load (issue 16): ``parse_catalog`` (schema, every cross-item check, cycles, hash) plus
``plan``, beside a bare pass over the same document: an ``nx.DiGraph`` built from the items,
``topological_sort`` and one longest-path pass (the makespan).  Both start from the parsed
document (JSON decoding is in ``bench/plan_e2e.py``).

    python bench/plan_scale.py                 # 50, 1,000, 10,000, 100,000
    python bench/plan_scale.py --sizes 50,1000
    python bench/plan_scale.py --tree /work/main   # another checkout's planner (before)

The planner is imported from this checkout (``--tree``: another one), not from whatever
``onetrip`` is installed (an editable install of another checkout would otherwise win).

Targets (issue 2): 50 items under 5 ms; 100,000 under 3 s; every size within 5× the sort.
Target (issue 16): every size within 5× the bare pass, load included.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

import networkx as nx

TREE = Path(
    sys.argv[sys.argv.index("--tree") + 1]
    if "--tree" in sys.argv[:-1]
    else Path(__file__).parent.parent
).resolve()
sys.path.insert(0, str(TREE))

from approvals.calendar import WorkCalendar  # noqa: E402 - from TREE
from approvals.catalog import parse_catalog  # noqa: E402
from approvals.planning import plan  # noqa: E402
from approvals.project import Project  # noqa: E402


def median(values) -> float:
    """The median (not ``statistics.median``: run as ``python bench/….py``, the bench's own
    ``statistics.py`` comes first on the path and hides the standard library's)."""
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def random_catalogue_doc(n: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        k = min(i, 3 if rng.random() < 0.7 else rng.randint(1, 5))
        preds = rng.sample(range(i), k) if k else []
        items.append(
            {
                "code": f"I{i:06d}",
                "name": f"事项{i}",
                "department": f"D{i // 25 % 400:03d}",
                "stage": 1 + (4 * i) // n,
                "days": rng.randint(1, 10),
                "requires": [f"I{p:06d}" for p in preds],
            }
        )
    return {"catalog": {"code": f"random-{n}"}, "items": items}


def timed(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return median(samples)


def bare_pass(doc: dict) -> int:
    """The least a plan needs: the graph, a topological order, the longest path (makespan)."""
    days = {}
    g = nx.DiGraph()
    for item in doc["items"]:
        days[item["code"]] = item["days"]
        g.add_node(item["code"])
        g.add_edges_from((r, item["code"]) for r in item.get("requires", ()))
    finish: dict[str, int] = {}
    for code in nx.topological_sort(g):
        finish[code] = max((finish[p] for p in g.pred[code]), default=0) + days[code]
    return max(finish.values(), default=0)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="50,1000,10000,100000")
    ap.add_argument("--tree", help="checkout whose planner to time (default: this one)")
    args = ap.parse_args()
    print(f"planner from {TREE}; load average {'{:.2f} {:.2f} {:.2f}'.format(*os.getloadavg())}")
    calendar = WorkCalendar()
    start = date(2026, 1, 5)
    print(
        f"{'items':>8} {'edges':>8} {'plan ms':>10} {'nx sort ms':>11} {'ratio':>6}"
        f" {'load ms':>9} {'load+plan ms':>13} {'bare ms':>9} {'ratio':>6} {'makespan':>9}"
    )
    for n in [int(s) for s in args.sizes.split(",")]:
        doc = random_catalogue_doc(n)
        repeats = 50 if n <= 1000 else (5 if n <= 10000 else 3)
        parse_catalog(doc)  # warm the schema validator
        t_load = timed(lambda d=doc: parse_catalog(d), repeats)
        catalogue = parse_catalog(doc)
        g = nx.DiGraph()
        g.add_nodes_from(catalogue.items)
        g.add_edges_from((r.code, i.code) for i in catalogue.items.values() for r in i.requires)
        plan(catalogue, Project(), calendar, start)  # warm the calendar and imports
        t_plan = timed(lambda c=catalogue: plan(c, Project(), calendar, start), repeats)
        t_sort = timed(lambda g=g: list(nx.topological_sort(g)), repeats)
        t_bare = timed(lambda d=doc: bare_pass(d), repeats)
        p = plan(catalogue, Project(), calendar, start)
        assert bare_pass(doc) == p.makespan
        print(
            f"{n:>8} {g.number_of_edges():>8} {t_plan * 1000:>10.2f} {t_sort * 1000:>11.2f}"
            f" {t_plan / t_sort:>6.2f} {t_load * 1000:>9.2f} {(t_load + t_plan) * 1000:>13.2f}"
            f" {t_bare * 1000:>9.2f} {(t_load + t_plan) / t_bare:>6.2f} {p.makespan:>9}"
        )


if __name__ == "__main__":
    main()
