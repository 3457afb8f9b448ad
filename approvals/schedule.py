"""Critical-path method (CPM) over a plan graph with leads, in working days.

A node with duration ``d`` occupies working days ``es … ef−1`` (``ef = es + d``).  An edge
``p → s`` with lead ``l`` (0 ≤ l ≤ d(p)) means ``es(s) ≥ ef(p) − l``: the successor may start
``l`` days before the predecessor ends (模拟审查 / 提前介入); with ``l = 0`` it is plain
finish-to-start.  Slack is ``ls − es``; critical nodes have slack 0.

The core works on integer indices and plain lists (a plan of 100,000 items is scheduled in
about the time networkx takes to build its graph); batches (topological generations) come out
of the same Kahn pass as the forward pass.  When the graph has a cycle, networkx names it.

>>> cpm = critical_path_method(
...     ["A", "B", "C"], {"A": 2, "B": 3, "C": 1}, {"A": {}, "B": {"A": 0}, "C": {"A": 0}}
... )
>>> cpm.makespan, cpm.es, cpm.slack, cpm.batch
(5, {'A': 0, 'B': 2, 'C': 2}, {'A': 0, 'B': 0, 'C': 2}, {'A': 0, 'B': 1, 'C': 1})
>>> cpm.critical_path
['A', 'B']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from approvals.errors import CycleError


@dataclass(frozen=True)
class IndexedCpm:
    """CPM over nodes ``0 … n−1``; ``order`` is topological (generation by generation)."""

    order: list[int]
    batch: list[int]
    es: list[int]
    ef: list[int]
    ls: list[int]
    lf: list[int]
    makespan: int
    critical_path: list[int]


def cpm_indexed(
    durations: Sequence[int], succs: Sequence[Sequence[tuple[int, int]]]
) -> IndexedCpm | None:
    """Batches and CPM by Kahn's algorithm; ``None`` when the graph has a cycle.

    Parameters
    ----------
    durations
        Working days of node ``i``.
    succs
        For node ``i``, its ``(successor, lead)`` pairs, with ``0 ≤ lead ≤ durations[i]``.
    """
    n = len(durations)
    indeg = [0] * n
    for out in succs:
        for v, _ in out:
            indeg[v] += 1
    es = [0] * n
    ef = [0] * n
    batch = [0] * n
    order: list[int] = []
    current = [i for i in range(n) if indeg[i] == 0]
    generation = 0
    while current:
        nxt: list[int] = []
        for u in current:
            batch[u] = generation
            finish = es[u] + durations[u]
            ef[u] = finish
            for v, lead in succs[u]:
                t = finish - lead
                if t > es[v]:
                    es[v] = t
                indeg[v] -= 1
                if indeg[v] == 0:
                    nxt.append(v)
        order.extend(current)
        current = nxt
        generation += 1
    if len(order) != n:
        return None
    makespan = max(ef, default=0)
    lf = [makespan] * n
    ls = [0] * n
    for u in reversed(order):
        finish = lf[u]
        for v, lead in succs[u]:
            t = ls[v] + lead
            if t < finish:
                finish = t
        lf[u] = finish
        ls[u] = finish - durations[u]
    return IndexedCpm(
        order,
        batch,
        es,
        ef,
        ls,
        lf,
        makespan,
        _critical_path(order, es, ef, ls, succs.__getitem__, makespan),
    )


def cpm_in_order(
    durations: Sequence[int],
    preds: Sequence[Sequence[int]],
    leads: Mapping[int, Sequence[tuple[int, int]]],
) -> IndexedCpm | None:
    """:func:`cpm_indexed` from predecessors, for nodes already in a topological order (every
    predecessor's index below its successor's, as catalogues are usually written); ``None``
    when they are not (then use :func:`cpm_indexed`).  The figures are the same; without a
    Kahn pass most of the work runs in C (``max``/``min`` over ``map``).

    Parameters
    ----------
    preds
        For node ``i``, the indices of its predecessors.
    leads
        For a node with a lead on some prerequisite, all its ``(predecessor, lead)`` pairs
        (in the order of ``preds[i]``).
    """
    n = len(durations)
    if n >= NUMPY_FROM:
        try:
            import numpy  # noqa: F401 - only to know whether the vectorised pass can run
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
        else:
            return _cpm_in_order_numpy(durations, preds, leads)
    es = [0] * n
    ef = [0] * n
    batch = [0] * n
    ef_of, batch_of = ef.__getitem__, batch.__getitem__
    for v in range(n):
        pr = preds[v]
        if pr:
            if max(pr) >= v:
                return None
            batch[v] = max(map(batch_of, pr)) + 1
            with_leads = leads.get(v)
            if with_leads is None:
                start = max(map(ef_of, pr))
            else:
                start = max(ef[p] - lead for p, lead in with_leads)
            if start > 0:
                es[v] = start
                ef[v] = start + durations[v]
                continue
        ef[v] = durations[v]
    makespan = max(ef, default=0)
    # successors: finish-to-start ones (by index) and those with a lead
    succs: list[list[int]] = [[] for _ in range(n)]
    lead_succs: dict[int, list[tuple[int, int]]] = {}
    for v in range(n):
        with_leads = leads.get(v)
        if with_leads is None:
            for p in preds[v]:
                succs[p].append(v)
        else:
            for p, lead in with_leads:
                if lead:
                    lead_succs.setdefault(p, []).append((v, lead))
                else:
                    succs[p].append(v)
    lf = [makespan] * n
    ls = [0] * n
    ls_of = ls.__getitem__
    for u in range(n - 1, -1, -1):
        finish = makespan
        out = succs[u]
        if out:
            t = min(map(ls_of, out))
            if t < finish:
                finish = t
        if u in lead_succs:
            for v, lead in lead_succs[u]:
                t = ls[v] + lead
                if t < finish:
                    finish = t
        lf[u] = finish
        ls[u] = finish - durations[u]

    def out_of(u: int) -> list[tuple[int, int]]:
        return [(v, 0) for v in succs[u]] + lead_succs.get(u, [])

    order = sorted(range(n), key=batch_of)  # generation by generation
    return IndexedCpm(
        order, batch, es, ef, ls, lf, makespan, _critical_path(order, es, ef, ls, out_of, makespan)
    )


#: From this many nodes :func:`cpm_in_order` runs generation by generation with numpy (its
#: import, about 0.1 s, is then less than what it saves: 0.4 s at 100,000 nodes).
NUMPY_FROM = 20_000


def _cpm_in_order_numpy(
    durations: Sequence[int],
    preds: Sequence[Sequence[int]],
    leads: Mapping[int, Sequence[tuple[int, int]]],
) -> IndexedCpm | None:
    """:func:`cpm_in_order` with numpy: the same figures, order and critical path.

    The edges as arrays (CSR by predecessor), then Kahn's algorithm one generation at a time:
    each generation's finish times pushed along its out-edges with ``maximum.at``, the backward
    pass likewise generation by generation from the last; Python steps only per generation
    (a 100,000-item catalogue has a few dozen) and along the critical path."""
    import itertools

    import numpy as np

    n = len(durations)
    counts = np.fromiter(map(len, preds), dtype=np.int64, count=n)
    n_edges = int(counts.sum())
    src = np.fromiter(itertools.chain.from_iterable(preds), dtype=np.int64, count=n_edges)
    dst = np.repeat(np.arange(n, dtype=np.int64), counts)
    if n_edges and not bool((src < dst).all()):
        return None
    lead = np.zeros(n_edges, dtype=np.int64)
    if leads:
        first_in = np.cumsum(counts) - counts
        for v, pairs in leads.items():
            at = int(first_in[v])
            for j, (p, lead_days) in enumerate(pairs):
                src[at + j] = p
                lead[at + j] = lead_days
    dur = np.fromiter(durations, dtype=np.int64, count=n)
    by_src = np.argsort(src, kind="stable")
    out_dst, out_lead = dst[by_src], lead[by_src]
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=out_ptr[1:])

    def out_edges(nodes: Any) -> tuple[Any, Any]:
        """The out-edges of ``nodes`` (indices into ``out_dst``) and their tail's position."""
        first = out_ptr[nodes]
        sizes = out_ptr[nodes + 1] - first
        total = int(sizes.sum())
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return np.repeat(first, sizes) + within, np.repeat(np.arange(len(nodes)), sizes)

    es = np.zeros(n, dtype=np.int64)
    batch = np.zeros(n, dtype=np.int64)
    indeg = counts.copy()
    generations = []
    frontier = np.flatnonzero(indeg == 0)
    g = 0
    while frontier.size:
        generations.append(frontier)
        batch[frontier] = g
        finish = es[frontier] + dur[frontier]
        edges, tail = out_edges(frontier)
        if not edges.size:
            break
        heads = out_dst[edges]
        np.maximum.at(es, heads, finish[tail] - out_lead[edges])
        np.subtract.at(indeg, heads, 1)
        heads = np.unique(heads)
        frontier = heads[indeg[heads] == 0]
        g += 1
    ef = es + dur
    makespan = int(ef.max()) if n else 0
    lf = np.full(n, makespan, dtype=np.int64)
    ls = np.zeros(n, dtype=np.int64)
    for nodes in reversed(generations):
        edges, tail = out_edges(nodes)
        if edges.size:
            late = np.full(len(nodes), makespan, dtype=np.int64)
            np.minimum.at(late, tail, ls[out_dst[edges]] + out_lead[edges])
            lf[nodes] = late
        ls[nodes] = lf[nodes] - dur[nodes]
    order = np.argsort(batch, kind="stable").tolist()  # generation by generation
    es_l, ef_l, ls_l = es.tolist(), ef.tolist(), ls.tolist()

    def out_of(u: int) -> list[tuple[int, int]]:
        a, b = int(out_ptr[u]), int(out_ptr[u + 1])
        return list(zip(out_dst[a:b].tolist(), out_lead[a:b].tolist(), strict=True))

    return IndexedCpm(
        order,
        batch.tolist(),
        es_l,
        ef_l,
        ls_l,
        lf.tolist(),
        makespan,
        _critical_path(order, es_l, ef_l, ls_l, out_of, makespan),
    )


