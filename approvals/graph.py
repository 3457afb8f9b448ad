"""From a catalogue and a project to the dependency graph of the project's plan.

Steps, each a free function over plain values:

1. **applicability** (一次告知): items whose ``applies_if`` holds for the project's answers;
2. **waivers** (标准地 regional assessments): an item is waived, or reduced to a commitment
   (承诺制) with a shorter limit, when the plot's zone holds a valid assessment of its type;
3. **splits** (桩基先行): an item whose split applies is replaced by its parts;
4. **merges** (二合一 / 多评合一 / 联合验收): two or more applicable members become one node;
5. **edges**: every prerequisite is resolved to plan nodes.  A prerequisite that is not in the
   plan (not applicable, or waived) is *bridged*: its own prerequisites take its place, so the
   order the catalogue implies is kept.  Leads (提前介入) along a bridge add up; a lead never
   exceeds the predecessor's duration, so an item never starts before its predecessor starts.

Each mechanism can be switched off (:class:`Mechanisms`) to measure what it saves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal

from approvals.catalog import Catalogue, Item, MergeGroup, Requirement
from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import CycleError, ProjectError
from approvals.project import AssessmentCoverage, Project
from approvals.questionnaire import missing_answer_error, resolve_answers

if TYPE_CHECKING:  # networkx loads only for the rare graphs that need it (fast start-up)
    import networkx as nx

# attribute getters for map(): whole-graph passes in C rather than one Python step per edge
_code = attrgetter("code")
_lead = attrgetter("lead")
_kind = attrgetter("kind")
_requires = attrgetter("requires")

#: Time limit of an item reduced to a commitment (承诺制) when the catalogue gives none.
DEFAULT_COMMITMENT_DAYS = 1


@dataclass(frozen=True, slots=True)
class Mechanisms:
    """Which reform mechanisms the plan uses (all by default)."""

    waivers: bool = True  # 标准地 regional assessments (区域评价)
    early_starts: bool = True  # 模拟审查 / 提前介入
    merges: bool = True  # 二合一 / 多评合一 / 联合验收
    splits: bool = True  # 桩基先行 / 分步审批
    #: plan the enterprise's and intermediaries' own activities; off, they are bridged like
    #: items that do not apply (the live workflow tracks the review items only)
    activities: bool = True


@dataclass(slots=True)
class Node:
    """A step of the plan: an item, a part of a split item, or a merged review."""

    code: str
    name: str
    department: str
    stage: int
    days: int
    kind: Literal["item", "part", "merged"] = "item"
    name_en: str = ""
    departments: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # merged: member item codes
    part_of: str | None = None  # part: the split item
    mode: Literal["review", "commitment"] = "review"  # commitment: reduced by 承诺制
    items: tuple[str, ...] = ()  # catalogue items this node carries out
    requires: dict[str, int] = field(default_factory=dict)  # predecessor node → lead
    owner: str = "review"  # review (a department's), enterprise or intermediary
    unit: str = "workdays"  # or calendar_days (an enterprise's or intermediary's activity)


@dataclass(frozen=True, slots=True)
class Waived:
    """An item left out of the plan because a regional assessment covers it."""

    code: str
    name: str
    department: str
    assessment: str
    reason_zh: str
    reason_en: str
    days_saved: int


@dataclass(frozen=True, slots=True)
class Reduced:
    """An item reduced to a commitment (承诺制): kept in the plan with a shorter limit."""

    code: str
    name: str
    assessment: str
    days_before: int
    days_after: int
    reason_zh: str
    reason_en: str


@dataclass
class PlanGraph:
    """The nodes of a project's plan (in catalogue order) and what was left out."""

    nodes: dict[str, Node]
    waived: list[Waived] = field(default_factory=list)
    reduced: list[Reduced] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    #: when the nodes are the catalogue's items one for one, in its order, each requiring its
    #: item's prerequisites: :attr:`Catalogue.positions <approvals.catalog.Catalogue.positions>`
    #: (node ``i``'s predecessors as indices), else None
    positions: Sequence[Sequence[int]] | None = None

    def to_networkx(self) -> nx.DiGraph:
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(
            (p, n.code, {"lead": lead})
            for n in self.nodes.values()
            for p, lead in n.requires.items()
        )
        return g


