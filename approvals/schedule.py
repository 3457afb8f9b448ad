"""Critical-path method (CPM) over a plan graph with leads, in working days.

A node with duration ``d`` occupies working days ``es … ef−1`` (``ef = es + d``).  An edge
``p → s`` with lead ``l`` (0 ≤ l ≤ d(p)) means ``es(s) ≥ ef(p) − l``: the successor may start
``l`` days before the predecessor ends (模拟审查 / 提前介入); with ``l = 0`` it is plain
finish-to-start.  Slack is ``ls − es``; critical nodes have slack 0.

>>> durations = {"A": 2, "B": 3, "C": 1}
>>> preds = {"A": {}, "B": {"A": 0}, "C": {"A": 0}}
>>> cpm = critical_path_method(["A", "B", "C"], durations, preds)
>>> cpm.makespan, cpm.es, cpm.slack
(5, {'A': 0, 'B': 2, 'C': 2}, {'A': 0, 'B': 0, 'C': 2})
>>> cpm.critical_path
['A', 'B']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from approvals.errors import CycleError


@dataclass(frozen=True)
class CpmResult:
    order: list[str]  # a topological order
    es: dict[str, int]
    ef: dict[str, int]
    ls: dict[str, int]
    lf: dict[str, int]
    slack: dict[str, int]
    makespan: int
    critical_path: list[str]


def generations(nodes: Sequence[str], preds: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """Topological generations (parallel batches): batch 0 has no prerequisites; a node is in
    the batch after its latest prerequisite.  Within a batch the input order is kept.

    Raises
    ------
    CycleError
        Naming the nodes of each cycle.
    """
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from((p, s) for s in nodes for p in preds[s])
    try:
        gens = list(nx.topological_generations(g))
    except nx.NetworkXUnfeasible:
        cycles = []
        for comp in nx.strongly_connected_components(g):
            if len(comp) > 1:
                cycle = [u for u, _ in nx.find_cycle(g.subgraph(comp))]
                k = cycle.index(min(cycle))
                cycles.append(cycle[k:] + cycle[:k])
        raise CycleError(sorted(cycles)) from None
    position = {n: i for i, n in enumerate(nodes)}
    return [sorted(gen, key=position.__getitem__) for gen in gens]


def critical_path_method(
    order: Sequence[str],
    durations: Mapping[str, int],
    preds: Mapping[str, Mapping[str, int]],
) -> CpmResult:
    """Forward and backward passes over ``order`` (which must be topological).

    Parameters
    ----------
    order
        Every node, each after all its predecessors.
    durations
        Working days per node (≥ 0).
    preds
        For each node, its predecessors and the lead of each edge (0 ≤ lead ≤ d(pred)).
    """
    es: dict[str, int] = {}
    ef: dict[str, int] = {}
    succs: dict[str, list[tuple[str, int]]] = {n: [] for n in order}
    for n in order:
        start = 0
        for p, lead in preds[n].items():
            t = ef[p] - lead
            if t > start:
                start = t
            succs[p].append((n, lead))
        es[n] = start
        ef[n] = start + durations[n]
    makespan = max(ef.values(), default=0)
    ls: dict[str, int] = {}
    lf: dict[str, int] = {}
    for n in reversed(order):
        finish = makespan
        for s, lead in succs[n]:
            t = ls[s] + lead
            if t < finish:
                finish = t
        lf[n] = finish
        ls[n] = finish - durations[n]
    slack = {n: ls[n] - es[n] for n in order}
    return CpmResult(
        list(order),
        es,
        ef,
        ls,
        lf,
        slack,
        makespan,
        _critical_path(order, es, ef, slack, succs, makespan),
    )


def _critical_path(
    order: Sequence[str],
    es: Mapping[str, int],
    ef: Mapping[str, int],
    slack: Mapping[str, int],
    succs: Mapping[str, list[tuple[str, int]]],
    makespan: int,
) -> list[str]:
    """One chain of critical nodes from day 0 to the finish, each edge binding.

    Every critical node that does not end the plan has a critical successor whose start its
    finish binds, so a greedy walk from a critical start node always reaches the finish.
    Ties are broken by ``order`` (the catalogue order within batches), so the answer is stable.
    """
    if not order:
        return []
    position = {n: i for i, n in enumerate(order)}
    starts = [n for n in order if es[n] == 0 and slack[n] == 0]
    # prefer a start that carries duration (a zero-day milestone in parallel is not "the" path)
    starts.sort(key=lambda n: (ef[n] == 0 and makespan > 0, position[n]))
    path = [starts[0]]
    while ef[path[-1]] < makespan:
        here = path[-1]
        nxt = [s for s, lead in succs[here] if slack[s] == 0 and es[s] == ef[here] - lead]
        if not nxt:
            break
        path.append(min(nxt, key=position.__getitem__))
    return path