def _critical_path(
    order: Sequence[int],
    es: Sequence[int],
    ef: Sequence[int],
    ls: Sequence[int],
    out: Callable[[int], Iterable[tuple[int, int]]],
    makespan: int,
) -> list[int]:
    """One chain of critical nodes from day 0 to the finish, each edge binding (``out(u)``:
    the ``(successor, lead)`` pairs of ``u``).

    Every critical node that does not end the plan has a critical successor whose start its
    finish binds, so a greedy walk from a critical start node always reaches the finish.  Ties
    go to the lowest index (catalogue order), so the answer is stable.
    """
    if not order:
        return []
    starts = [u for u in order if es[u] == 0 and ls[u] == 0]
    # prefer a start that carries duration (a zero-day milestone in parallel is not "the" path)
    u = min(starts, key=lambda i: (ef[i] == 0 and makespan > 0, i))
    path = [u]
    while ef[u] < makespan:
        tight = [v for v, lead in out(u) if ls[v] == es[v] and es[v] == ef[u] - lead]
        if not tight:
            break
        u = min(tight)
        path.append(u)
    return path


@dataclass(frozen=True)
class CpmResult:
    """CPM figures by node code."""

    order: list[str]
    batch: dict[str, int]
    es: dict[str, int]
    ef: dict[str, int]
    ls: dict[str, int]
    lf: dict[str, int]
    slack: dict[str, int]
    makespan: int
    critical_path: list[str]


