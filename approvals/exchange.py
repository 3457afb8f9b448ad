"""Exchange formats of a plan: BPMN 2.0 XML (for BPMN tools and engines) and iCalendar.

BPMN: every planned item is a user task; an item with several successors is followed by a
diverging parallel gateway, one with several prerequisites is preceded by a converging parallel
gateway, so a BPMN engine runs exactly the parallel plan.  A diagram (BPMNDI) lays the tasks out
in columns by batch, so modelers such as Camunda Modeler or bpmn.io draw it without a layout
step.  Leads (提前介入) are documented on the task; BPMN has no finish-to-start-minus-lead flow.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from approvals.planning import Plan

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
for prefix, uri in (("bpmn", BPMN), ("bpmndi", BPMNDI), ("dc", DC), ("di", DI)):
    ET.register_namespace(prefix, uri)

TASK_W, TASK_H, GW = 160, 70, 36
COL_W, ROW_H = 300, 110


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _process_id(plan: Plan) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", plan.catalogue_code or "plan")
    return f"Process_{base}"


@dataclass
class _Layout:
    """The process graph as it is built: shapes (in diagram order), flows and gateways."""

    shapes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    flows: list[tuple[str, str, str]] = field(default_factory=list)
    gateways: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, direction)

    def flow(self, src: str, dst: str) -> None:
        fid = f"Flow_{len(self.flows) + 1}"
        self.flows.append((fid, src, dst))


def to_bpmn(plan: Plan, *, lang: str = "zh") -> str:
    """The plan as BPMN 2.0 XML with parallel gateways and a diagram."""
    defs = ET.Element(
        _q(BPMN, "definitions"),
        {
            "id": "Definitions_onetrip",
            "targetNamespace": "https://onetrip.example.org/bpmn",
            "exporter": "onetrip",
            "exporterVersion": "0.1",
        },
    )
    process_id = _process_id(plan)
    proc = _process_element(defs, plan, process_id)

    task_id = {item.code: f"Task_{i + 1}" for i, item in enumerate(plan.items)}
    succs: dict[str, list[str]] = {item.code: [] for item in plan.items}
    for item in plan.items:
        for pred in item.requires:
            succs[pred].append(item.code)

    layout = _Layout()
    _add_tasks(proc, plan, task_id, layout, lang)
    entry, exit_ = _add_task_gateways(plan, task_id, succs, layout)
    _add_start_and_end(plan, succs, entry, exit_, layout)
    _add_events_gateways_and_flows(proc, layout, lang)
    _add_diagram(defs, process_id, layout)

    ET.indent(defs)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(defs, encoding="unicode") + "\n"


def _process_element(defs: ET.Element, plan: Plan, process_id: str) -> ET.Element:
    """The executable process with its plan summary as documentation."""
    title = plan.project_name or plan.catalogue_code
    proc = ET.SubElement(
        defs, _q(BPMN, "process"), {"id": process_id, "name": title, "isExecutable": "true"}
    )
    doc = ET.SubElement(proc, _q(BPMN, "documentation"))
    doc.text = (
        f"onetrip plan: start {plan.start_date}, finish {plan.finish_date}, "
        f"{plan.makespan} working days in parallel against {plan.serial} one after another."
    )
    return proc


def _add_tasks(
    proc: ET.Element, plan: Plan, task_id: dict[str, str], layout: _Layout, lang: str
) -> None:
    """One user task per item, laid out in columns by batch."""
    rows: dict[int, int] = {}
    for item in plan.items:
        row = rows.get(item.batch, 0)
        rows[item.batch] = row + 1
        x: float = 200 + item.batch * COL_W
        y: float = 80 + row * ROW_H
        layout.shapes[task_id[item.code]] = (x, y, TASK_W, TASK_H)
        name = f"{item.code} {item.name_en if lang == 'en' and item.name_en else item.name}"
        task = ET.SubElement(proc, _q(BPMN, "userTask"), {"id": task_id[item.code], "name": name})
        d = ET.SubElement(task, _q(BPMN, "documentation"))
        leads = [f"{c} (lead {lead})" for c, lead in item.requires.items() if lead]
        d.text = (
            f"department={','.join(item.departments)}; days={item.days}; es={item.es}; ef={item.ef}; "
            f"slack={item.slack}; start={item.start_date}; end={item.end_date}"
            + (f"; early start after {', '.join(leads)}" if leads else "")
            + ("; critical" if item.critical else "")
        )


def _add_task_gateways(
    plan: Plan, task_id: dict[str, str], succs: dict[str, list[str]], layout: _Layout
) -> tuple[dict[str, str], dict[str, str]]:
    """Join/fork gateways around tasks with several prerequisites/successors, and the flows
    between items; returns where each item's incoming flows arrive and outgoing flows leave."""
    entry = {c: task_id[c] for c in task_id}
    exit_ = {c: task_id[c] for c in task_id}
    shapes = layout.shapes
    for item in plan.items:
        x, y, _, _ = shapes[task_id[item.code]]
        if len(item.requires) > 1:
            gid = f"Join_{task_id[item.code]}"
            layout.gateways.append((gid, "", "Converging"))
            shapes[gid] = (x - 70, y + TASK_H / 2 - GW / 2, GW, GW)
            entry[item.code] = gid
            layout.flow(gid, task_id[item.code])
        if len(succs[item.code]) > 1:
            gid = f"Fork_{task_id[item.code]}"
            layout.gateways.append((gid, "", "Diverging"))
            shapes[gid] = (x + TASK_W + 30, y + TASK_H / 2 - GW / 2, GW, GW)
            exit_[item.code] = gid
            layout.flow(task_id[item.code], gid)
    for item in plan.items:
        for pred in item.requires:
            layout.flow(exit_[pred], entry[item.code])
    return entry, exit_