def _applies(
    cond: Mapping[str, Any] | None, attrs: Mapping[str, Any], catalogue: Catalogue, who: str
) -> bool:
    try:
        return evaluate(cond, attrs)
    except MissingAttribute as e:
        raise missing_answer_error(catalogue, e.attr, who) from None


def _coverage(
    project: Project, item: Item, on: date | None
) -> tuple[Any, AssessmentCoverage] | None:
    """The waiver that applies (``waive`` before ``commitment``) and the assessment behind it."""
    best = None
    for w in item.waivers:
        cover = project.covered_by(w.assessment, on)
        if cover is not None and (
            best is None or (w.effect == "waive" and best[0].effect != "waive")
        ):
            best = (w, cover)
    return best


def build_plan_graph(
    catalogue: Catalogue,
    project: Project,
    mechanisms: Mechanisms = Mechanisms(),
    on: date | None = None,
) -> PlanGraph:
    """Apply applicability, waivers, splits and merges; resolve every prerequisite.

    ``on`` is the date at which regional assessments must be valid (the plan's start).

    Raises
    ------
    ProjectError
        When an answer is malformed, or an applicability condition needs a missing answer.
    CycleError
        When the resolved graph has cycles (not possible for a validated catalogue unless a
        merge joins items that depend on each other through outsiders).
    """
    attrs = resolve_answers(catalogue, project.attributes)
    items = catalogue.items
    durations = project.durations
    if durations:
        for code in durations:
            if code not in items or items[code].kind == "review":
                raise ProjectError(
                    f"durations：'{code}' 不是清单中的企业或中介活动",
                    f"durations: '{code}' is not an enterprise or intermediary activity of the catalogue",
                )
    graph = PlanGraph({}, attributes=attrs)
    present, dropped = _build_nodes(graph, catalogue, project, mechanisms, on)
    nodes = graph.nodes
    finished_by = _split_nodes(graph, catalogue, present, mechanisms)
    merged_into, group_requires = _merge_nodes(graph, catalogue, present, mechanisms)
    if (
        catalogue.positions is not None
        and not (dropped or finished_by or merged_into)
        and len(nodes) == len(items)
    ):
        # the plan is the catalogue, item for item, in its order, and each prerequisite is the
        # plain code (lead 0) of an item written earlier (what Catalogue.positions proves):
        # every node requires its item's prerequisites as they are, nothing to resolve
        codes = map(map, itertools.repeat(_code), map(_requires, present.values()))
        requires = map(dict.fromkeys, codes, itertools.repeat(0))
        for node, node_requires in zip(nodes.values(), requires, strict=True):
            node.requires = node_requires
        graph.positions = catalogue.positions
        return graph
    serial_chains: list[list[str]] = []
    if not mechanisms.merges:
        for group in catalogue.merge_groups.values():
            members = [m for m in group.members if m in nodes]
            if len(members) >= 2 and group.unmerged == "serial":
                serial_chains.append(_order_members(members, present))
    bridged_edges = _wire_edges(
        nodes,
        present,
        dropped,
        finished_by,
        merged_into,
        group_requires,
        catalogue.part_parent,
        mechanisms.early_starts,
    )
    for chain in serial_chains:
        for before, after in itertools.pairwise(chain):
            nodes[after].requires[before] = 0
    _prune_implied(nodes, bridged_edges)
    return graph


