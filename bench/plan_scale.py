"""Plan time against catalogue size, beside networkx's bare topological sort of the same graph.

Random catalogues of N items, each requiring about 3 earlier items (uniformly chosen), 1–10
working days each, one department per 25 items.  For each size we time ``approvals.planning.plan``
(applicability, graph, batches, CPM, critical path, dates on the working-day calendar) on an
already-loaded catalogue, and ``list(nx.topological_sort(G))`` on a prebuilt ``nx.DiGraph`` of
the same items and edges.  Median of repeats (more repeats for small sizes).

    python bench/plan_scale.py                 # 50, 1,000, 10,000, 100,000
    python bench/plan_scale.py --sizes 50,1000

Targets (issue 2): 50 items under 5 ms; 100,000 under 3 s; every size within 5× the sort.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from datetime import date

import networkx as nx

from approvals.calendar import WorkCalendar
from approvals.catalog import parse_catalog
from approvals.planning import plan
from approvals.project import Project


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
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="50,1000,10000,100000")
    args = ap.parse_args()
    calendar = WorkCalendar()
    start = date(2026, 1, 5)
    print(
        f"{'items':>8} {'edges':>8} {'load s':>8} {'plan ms':>10} {'nx sort ms':>11} {'ratio':>6} {'makespan':>9}"
    )
    for n in [int(s) for s in args.sizes.split(",")]:
        doc = random_catalogue_doc(n)
        t0 = time.perf_counter()
        catalogue = parse_catalog(doc)
        load = time.perf_counter() - t0
        g = nx.DiGraph()
        g.add_nodes_from(catalogue.items)
        g.add_edges_from((r.code, i.code) for i in catalogue.items.values() for r in i.requires)
        repeats = 50 if n <= 1000 else (5 if n <= 10000 else 3)
        plan(catalogue, Project(), calendar, start)  # warm the calendar and imports
        t_plan = timed(lambda c=catalogue: plan(c, Project(), calendar, start), repeats)
        t_sort = timed(lambda g=g: list(nx.topological_sort(g)), repeats)
        p = plan(catalogue, Project(), calendar, start)
        print(
            f"{n:>8} {g.number_of_edges():>8} {load:>8.2f} {t_plan * 1000:>10.2f} {t_sort * 1000:>11.2f} "
            f"{t_plan / t_sort:>6.2f} {p.makespan:>9}"
        )


if __name__ == "__main__":
    main()