def _add_start_and_end(
    plan: Plan,
    succs: dict[str, list[str]],
    entry: dict[str, str],
    exit_: dict[str, str],
    layout: _Layout,
) -> None:
    """The start and end events' shapes and flows, through a gateway when several items start or
    finish the plan."""
    shapes = layout.shapes
    sources = [i.code for i in plan.items if not i.requires]
    sinks = [i.code for i in plan.items if not succs[i.code]]
    shapes["StartEvent_1"] = (60, 80 + TASK_H / 2 - 18, 36, 36)
    max_batch = max((i.batch for i in plan.items), default=0)
    end_x = 200 + (max_batch + 1) * COL_W
    shapes["EndEvent_1"] = (end_x + 80, 80 + TASK_H / 2 - 18, 36, 36)
    if len(sources) > 1:
        layout.gateways.append(("Fork_Start", "", "Diverging"))
        shapes["Fork_Start"] = (120, 80 + TASK_H / 2 - GW / 2, GW, GW)
        layout.flow("StartEvent_1", "Fork_Start")
        for s in sources:
            layout.flow("Fork_Start", entry[s])
    elif sources:
        layout.flow("StartEvent_1", entry[sources[0]])
    if len(sinks) > 1:
        layout.gateways.append(("Join_End", "", "Converging"))
        shapes["Join_End"] = (end_x, 80 + TASK_H / 2 - GW / 2, GW, GW)
        for s in sinks:
            layout.flow(exit_[s], "Join_End")
        layout.flow("Join_End", "EndEvent_1")
    elif sinks:
        layout.flow(exit_[sinks[0]], "EndEvent_1")
    else:
        layout.flow("StartEvent_1", "EndEvent_1")


