"""The planner: project + catalogue → the parallel plan on the working-day calendar.

``plan()`` composes the pure steps: applicable items, waivers, merges and splits
(:mod:`approvals.graph`), parallel batches and the critical-path method
(:mod:`approvals.schedule`), then dates on the Chinese working-day calendar
(:mod:`approvals.calendar`), the serial duration against the parallel one, and what each
reform mechanism saved (each one switched off in turn and the plan re-run).

Meaning of the figures (the CLI contract):

- working day 0 is the first working day on or after the start date;
- an item occupies working days ``es … ef−1``; its ``start_date``/``end_date`` are the dates of
  working days ``es`` and ``ef−1`` (a zero-day item ends the day it starts);
- ``finish_date`` is the date of working day ``makespan−1``;
- ``batch`` is the index of the item's topological generation;
- ``serial_workdays`` is the sum of the planned items' days (one after another).

Two clocks (审批用时 and 企业/中介用时).  A catalogue may hold activities that are not government
reviews: the enterprise's own work (方案设计, 施工, 试生产) and intermediaries' services (测绘,
报告编制), in working or calendar days.  A calendar-day activity of N days occupies N calendar
days from the day after its prerequisites end (a review item after it starts on the next
working day).  Every plan then reports, apart from the figures above:

- ``approval_workdays``: the government's clock, stage by stage as 国办发〔2019〕11号 counts it —
  per stage, the working days on which at least one of its review items runs (the union of
  their days, not the sum), added over the stages (``stages`` gives each);
- ``enterprise_days`` / ``intermediary_days``: calendar days on which at least one of the
  enterprise's (intermediaries') activities runs — the union of their days, not the critical
  path's share;
- ``milestones`` (赋码, 施工许可, 竣工验收, 投产: the end dates of the items the catalogue marks)
  and ``days_code_to_construction_permit`` (calendar days from 赋码 to 施工许可).

Without such activities the plan is exactly the review plan of before.  With them,
``makespan_workdays``, ``serial_workdays`` and the mechanisms' savings keep their meaning for the
review items alone: they are the figures of the same plan with the activities left out (bridged
like items that do not apply, :attr:`Mechanisms.activities`) — what the reviews take when the
enterprise and intermediaries take no time.  The items' ``es``/``ef``/``ls``/``lf``, their dates,
the critical path and ``finish_date`` are the whole project's: working days counted from working
day 0 over both clocks (an activity's figures are the working days its calendar span covers).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import add, attrgetter, mul, sub
from typing import Any

from approvals.calendar import WorkCalendar, WorkdaySequence
from approvals.catalog import Catalogue
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import CycleError
from approvals.graph import (
    Mechanisms,
    Node,
    PlanGraph,
    Reduced,
    Waived,
    build_plan_graph,
    used_mechanisms,
)
from approvals.plan_output import plan_dict, plan_json
from approvals.project import Project
from approvals.schedule import IndexedCpm, cpm_in_order, cpm_indexed, cycles_of


@dataclass(slots=True)
class PlannedItem:
    """One step of a plan with its CPM figures and dates (read-only by convention: a frozen
    dataclass costs five times as much to build, which matters for 100,000-item plans)."""

    code: str
    name: str
    name_en: str
    department: str
    departments: tuple[str, ...]
    stage: int
    kind: str
    mode: str
    members: tuple[str, ...]
    part_of: str | None
    items: tuple[str, ...]
    days: int
    batch: int
    es: int
    ef: int
    ls: int
    lf: int
    slack: int
    critical: bool
    start_date: date
    end_date: date
    requires: dict[str, int]
    owner: str = "review"  # review, enterprise or intermediary
    unit: str = "workdays"  # or calendar_days


@dataclass(frozen=True, slots=True)
class StageTime:
    """One stage of 国办发〔2019〕11号 on the government's clock: the working days on which at
    least one of its review items runs, and the first and last of its review items' dates."""

    stage: int
    approval_workdays: int
    start_date: date
    end_date: date


