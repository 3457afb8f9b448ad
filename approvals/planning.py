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
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter
from typing import Any

import msgspec

from approvals.calendar import WorkCalendar
from approvals.catalog import STAGES, Catalogue
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import CycleError
from approvals.graph import (
    Mechanisms,
    PlanGraph,
    Reduced,
    Waived,
    build_plan_graph,
    used_mechanisms,
)
from approvals.project import Project
from approvals.schedule import IndexedCpm, cpm_in_order, cpm_indexed, cycles_of

MECHANISM_NAMES: dict[str, tuple[str, str]] = {
    "waivers": (
        "标准地区域评价免审/承诺",
        "standard-plot regional assessments (waivers, commitments)",
    ),
    "early_starts": ("模拟审查/提前介入", "early starts (simulated review)"),
    "merges": ("合并审查（二合一/多评合一/联合验收）", "merged reviews"),
    "splits": ("分步审批（桩基先行）", "split approvals (piling first)"),
}


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


class _ItemJson(msgspec.Struct):
    """An item of :meth:`Plan.to_json`: the fields in the order of the keys of
    :meth:`Plan.to_dict`'s items; msgspec writes tuples as arrays and dates as YYYY-MM-DD."""

    code: Any
    name: Any
    name_en: Any
    department: Any
    departments: Any
    stage: Any
    batch: Any
    days: Any
    es: Any
    ef: Any
    ls: Any
    lf: Any
    slack: Any
    critical: Any
    start_date: Any
    end_date: Any
    kind: Any
    mode: Any
    members: Any
    part_of: Any
    requires: Any


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
        """The JSON form of the CLI contract (plus descriptive extras)."""
        items = [
            {
                "code": i.code,
                "name": i.name,
                "name_en": i.name_en,
                "department": i.department,
                "departments": list(i.departments),
                "stage": i.stage,
                "batch": i.batch,
                "days": i.days,
                "es": i.es,
                "ef": i.ef,
                "ls": i.ls,
                "lf": i.lf,
                "slack": i.slack,
                "critical": i.critical,
                "start_date": i.start_date.isoformat(),
                "end_date": i.end_date.isoformat(),
                "kind": i.kind,
                "mode": i.mode,
                "members": list(i.members),
                "part_of": i.part_of,
                "requires": [{"code": c, "lead": lead} for c, lead in i.requires.items()],
            }
            for i in self.items
        ]
        return self._document(lang, items)

    def to_json(self, lang: str = "zh") -> bytes:
        """``json.dumps(self.to_dict(lang), ensure_ascii=False, indent=2)`` and a newline, in
        UTF-8: the same bytes written by msgspec in C, the items as structs rather than dicts
        (the stdlib writes indented JSON in Python: 9 s for 100,000 items).  Anything msgspec
        cannot write (a lone surrogate) takes the stdlib path."""
        items = [
            _ItemJson(
                i.code,
                i.name,
                i.name_en,
                i.department,
                i.departments,
                i.stage,
                i.batch,
                i.days,
                i.es,
                i.ef,
                i.ls,
                i.lf,
                i.slack,
                i.critical,
                i.start_date,
                i.end_date,
                i.kind,
                i.mode,
                i.members,
                i.part_of,
                [{"code": c, "lead": lead} for c, lead in i.requires.items()] if i.requires else [],
            )
            for i in self.items
        ]
        try:
            encoded = msgspec.json.encode(self._document(lang, items))
            return msgspec.json.format(encoded, indent=2) + b"\n"
        except Exception:
            return (json.dumps(self.to_dict(lang), ensure_ascii=False, indent=2) + "\n").encode()

    def _document(self, lang: str, items: list[Any]) -> dict[str, Any]:
        return {
            "project": self.project_name,
            "catalog": {
                "code": self.catalogue_code,
                "version": self.catalogue_version,
                "sha256": self.catalogue_sha256,
            },
            "start_date": self.start_date.isoformat(),
            "first_workday": self.first_workday.isoformat(),
            "makespan_workdays": self.makespan,
            "serial_workdays": self.serial,
            "saved_workdays": self.parallel_saving,
            "finish_date": self.finish_date.isoformat(),
            "critical_path": list(self.critical_path),
            "items": items,
            "waived": [
                {
                    "code": w.code,
                    "name": w.name,
                    "department": w.department,
                    "assessment": w.assessment,
                    "reason": w.reason_en if lang == "en" else w.reason_zh,
                    "days_saved": w.days_saved,
                }
                for w in self.waived
            ],
            "reduced_to_commitment": [
                {
                    "code": r.code,
                    "name": r.name,
                    "assessment": r.assessment,
                    "days_before": r.days_before,
                    "days_after": r.days_after,
                    "reason": r.reason_en if lang == "en" else r.reason_zh,
                }
                for r in self.reduced
            ],
            "not_applicable": list(self.not_applicable),
            "savings": {
                k: {
                    "workdays": v.workdays,
                    "review_days": v.review_days,
                    "first_permit_days": v.first_permit_days,
                    "mechanism": MECHANISM_NAMES[k][1 if lang == "en" else 0],
                }
                for k, v in self.savings.items()
            },
            "materials": [
                {
                    "code": m.code,
                    "name": m.name,
                    "deferrable": m.deferrable,
                    "needed_by": list(m.needed_by),
                    "provided_by": m.provided_by,
                }
                for m in self.materials
            ],
            "provisional": self.provisional,
            "provisional_years": list(self.provisional_years),
        }