# One loop over every item, kept whole: its body runs 100,000 times in `onetrip plan` on a large
# catalogue, and cutting it into per-item calls would add a Python call per item (issue 14).
def _build_nodes(
    graph: PlanGraph,
    catalogue: Catalogue,
    project: Project,
    mechanisms: Mechanisms,
    on: date | None,
) -> tuple[dict[str, Item], dict[str, tuple[Requirement, ...]]]:
    """A node per applicable item (waivers and commitments applied, splits and merges not yet)
    into ``graph``; returns the items in the plan and the dropped items' prerequisites."""
    attrs = graph.attributes
    items = catalogue.items
    nodes = graph.nodes
    durations = project.durations
    present: dict[str, Item] = {}
    dropped: dict[str, tuple[Requirement, ...]] = {}
    activities = catalogue.has_activities
    for item in items.values():
        if activities and item.kind != "review":  # an enterprise's or intermediary's activity
            if not mechanisms.activities or (
                item.applies_if is not None
                and not _applies(item.applies_if, attrs, catalogue, f"活动 {item.code}")
            ):
                if mechanisms.activities:
                    graph.not_applicable.append(item.code)
                dropped[item.code] = item.requires
                continue
            days = durations.get(item.code, item.days)
            mode: Literal["review", "commitment"] = "review"
            found = _coverage(project, item, on) if mechanisms.waivers and item.waivers else None
            if found is not None:  # e.g. no 环评 report to write: the zone's assessment covers it
                waiver, cover = found
                zh, en = cover.describe()
                if waiver.effect == "waive":
                    graph.waived.append(
                        Waived(
                            item.code,
                            item.name,
                            item.department,
                            cover.type,
                            f"{zh}已覆盖，无需单独编制",
                            f"covered by the {en}; nothing to prepare separately",
                            days,
                        )
                    )
                    dropped[item.code] = item.requires
                    continue
                reduced = waiver.days if waiver.days is not None else min(1, days)
                graph.reduced.append(
                    Reduced(
                        item.code,
                        item.name,
                        cover.type,
                        days,
                        reduced,
                        f"{zh}已覆盖，实行告知承诺制，简化编制",
                        f"covered by the {en}; reduced to a commitment, a simpler document",
                    )
                )
                days, mode = reduced, "commitment"
            nodes[item.code] = Node(
                item.code,
                item.name,
                item.department,
                item.stage,
                days,
                name_en=item.name_en,
                departments=(item.department,),
                mode=mode,
                items=(item.code,),
                owner=item.kind,
                unit=item.unit,
            )
            present[item.code] = item
            continue
        if item.applies_if is not None and not _applies(
            item.applies_if, attrs, catalogue, f"事项 {item.code}"
        ):
            graph.not_applicable.append(item.code)
            dropped[item.code] = item.requires
            continue
        found = _coverage(project, item, on) if mechanisms.waivers and item.waivers else None
        if found is not None:
            waiver, cover = found
            zh, en = cover.describe()
            basis = f"；依据：{waiver.basis}" if waiver.basis else ""
            basis_en = f"; basis: {waiver.basis}" if waiver.basis else ""
            if waiver.effect == "waive":
                graph.waived.append(
                    Waived(
                        item.code,
                        item.name,
                        item.department,
                        cover.type,
                        f"{zh}已覆盖，免于单独审批{basis}",
                        f"covered by the {en}; no separate approval{basis_en}",
                        item.days,
                    )
                )
                dropped[item.code] = item.requires
                continue
            days = (
                waiver.days if waiver.days is not None else min(DEFAULT_COMMITMENT_DAYS, item.days)
            )
            graph.reduced.append(
                Reduced(
                    item.code,
                    item.name,
                    cover.type,
                    item.days,
                    days,
                    f"{zh}已覆盖，实行告知承诺制{basis}",
                    f"covered by the {en}; reduced to a commitment{basis_en}",
                )
            )
            item = replace(item, days=days)
            nodes[item.code] = Node(
                item.code,
                item.name,
                item.department,
                item.stage,
                days,
                name_en=item.name_en,
                departments=(item.department,),
                items=(item.code,),
                mode="commitment",
            )
        else:  # positional: the common case, 100,000 times for a city's catalogue
            code = item.code
            nodes[code] = Node(
                code,
                item.name,
                item.department,
                item.stage,
                item.days,
                "item",
                item.name_en,
                (item.department,),
                (),
                None,
                "review",
                (code,),
            )
        present[item.code] = item
    return present, dropped