@dataclass(frozen=True, slots=True)
class Saving:
    """What one mechanism saved: working days off the finish (``workdays``) and review days of
    work no department has to do (``review_days``: the serial sum with it off, less with it on)."""

    workdays: int
    review_days: int
    first_permit_days: int = (
        0  # splits: how much earlier the first part's permit comes (works start)
    )


@dataclass(frozen=True, slots=True)
class MaterialNeed:
    """A material of the one-time notice (一次告知).  ``provided_by`` names the item whose
    certificate supplies it: such materials are never asked of the enterprise (数据共享)."""

    code: str
    name: str
    name_en: str
    deferrable: bool
    deferral_days: int
    needed_by: tuple[str, ...]
    provided_by: str | None = None


@dataclass(frozen=True)
class Plan:
    start_date: date
    first_workday: date
    makespan: int
    serial: int
    finish_date: date
    critical_path: list[str]
    items: list[PlannedItem]
    waived: list[Waived]
    reduced: list[Reduced]
    not_applicable: list[str]
    provisional: bool
    provisional_years: list[int]
    savings: dict[str, Saving]
    materials: list[MaterialNeed]
    catalogue_code: str = ""
    catalogue_version: str = ""
    catalogue_sha256: str = ""
    project_name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    #: the government's clock: working days, stage by stage (see the module's docstring)
    approval_workdays: int = 0
    stages: list[StageTime] = field(default_factory=list)
    #: calendar days on which some enterprise (intermediary) activity runs (the union)
    enterprise_days: int = 0
    intermediary_days: int = 0
    #: project_code, construction_permit, completion_acceptance (and production when the
    #: catalogue marks it) → the date, None when the catalogue marks no such item or it is not planned
    milestones: dict[str, date | None] = field(default_factory=dict)

    @property
    def days_code_to_construction_permit(self) -> int | None:
        """Calendar days from 赋码 to 施工许可 (Zhejiang's target for 标准地: 100)."""
        code, permit = (
            self.milestones.get("project_code"),
            self.milestones.get("construction_permit"),
        )
        return (permit - code).days if code and permit else None

    def item(self, code: str) -> PlannedItem:
        for it in self.items:
            if it.code == code:
                return it
        raise KeyError(code)

    @property
    def parallel_saving(self) -> int:
        """Working days parallel review saves against doing the items one after another."""
        return self.serial - self.makespan

    @property
    def materials_to_submit(self) -> list[MaterialNeed]:
        return [m for m in self.materials if m.provided_by is None]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The JSON form of the CLI contract (plus descriptive extras): :func:`plan_dict`."""
        return plan_dict(self, lang)

    def to_json(self, lang: str = "zh") -> bytes:
        """:meth:`to_dict` as indented UTF-8 JSON and a newline: :func:`plan_json`."""
        return plan_json(self, lang)


def schedule_graph(graph: PlanGraph) -> tuple[list[str], IndexedCpm]:
    """The node codes (catalogue order) and their batches and CPM figures (no dates)."""
    codes = list(graph.nodes)
    nodes = graph.nodes.values()
    durations = [n.days for n in nodes]
    preds: Sequence[Sequence[int]]
    leads: dict[int, list[tuple[int, int]]] = {}
    if graph.positions is not None and not any(map(any, map(dict.values, map(_requires, nodes)))):
        preds = graph.positions  # found while the catalogue was checked: no look-up per edge
        index: dict[str, int] = {}
    else:
        index = {c: i for i, c in enumerate(codes)}
        position = index.__getitem__
        preds = []
        for i, n in enumerate(nodes):
            requires = n.requires
            if requires:
                preds.append(list(map(position, requires)))
                if any(requires.values()):
                    leads[i] = [(index[p], lead) for p, lead in requires.items()]
            else:
                preds.append(())
    cpm = cpm_in_order(durations, preds, leads)
    if cpm is None:  # some prerequisite comes later in the catalogue: Kahn's algorithm orders them
        index = index or {c: i for i, c in enumerate(codes)}
        succs: list[list[tuple[int, int]]] = [[] for _ in codes]
        for i, n in enumerate(nodes):
            for p, lead in n.requires.items():
                succs[index[p]].append((i, lead))
        cpm = cpm_indexed(durations, succs)
    if cpm is None:
        raise CycleError(cycles_of(codes, {c: n.requires for c, n in graph.nodes.items()}))
    return codes, cpm


def plan(
    catalogue: Catalogue,
    project: Project,
    calendar: WorkCalendar,
    start: date | None = None,
    mechanisms: Mechanisms = Mechanisms(),
    *,
    measure_savings: bool = True,
) -> Plan:
    """Plan ``project`` against ``catalogue`` from ``start`` (else the project's start date, else today).

    Raises
    ------
    ProjectError, CycleError, CalendarRangeError
        See :func:`approvals.graph.build_plan_graph` and :class:`approvals.calendar.WorkCalendar`.
    """
    start = start or project.start_date or date.today()
    calendar.check_range(start)
    graph = build_plan_graph(catalogue, project, mechanisms, on=start)
    codes, cpm = schedule_graph(graph)
    seq = calendar.sequence(start)
    nodes = list(graph.nodes.values())
    two_clocks = catalogue.has_activities and any(map("review".__ne__, map(_owner, nodes)))
    mixed: _TwoClocks | None = None
    if two_clocks:
        mixed = _two_clocks(nodes, cpm, seq, start)
        es, ef, ls, lf = mixed.es, mixed.ef, mixed.ls, mixed.lf
        makespan = max(ef, default=0)  # the whole project's, for its dates and order
        critical_path = mixed.critical_path
        # makespan_workdays, serial_workdays and the savings: the review items alone
        reviews = replace(mechanisms, activities=False)
        on_graph = build_plan_graph(catalogue, project, reviews, on=start)
        _, on_cpm = schedule_graph(on_graph)
    else:
        es, ef, ls, lf = cpm.es, cpm.ef, cpm.ls, cpm.lf
        makespan = cpm.makespan
        critical_path = cpm.critical_path
    last = max(makespan - 1, 0)
    seq.date_of(makespan)  # a zero-day item may start on day `makespan`
    dates = seq.dates  # working day n → date
    items, o_end = _planned_items(nodes, (es, ef, ls, lf, cpm.batch), makespan, mixed, dates)
    provisional_years = seq.provisional_years(last)
    serial = sum(n.days for n in nodes)
    stages = _review_stages(nodes, es, ef, mixed, dates)
    owner_days = mixed.owner_days if mixed is not None else {}

    savings: dict[str, Saving] = {}
    if measure_savings:
        # with two clocks, the mechanisms are measured on the government's clock (review items)
        if two_clocks:
            savings = _savings(catalogue, project, start, reviews, on_graph, on_cpm)
        else:
            savings = _savings(catalogue, project, start, mechanisms, graph, cpm)

    return Plan(
        start_date=start,
        first_workday=dates[0],
        makespan=on_cpm.makespan if two_clocks else makespan,
        serial=sum(n.days for n in on_graph.nodes.values()) if two_clocks else serial,
        finish_date=max(o_end, default=dates[last]) if two_clocks else dates[last],
        critical_path=[codes[i] for i in critical_path],
        items=items,
        waived=graph.waived,
        reduced=graph.reduced,
        not_applicable=graph.not_applicable,
        provisional=bool(provisional_years),
        provisional_years=provisional_years,
        savings=savings,
        materials=_materials(catalogue, graph),
        catalogue_code=catalogue.code,
        catalogue_version=catalogue.version,
        catalogue_sha256=catalogue.sha256,
        project_name=project.name,
        attributes=graph.attributes,
        approval_workdays=sum(st.approval_workdays for st in stages),
        stages=stages,
        enterprise_days=owner_days.get("enterprise", 0),
        intermediary_days=owner_days.get("intermediary", 0),
        milestones=_milestones(catalogue, items),
    )


def _planned_items(
    nodes: list[Node],
    columns: tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[int], Sequence[int]],
    makespan: int,
    mixed: _TwoClocks | None,
    dates: Sequence[date],
) -> tuple[list[PlannedItem], list[date]]:
    """The plan's items in plan order (batch by batch, earliest start first, then catalogue
    order) with their figures and dates, and their end dates."""
    es, ef, ls, lf, batch = columns
    span = makespan + 1  # es ≤ makespan: one int key per node, ties stay in catalogue order
    keys = [b * span + e for b, e in zip(batch, es, strict=True)]
    order = sorted(range(len(nodes)), key=keys.__getitem__)
    if mixed is not None:
        first_dates, end_dates, critical = mixed.start_dates, mixed.end_dates, mixed.critical
    else:
        last_day = [e - 1 if e - 1 > s else s for s, e in zip(es, ef, strict=True)]
        first_dates = list(map(dates.__getitem__, es))
        end_dates = list(map(dates.__getitem__, last_day))
        critical = list(map(int.__eq__, ls, es))
    # one item per node in catalogue order (the nodes read in the order they were built, not
    # hopping through memory in plan order), then the items put in plan order
    built = [
        PlannedItem(
            n.code,
            n.name,
            n.name_en,
            n.department,
            n.departments,
            n.stage,
            n.kind,
            n.mode,
            n.members,
            n.part_of,
            n.items,
            n.days,
            b,
            s,
            f,
            late_start,
            late_finish,
            late_start - s,
            crit,
            first,
            end,
            n.requires,
            n.owner,
            n.unit,
        )
        for n, b, s, f, late_start, late_finish, crit, first, end in zip(
            nodes, batch, es, ef, ls, lf, critical, first_dates, end_dates, strict=True
        )
    ]
    items = list(map(built.__getitem__, order))
    o_end = list(map(end_dates.__getitem__, order))
    return items, o_end


def _review_stages(
    nodes: list[Node],
    es: Sequence[int],
    ef: Sequence[int],
    mixed: _TwoClocks | None,
    dates: Sequence[date],
) -> list[StageTime]:
    """The government's clock, stage by stage: review items only."""
    if mixed is not None:
        review = [i for i, n in enumerate(nodes) if n.owner == "review"]
        r_stage = [nodes[i].stage for i in review]
        r_es = [es[i] for i in review]
        r_ef = [ef[i] for i in review]
        r_first = [mixed.start_dates[i] for i in review]
        r_end = [mixed.end_dates[i] for i in review]
        return _stage_times(r_stage, r_es, r_ef, r_first, r_end, dates)
    return _stage_times(list(map(_stage, nodes)), es, ef, None, None, dates)