def _add_events_gateways_and_flows(proc: ET.Element, layout: _Layout, lang: str) -> None:
    """The start/end events and gateways as elements, each node's incoming/outgoing references,
    then the sequence flows."""
    start = ET.Element(
        _q(BPMN, "startEvent"),
        {"id": "StartEvent_1", "name": "一窗受理" if lang != "en" else "One-window intake"},
    )
    end = ET.Element(
        _q(BPMN, "endEvent"),
        {"id": "EndEvent_1", "name": "审批完成" if lang != "en" else "Approvals complete"},
    )
    proc.insert(1, start)
    proc.append(end)
    for gid, name, direction in layout.gateways:
        ET.SubElement(
            proc,
            _q(BPMN, "parallelGateway"),
            {"id": gid, "name": name, "gatewayDirection": direction},
        )
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for fid, src, dst in layout.flows:
        outgoing.setdefault(src, []).append(fid)
        incoming.setdefault(dst, []).append(fid)
    for el in proc:
        eid = el.get("id")
        if eid is None or el.tag == _q(BPMN, "documentation"):
            continue
        for fid in incoming.get(eid, []):
            ET.SubElement(el, _q(BPMN, "incoming")).text = fid
        for fid in outgoing.get(eid, []):
            ET.SubElement(el, _q(BPMN, "outgoing")).text = fid
    for fid, src, dst in layout.flows:
        ET.SubElement(
            proc, _q(BPMN, "sequenceFlow"), {"id": fid, "sourceRef": src, "targetRef": dst}
        )


def _add_diagram(defs: ET.Element, process_id: str, layout: _Layout) -> None:
    """The BPMNDI diagram: a shape per node and a two-point edge per flow."""
    diagram = ET.SubElement(defs, _q(BPMNDI, "BPMNDiagram"), {"id": "Diagram_1"})
    plane = ET.SubElement(
        diagram, _q(BPMNDI, "BPMNPlane"), {"id": "Plane_1", "bpmnElement": process_id}
    )
    shapes = layout.shapes
    for eid, (x, y, w, h) in shapes.items():
        shape = ET.SubElement(
            plane, _q(BPMNDI, "BPMNShape"), {"id": f"{eid}_di", "bpmnElement": eid}
        )
        ET.SubElement(
            shape,
            _q(DC, "Bounds"),
            {"x": f"{x:.0f}", "y": f"{y:.0f}", "width": f"{w:.0f}", "height": f"{h:.0f}"},
        )
    for fid, src, dst in layout.flows:
        edge = ET.SubElement(plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{fid}_di", "bpmnElement": fid})
        sx, sy, sw, sh = shapes[src]
        tx, ty, _tw, th = shapes[dst]
        ET.SubElement(edge, _q(DI, "waypoint"), {"x": f"{sx + sw:.0f}", "y": f"{sy + sh / 2:.0f}"})
        ET.SubElement(edge, _q(DI, "waypoint"), {"x": f"{tx:.0f}", "y": f"{ty + th / 2:.0f}"})


def to_ics(plan: Plan, *, lang: str = "zh", department_name=None) -> str:
    """The plan as iCalendar: one all-day event per item, from its first to its last working day.

    ``department_name`` (code → display name) may be given to name departments in the summary.
    """
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//onetrip//approval plan//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", plan.project_name or plan.catalogue_code)
    stamp = datetime.now(UTC).replace(microsecond=0)
    namespace = hashlib.sha256(
        f"{plan.catalogue_code}|{plan.project_name}|{plan.start_date}".encode()
    ).hexdigest()[:16]
    for item in plan.items:
        ev = Event()
        dept = department_name(item.department) if department_name else item.department
        name = item.name_en if lang == "en" and item.name_en else item.name
        ev.add("uid", f"{item.code}.{namespace}@onetrip")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"{'★ ' if item.critical else ''}{item.code} {name}（{dept}）")
        ev.add("dtstart", item.start_date)
        ev.add("dtend", item.end_date + timedelta(days=1))
        ev.add(
            "description",
            f"{item.days} 个工作日 working days; batch {item.batch}; slack {item.slack}"
            + ("; 关键路径 critical path" if item.critical else ""),
        )
        ev.add("categories", [f"stage-{item.stage}", item.department])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical().decode()