def schedule_graph(graph: PlanGraph) -> tuple[list[str], IndexedCpm]:
    """The node codes (catalogue order) and their batches and CPM figures (no dates)."""
    codes = list(graph.nodes)
    index = {c: i for i, c in enumerate(codes)}
    position = index.__getitem__
    nodes = graph.nodes.values()
    durations = [n.days for n in nodes]
    preds: list[Sequence[int]] = []
    leads: dict[int, list[tuple[int, int]]] = {}
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
    last = max(cpm.makespan - 1, 0)
    seq.date_of(cpm.makespan)  # a zero-day item may start on day `makespan`
    dates = seq.dates  # working day n → date
    es, ef, ls, lf, batch = cpm.es, cpm.ef, cpm.ls, cpm.lf, cpm.batch
    nodes = list(graph.nodes.values())
    # plan order: batch by batch, earliest start first, then catalogue order
    span = cpm.makespan + 1  # es ≤ makespan: one int key per node, ties stay in catalogue order
    keys = [b * span + e for b, e in zip(batch, es, strict=True)]
    order = sorted(range(len(nodes)), key=keys.__getitem__)
    # the figures in plan order, column by column (C-level map), then one item per node
    picked = [list(map(column.__getitem__, order)) for column in (es, ef, ls, lf, batch)]
    o_es, o_ef, o_ls, o_lf, o_batch = picked
    last_day = [e - 1 if e - 1 > s else s for s, e in zip(o_es, o_ef, strict=True)]
    items = [
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
            late_start == s,
            first,
            end,
            n.requires,
        )
        for n, b, s, f, late_start, late_finish, first, end in zip(
            map(nodes.__getitem__, order),
            o_batch,
            o_es,
            o_ef,
            o_ls,
            o_lf,
            map(dates.__getitem__, o_es),
            map(dates.__getitem__, last_day),
            strict=True,
        )
    ]
    provisional_years = seq.provisional_years(last)
    serial = sum(n.days for n in nodes)

    savings: dict[str, Saving] = {}
    if measure_savings:
        for mechanism, used in used_mechanisms(graph).items():
            if not used:
                continue
            off = build_plan_graph(catalogue, project, _without(mechanisms, mechanism), on=start)
            off_codes, off_cpm = schedule_graph(off)
            first = 0
            if mechanism == "splits":
                off_ef = dict(zip(off_codes, off_cpm.ef, strict=True))
                for i, n in enumerate(nodes):
                    if n.kind == "part" and n.part_of in off_ef:
                        first = max(first, off_ef[n.part_of] - ef[i])
            off_serial = sum(n.days for n in off.nodes.values())
            savings[mechanism] = Saving(off_cpm.makespan - cpm.makespan, off_serial - serial, first)

    return Plan(
        start_date=start,
        first_workday=dates[0],
        makespan=cpm.makespan,
        serial=serial,
        finish_date=dates[last],
        critical_path=[codes[i] for i in cpm.critical_path],
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


def stage_name(stage: int, lang: str = "zh") -> str:
    zh, en = STAGES.get(stage, (str(stage), str(stage)))
    return en if lang == "en" else zh