def _savings(
    catalogue: Catalogue,
    project: Project,
    start: date,
    base: Mechanisms,
    on_graph: PlanGraph,
    on_cpm: IndexedCpm,
) -> dict[str, Saving]:
    """What each mechanism used in ``on_graph`` saves: the plan again without it."""
    savings: dict[str, Saving] = {}
    on_nodes = list(on_graph.nodes.values())
    on_serial = sum(n.days for n in on_nodes)
    for mechanism, used in used_mechanisms(on_graph).items():
        if not used:
            continue
        off = build_plan_graph(catalogue, project, _without(base, mechanism), on=start)
        off_codes, off_cpm = schedule_graph(off)
        first = 0
        if mechanism == "splits":
            off_ef = dict(zip(off_codes, off_cpm.ef, strict=True))
            for i, n in enumerate(on_nodes):
                if n.kind == "part" and n.part_of in off_ef:
                    first = max(first, off_ef[n.part_of] - on_cpm.ef[i])
        off_serial = sum(n.days for n in off.nodes.values())
        savings[mechanism] = Saving(
            off_cpm.makespan - on_cpm.makespan, off_serial - on_serial, first
        )
    return savings


_owner = attrgetter("owner")
_requires = attrgetter("requires")
_stage = attrgetter("stage")