def cycles_of(nodes: Sequence[str], preds: Mapping[str, Mapping[str, int]]) -> list[list[str]]:
    """One cycle (codes in order, starting at the smallest) per strongly connected component."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from((p, s) for s in nodes for p in preds[s])
    cycles = []
    for comp in nx.strongly_connected_components(g):
        sub = g.subgraph(comp)
        if len(comp) > 1 or any(sub.has_edge(c, c) for c in comp):
            cycle = [u for u, _ in nx.find_cycle(sub)]
            k = cycle.index(min(cycle))
            cycles.append(cycle[k:] + cycle[:k])
    return sorted(cycles)


def critical_path_method(
    nodes: Sequence[str],
    durations: Mapping[str, int],
    preds: Mapping[str, Mapping[str, int]],
) -> CpmResult:
    """Batches and CPM over named nodes (any order; ties keep the order of ``nodes``).

    Raises
    ------
    CycleError
        Naming the nodes of every cycle.
    """
    index = {c: i for i, c in enumerate(nodes)}
    succs: list[list[tuple[int, int]]] = [[] for _ in nodes]
    for i, c in enumerate(nodes):
        for p, lead in preds[c].items():
            succs[index[p]].append((i, lead))
    result = cpm_indexed([durations[c] for c in nodes], succs)
    if result is None:
        raise CycleError(cycles_of(nodes, preds))
    names = list(nodes)

    def named(values: list[int]) -> dict[str, int]:
        return dict(zip(names, values, strict=True))

    return CpmResult(
        order=[names[i] for i in result.order],
        batch=named(result.batch),
        es=named(result.es),
        ef=named(result.ef),
        ls=named(result.ls),
        lf=named(result.lf),
        slack={c: result.ls[i] - result.es[i] for i, c in enumerate(names)},
        makespan=result.makespan,
        critical_path=[names[i] for i in result.critical_path],
    )


@dataclass(frozen=True)
class Forecast:
    """CPM of a plan under way: figures are working-day indices from the project's day 0."""

    es: list[int]
    ef: list[int]
    ls: list[int]
    lf: list[int]
    makespan: int
    critical_path: list[int]