def _split_nodes(
    graph: PlanGraph, catalogue: Catalogue, present: Mapping[str, Item], mechanisms: Mechanisms
) -> dict[str, list[str]]:
    """Splits: parts replace the item; returns each split item's parts."""
    attrs = graph.attributes
    nodes = graph.nodes
    finished_by: dict[str, list[str]] = {}  # split item → its parts
    for code, item in present.items():
        split = item.split
        if split is None or not mechanisms.splits:
            continue
        if split.applies_if is not None and not _applies(
            split.applies_if, attrs, catalogue, f"事项 {code} 的拆分"
        ):
            continue
        node = nodes.pop(code)
        finished_by[code] = [p.code for p in split.parts]
        for p in split.parts:
            own = item.requires if p.requires is None else p.requires
            nodes[p.code] = Node(
                p.code,
                p.name,
                item.department,
                item.stage,
                p.days,
                kind="part",
                name_en=p.name_en,
                departments=(item.department,),
                part_of=code,
                mode=node.mode,
                items=(code,),
                requires={r.code: r.lead for r in own},
            )  # requires hold catalogue codes here; resolved to plan nodes below
    return finished_by


def _merge_nodes(
    graph: PlanGraph, catalogue: Catalogue, present: Mapping[str, Item], mechanisms: Mechanisms
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Merges: a group's node replaces its members; returns member → group and each group's
    prerequisites (catalogue codes, the smallest lead of its members')."""
    attrs = graph.attributes
    nodes = graph.nodes
    merged_into: dict[str, str] = {}
    group_requires: dict[str, dict[str, int]] = {}
    if mechanisms.merges:
        for group in catalogue.merge_groups.values():
            members = [m for m in group.members if m in nodes]
            if len(members) < 2:
                continue
            if group.applies_if is not None and not _applies(
                group.applies_if, attrs, catalogue, f"合并组 {group.code}"
            ):
                continue
            nodes[group.code] = _merged_node(group, [nodes[m] for m in members])
            reqs: dict[str, int] = {}
            for m in members:
                nodes.pop(m)
                merged_into[m] = group.code
                for r in present[m].requires:
                    reqs[r.code] = min(reqs.get(r.code, r.lead), r.lead)
            group_requires[group.code] = reqs
    return merged_into, group_requires


def _resolver(
    nodes: Mapping[str, Node],
    dropped: Mapping[str, tuple[Requirement, ...]],
    finished_by: Mapping[str, list[str]],
    merged_into: Mapping[str, str],
    part_parent: Mapping[str, str],
) -> Callable[[str], dict[str, int]]:
    """``resolve(code)``: the plan nodes standing for a catalogue code (memoised)."""
    memo: dict[str, dict[str, int]] = {}

    def resolve(code: str, stack: tuple[str, ...] = ()) -> dict[str, int]:
        """Plan nodes standing for ``code``, each with the lead it adds."""
        if code in memo:
            return memo[code]
        if code in merged_into:
            out = {merged_into[code]: 0}
        elif code in finished_by:
            out = {p: 0 for p in finished_by[code]}
        elif code in nodes:
            out = {code: 0}
        elif code in part_parent:
            out = resolve(part_parent[code], stack)
        elif code in dropped:
            if code in stack:
                raise CycleError([list(stack[stack.index(code) :])])
            out = {}
            for r in dropped[code]:
                for target, lead in resolve(r.code, (*stack, code)).items():
                    total = lead + r.lead
                    out[target] = min(out.get(target, total), total)
        else:  # validated catalogues never get here
            out = {}
        memo[code] = out
        return out

    return resolve


def _wire_edges(
    nodes: dict[str, Node],
    present: Mapping[str, Item],
    dropped: Mapping[str, tuple[Requirement, ...]],
    finished_by: Mapping[str, list[str]],
    merged_into: Mapping[str, str],
    group_requires: Mapping[str, dict[str, int]],
    part_parent: Mapping[str, str],
    early: bool,
) -> dict[str, set[str]]:
    """Resolve every node's prerequisites to plan nodes (through dropped items, split parts and
    merge groups); returns, per node, the prerequisites reached only through dropped items."""
    resolve = _resolver(nodes, dropped, finished_by, merged_into, part_parent)
    bridged_edges: dict[str, set[str]] = {}
    direct = (
        nodes.keys() - merged_into.keys() - finished_by.keys()
    )  # codes that stand for themselves
    for node in nodes.values():
        raw: Iterable[tuple[str, int]]
        if node.kind == "merged":
            raw = group_requires[node.code].items()
        elif node.kind == "part":
            raw = node.requires.items()
        else:
            item_reqs = present[node.code].requires
            if not item_reqs:
                continue
            leads = dict(zip(map(_code, item_reqs), map(_lead, item_reqs), strict=True))
            if direct.issuperset(leads):  # the common case: plain items in the plan
                if any(leads.values()):
                    for code, lead in leads.items():
                        if lead:
                            leads[code] = min(lead, nodes[code].days) if early else 0
                leads.pop(node.code, None)
                node.requires = leads
                continue
            raw = [(r.code, r.lead) for r in item_reqs]
        resolved: dict[str, int] = {}
        bridged: set[str] = set()
        for code, lead in raw:
            if code in direct:  # the common case: an item in the plan
                if code != node.code:
                    total = min(lead, nodes[code].days) if lead and early else 0
                    if code not in resolved or total < resolved[code]:
                        resolved[code] = total
                    bridged.discard(code)
                continue
            via_dropped = code in dropped or part_parent.get(code) in dropped
            for target, extra in resolve(code).items():
                if target == node.code:
                    continue
                total = min(lead + extra, nodes[target].days) if early else 0
                if target not in resolved or total < resolved[target]:
                    resolved[target] = total
                if via_dropped:
                    bridged.add(target)
                else:
                    bridged.discard(target)
        node.requires = resolved
        if bridged:
            bridged_edges[node.code] = bridged
    return bridged_edges


def _prune_implied(nodes: dict[str, Node], bridged_edges: Mapping[str, set[str]]) -> None:
    """Drop bridged edges that another finish-to-start path already implies (keeps the plan
    and its BPMN readable; figures are unchanged since the implied constraint is as strong)."""
    if not bridged_edges:
        return
    import networkx as nx

    fs = nx.DiGraph()
    fs.add_nodes_from(nodes)
    fs.add_edges_from(
        (p, n.code) for n in nodes.values() for p, lead in n.requires.items() if lead == 0
    )
    for code, bridged in bridged_edges.items():
        reqs = nodes[code].requires
        for target in sorted(bridged):
            if reqs.get(target) != 0:
                continue
            others = [q for q, lead in reqs.items() if q != target and lead == 0]
            if any(target in nx.ancestors(fs, q) for q in others):
                del reqs[target]
                fs.remove_edge(target, code)


def _merged_node(group: MergeGroup, members: list[Node]) -> Node:
    depts = tuple(dict.fromkeys(d for m in members for d in m.departments))
    days = group.days if group.days is not None else max(m.days for m in members)
    return Node(
        group.code,
        group.name,
        group.department or members[0].department,
        min(m.stage for m in members),
        days,
        kind="merged",
        name_en=group.name_en,
        departments=depts,
        members=tuple(m.code for m in members),
        items=tuple(m.code for m in members),
        mode="commitment" if all(m.mode == "commitment" for m in members) else "review",
    )


def _order_members(members: list[str], present: Mapping[str, Item]) -> list[str]:
    """Members in listed order, adjusted so that one requiring another comes after it."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(members)
    inside = set(members)
    for m in members:
        for r in present[m].requires:
            if r.code in inside:
                g.add_edge(r.code, m)
    index = {m: i for i, m in enumerate(members)}
    return list(nx.lexicographical_topological_sort(g, key=index.__getitem__))


def assessment_label(kind: str, lang: str = "zh") -> str:
    zh, en = REGIONAL_ASSESSMENT_TYPES.get(kind, (kind, kind))
    return en if lang == "en" else zh


def used_mechanisms(graph: PlanGraph) -> dict[str, bool]:
    """Which mechanisms changed this plan (only those are re-planned to measure savings)."""
    nodes: Iterable[Node] = graph.nodes.values()
    kinds = set(map(_kind, nodes))
    return {
        "waivers": bool(graph.waived or graph.reduced),
        "early_starts": any(map(any, map(dict.values, map(_requires, nodes)))),
        "merges": "merged" in kinds,
        "splits": "part" in kinds,
    }