def _union_length(intervals: list[tuple[int, int]]) -> int:
    """Length of the union of half-open ``[s, e)`` intervals sorted by start (in C: each
    interval adds what it reaches past the furthest end before it)."""
    if not intervals:
        return 0
    starts, ends = zip(*intervals, strict=True)
    reach = itertools.accumulate(ends, max, initial=starts[0])  # furthest end before each
    return sum(map(max, map(sub, ends, map(max, starts, reach)), itertools.repeat(0)))


def _stage_workdays(
    stage: Sequence[int], es: Sequence[int], ef: Sequence[int]
) -> dict[int, tuple[int, int, int]]:
    """Per stage: the working days on which one of its items runs (the union of ``[es, ef)``),
    its first working day and its last (a zero-day item's is its start).

    Counted with C-level passes over the items (a Counter of start and end points per stage, then
    a running sum per stage over the plan's days); Python steps only per distinct point.
    """
    if not es:
        return {}
    span = max(max(ef), max(es)) + 1
    base = list(map(mul, stage, itertools.repeat(span)))
    deltas: dict[int, list[int]] = {}
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for key, count in Counter(map(add, base, es)).items():
        st, day = divmod(key, span)
        delta = deltas.get(st)
        if delta is None:
            delta = deltas[st] = [0] * (span + 1)
        delta[day] += count
        if day < first.get(st, span):
            first[st] = day
        if day > last.get(st, -1):
            last[st] = day
    for key, count in Counter(map(add, base, ef)).items():
        st, day = divmod(key, span)
        deltas[st][day] -= count
        if day - 1 > last[st]:
            last[st] = day - 1
    return {
        st: (span + 1 - list(itertools.accumulate(deltas[st])).count(0), first[st], last[st])
        for st in sorted(deltas)
    }