def forecast_indexed(
    durations: Sequence[int],
    succs: Sequence[Sequence[tuple[int, int]]],
    *,
    fixed_start: Mapping[int, int],
    min_start: Mapping[int, int],
    min_finish: Mapping[int, int],
) -> Forecast | None:
    """CPM with facts: ``fixed_start`` pins a step's start (it has started), ``min_start`` and
    ``min_finish`` bound a step from below (nothing unstarted starts before today; a step in
    review ends no sooner than its due day or today).  ``None`` when the graph has a cycle.
    """
    n = len(durations)
    indeg = [0] * n
    for out in succs:
        for v, _ in out:
            indeg[v] += 1
    es = [0] * n
    ef = [0] * n
    order: list[int] = []
    queue = [i for i in range(n) if indeg[i] == 0]
    while queue:
        u = queue.pop()
        order.append(u)
        start = fixed_start.get(u, max(es[u], min_start.get(u, 0)))
        es[u] = start
        ef[u] = max(start + durations[u], min_finish.get(u, 0))
        for v, lead in succs[u]:
            t = ef[u] - lead
            if t > es[v]:
                es[v] = t
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    if len(order) != n:
        return None
    makespan = max(ef, default=0)
    lf = [makespan] * n
    ls = [0] * n
    for u in reversed(order):
        finish = lf[u]
        for v, lead in succs[u]:
            t = ls[v] + lead
            if t < finish:
                finish = t
        lf[u] = finish
        ls[u] = finish - (ef[u] - es[u])
    return Forecast(
        es, ef, ls, lf, makespan, _critical_chain_backwards(es, ef, ls, succs, makespan)
    )


def _critical_chain_backwards(
    es: Sequence[int],
    ef: Sequence[int],
    ls: Sequence[int],
    succs: Sequence[Sequence[tuple[int, int]]],
    makespan: int,
) -> list[int]:
    """The chain that decides the finish, walked back from it through binding prerequisites.

    Under way, a chain may begin at a step held by a fact (started, or not before today) rather
    than at day 0, so the walk starts from the end.
    """
    n = len(es)
    if n == 0:
        return []
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, out in enumerate(succs):
        for v, lead in out:
            preds[v].append((u, lead))
    ends = [i for i in range(n) if ef[i] == makespan and ls[i] == es[i]]
    if not ends:
        return []
    u = min(ends)
    chain = [u]
    while True:
        binding = [p for p, lead in preds[u] if ef[p] - lead == es[u] and ls[p] == es[p]]
        if not binding:
            break
        u = min(binding)
        chain.append(u)
    return chain[::-1]
