"""Cycles in a catalogue's structural graph (every item and split part, every prerequisite edge,
merge groups contracted): a fast acyclicity check without networkx, and the cycles themselves
for the error message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # networkx loads only when a catalogue needs it (fast start-up)
    import networkx as nx

    from approvals.catalog import Catalogue


def _structural_edges(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """The edges of :func:`structural_graph`, without building it."""
    group_of = {m: g.code for g in catalogue.merge_groups.values() for m in g.members}

    def node(code: str) -> str:
        return group_of.get(code, code)

    def edge(pred: str, succ: str) -> Iterator[tuple[str, str]]:
        u, v = node(pred), node(succ)
        if u != v or pred == succ:
            yield u, v

    for item in catalogue.items.values():
        for r in item.requires:
            yield from edge(r.code, item.code)
        if item.split:
            for p in item.split.parts:
                yield from edge(p.code, item.code)  # the whole is done when its parts are
                for r in item.requires if p.requires is None else p.requires:
                    yield from edge(r.code, p.code)


def structural_graph(catalogue: Catalogue) -> nx.DiGraph:
    """Every item and split part with every prerequisite edge, merge groups contracted.

    It is the union of every possible plan, so a cycle here is a cycle some project would hit.
    Edges between members of one merge group vanish inside the group (they are reviewed as one).
    """
    import networkx as nx

    group_of = {m: g.code for g in catalogue.merge_groups.values() for m in g.members}

    def node(code: str) -> str:
        return group_of.get(code, code)

    g = nx.DiGraph()

    def edge(pred: str, succ: str) -> None:
        u, v = node(pred), node(succ)
        if u != v or pred == succ:
            g.add_edge(u, v)

    for item in catalogue.items.values():
        g.add_node(node(item.code))
        for r in item.requires:
            edge(r.code, item.code)
        if item.split:
            for p in item.split.parts:
                edge(p.code, item.code)  # the whole is done when its parts are
                for r in item.requires if p.requires is None else p.requires:
                    edge(r.code, p.code)
    return g


def acyclic(catalogue: Catalogue) -> bool:
    """Whether the structural graph has no cycle, without networkx: when every prerequisite of
    a catalogue without splits or merges comes earlier in the file (the usual way of writing
    one), one pass proves it; otherwise Kahn's algorithm over the edges decides."""
    items = catalogue.items
    if not catalogue.merge_groups:
        position = {code: i for i, code in enumerate(items)}
        for i, item in enumerate(items.values()):
            if item.split is not None:
                break
            for r in item.requires:
                if position.get(r.code, i) >= i:
                    break
            else:
                continue
            break
        else:
            return True
    succs: dict[str, list[str]] = {}
    indeg: dict[str, int] = {}
    for u, v in _structural_edges(catalogue):
        succs.setdefault(u, []).append(v)
        indeg[v] = indeg.get(v, 0) + 1
    ready = [u for u in succs if u not in indeg]
    done = 0
    while ready:
        u = ready.pop()
        done += 1
        for v in succs.get(u, ()):
            indeg[v] -= 1
            if not indeg[v]:
                ready.append(v)
    return done == len(succs.keys() | indeg.keys())


def find_cycles(catalogue: Catalogue) -> list[list[str]]:
    """One cycle (codes in order) per strongly connected component that has one."""
    import networkx as nx

    g = structural_graph(catalogue)
    cycles = []
    for component in nx.strongly_connected_components(g):
        sub = g.subgraph(component)
        if len(component) > 1 or any(sub.has_edge(n, n) for n in component):
            cycle = [u for u, _ in nx.find_cycle(sub)]
            # start at the smallest code so the message is stable
            k = cycle.index(min(cycle))
            cycles.append(cycle[k:] + cycle[:k])
    return sorted(cycles)