def _stage_times(
    stage: Sequence[int],
    es: Sequence[int],
    ef: Sequence[int],
    first: Sequence[date] | None,
    end: Sequence[date] | None,
    dates: Sequence[date],
) -> list[StageTime]:
    """Per stage, the working days on which one of its review items runs (their union), from
    the first review item's start to the last one's end.  ``first``/``end``: the items' dates
    (None: working days ``es`` and ``max(ef − 1, es)``)."""
    counted = _stage_workdays(stage, es, ef)
    if first is None or end is None:
        return [StageTime(st, d, dates[lo], dates[hi]) for st, (d, lo, hi) in counted.items()]
    bounds: dict[int, tuple[date, date]] = {}
    for st, a, b in zip(stage, first, end, strict=True):
        lo, hi = bounds.get(st, (a, b))
        bounds[st] = (min(lo, a), max(hi, b))
    return [StageTime(st, d, *bounds[st]) for st, (d, _, _) in counted.items()]


def _milestones(catalogue: Catalogue, items: list[PlannedItem]) -> dict[str, date | None]:
    """赋码, 施工许可, 竣工验收 (and 投产 when marked): the end of the plan step carrying the
    marked item (itself, its merged review, or the last of its split parts)."""
    marks = catalogue.milestones
    out: dict[str, date | None] = dict.fromkeys(
        ("project_code", "construction_permit", "completion_acceptance"), None
    )
    if "production" in marks:
        out["production"] = None
    if not marks:
        return out
    wanted = {code: name for name, code in marks.items()}
    for it in items:
        for code in it.items:
            name = wanted.get(code)
            if name is not None:
                current = out.get(name)
                out[name] = it.end_date if current is None else max(current, it.end_date)
    return out


@dataclass(slots=True)
class _TwoClocks:
    """A schedule over both clocks: figures in working days (for the CLI contract), dates."""

    es: list[int]
    ef: list[int]
    ls: list[int]
    lf: list[int]
    start_dates: list[date]
    end_dates: list[date]
    critical: list[bool]
    critical_path: list[int]
    owner_days: dict[str, int]


def _two_clocks(
    nodes: list[Node], cpm: IndexedCpm, seq: WorkdaySequence, start: date
) -> _TwoClocks:
    """Forward and backward passes over calendar days (offsets from ``start``).

    A review item (working days) starts on the first working day on or after its prerequisites
    end and takes ``days`` working days; a calendar-day activity starts the day after its
    prerequisites end and takes ``days`` calendar days.  ``t`` is the calendar offset; a node
    occupies ``[est, eft)``.  Leads (提前介入) count working days before a review predecessor's
    end and calendar days before an activity's.
    """
    n = len(nodes)
    index = {node.code: i for i, node in enumerate(nodes)}
    origin = start.toordinal()

    def day(t: int) -> date:
        return date.fromordinal(origin + t)

    def t_of(d: date) -> int:
        return d.toordinal() - origin

    def w_of(t: int) -> int:  # the first working day on or after offset t
        return seq.index_of(day(t))

    calendar_days = [node.unit == "calendar_days" for node in nodes]
    days = [node.days for node in nodes]
    est, eft = [0] * n, [0] * n
    start_dates: list[date] = [start] * n
    end_dates: list[date] = [start] * n
    succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i in cpm.order:
        node = nodes[i]
        ready = 0
        for code, lead in node.requires.items():
            p = index[code]
            succs[p].append((i, lead))
            if lead and not calendar_days[p]:
                at = t_of(seq.date_of(w_of(est[p]) + days[p] - lead))
            else:
                at = eft[p] - lead
            ready = max(ready, at)
        d = days[i]
        if calendar_days[i]:
            est[i], eft[i] = ready, ready + d
            start_dates[i], end_dates[i] = day(ready), day(ready + max(d - 1, 0))
        else:
            w = w_of(ready)
            first = seq.date_of(w)
            last = seq.date_of(w + d - 1) if d else first
            est[i] = t_of(first)
            eft[i] = t_of(last) + 1 if d else est[i]
            start_dates[i], end_dates[i] = first, last
    finish = max(eft, default=0)
    lst, lft = [0] * n, [0] * n
    ls_w, lf_w = [0] * n, [0] * n
    for i in reversed(cpm.order):
        d = days[i]
        if calendar_days[i]:
            lf_t = min((lst[s] + lead for s, lead in succs[i]), default=finish)
            lft[i], lst[i] = lf_t, lf_t - d
            lf_w[i], ls_w[i] = w_of(lf_t), w_of(lf_t - d)
        else:
            lw = min((w_of(lst[s]) + lead for s, lead in succs[i]), default=w_of(finish))
            lf_w[i], ls_w[i] = lw, lw - d
            lst[i] = t_of(seq.date_of(max(lw - d, 0)))
            lft[i] = lst[i] + (eft[i] - est[i])
    es_w = [w_of(t) for t in est]
    ef_w = [w_of(t) if t > est[i] else es_w[i] for i, t in enumerate(eft)]
    critical = [lst[i] <= est[i] for i in range(n)]
    critical_path = sorted((i for i in range(n) if critical[i]), key=lambda i: (est[i], eft[i]))
    owner_days = {}
    for owner in ("enterprise", "intermediary"):
        spans = sorted((est[i], eft[i]) for i in range(n) if nodes[i].owner == owner)
        owner_days[owner] = _union_length(spans)
    return _TwoClocks(
        es_w, ef_w, ls_w, lf_w, start_dates, end_dates, critical, critical_path, owner_days
    )


def _without(mechanisms: Mechanisms, name: str) -> Mechanisms:
    return replace(mechanisms, **{name: False})


_item_materials = attrgetter("materials")


def _materials(catalogue: Catalogue, graph: PlanGraph) -> list[MaterialNeed]:
    """Materials of the planned items, once each (一次采集、多方复用), with those supplied by an
    earlier item's certificate marked as provided (数据共享)."""
    if not any(map(_item_materials, catalogue.items.values())):
        return []  # a catalogue without materials (one pass in C)
    planned_items = [code for n in graph.nodes.values() for code in n.items]
    outputs: dict[str, str] = {}
    for code in planned_items:
        for o in catalogue.items[code].outputs:
            outputs.setdefault(o.code, code)
    needs: dict[str, dict[str, Any]] = {}
    for code in dict.fromkeys(planned_items):
        for m in catalogue.items[code].materials:
            try:
                if not evaluate(m.applies_if, graph.attributes):
                    continue
            except MissingAttribute:
                pass  # unknown answer: keep the material on the list rather than miss it
            need = needs.setdefault(m.code, {"m": m, "by": []})
            need["by"].append(code)
            # essential anywhere → not deferrable
            if not m.deferrable:
                need["m"] = m
    return [
        MaterialNeed(
            c,
            v["m"].name,
            v["m"].name_en,
            v["m"].deferrable,
            v["m"].deferral_days,
            tuple(v["by"]),
            outputs.get(c),
        )
        for c, v in needs.items()
    ]
