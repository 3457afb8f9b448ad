"""BPMN that a BPMN engine runs to the end in plan order, and iCalendar that parses back."""

from datetime import timedelta

from icalendar import Calendar
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.util.task import TaskState

from approvals.calendar import WorkCalendar
from approvals.catalog import default_catalogue, parse_catalog
from approvals.exchange import to_bpmn, to_ics
from approvals.planning import plan
from approvals.project import Project, parse_project
from approvals.samples import sample_project_doc


def _sample_plan():
    return plan(default_catalogue(), parse_project(sample_project_doc()), WorkCalendar())


def run_bpmn(xml: str) -> list[str]:
    """Run the process in SpiffWorkflow, completing user tasks as they become ready; return the
    item codes in the order they ran."""
    parser = BpmnParser()
    parser.add_bpmn_str(xml.encode())
    (process_id,) = parser.get_process_ids()
    wf = BpmnWorkflow(parser.get_spec(process_id))
    wf.do_engine_steps()
    ran: list[str] = []
    for _ in range(10_000):
        if wf.is_completed():
            return ran
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        assert ready, "the process is stuck before its end event"
        for task in ready:
            ran.append(task.task_spec.bpmn_name.split()[0])
            task.run()
        wf.do_engine_steps()
    raise AssertionError("did not finish")


def test_bpmn_runs_to_the_end_respecting_every_prerequisite():
    p = _sample_plan()
    ran = run_bpmn(to_bpmn(p))
    assert sorted(ran) == sorted(i.code for i in p.items)
    position = {c: k for k, c in enumerate(ran)}
    for i in p.items:
        for pred in i.requires:
            assert position[pred] < position[i.code], (pred, i.code)
    assert "parallelGateway" in to_bpmn(p)


def test_bpmn_of_a_single_item_and_of_parallel_sources():
    one = plan(
        parse_catalog(
            {"items": [{"code": "A", "name": "甲", "department": "d", "stage": 1, "days": 1}]}
        ),
        Project(),
        WorkCalendar(),
    )
    assert run_bpmn(to_bpmn(one)) == ["A"]
    two = plan(
        parse_catalog(
            {
                "items": [
                    {"code": "A", "name": "甲", "department": "d", "stage": 1, "days": 1},
                    {"code": "B/1", "name": "乙", "department": "d", "stage": 1, "days": 2},
                ]
            }
        ),
        Project(),
        WorkCalendar(),
    )
    assert sorted(run_bpmn(to_bpmn(two))) == ["A", "B/1"]


def test_ics_has_one_event_per_item_with_inclusive_dates():
    p = _sample_plan()
    cal = Calendar.from_ical(to_ics(p))
    events = cal.walk("VEVENT")
    assert len(events) == len(p.items)
    by_code = {str(e["summary"]).lstrip("★ ").split()[0]: e for e in events}
    for i in p.items:
        e = by_code[i.code]
        assert e.decoded("dtstart") == i.start_date
        assert e.decoded("dtend") == i.end_date + timedelta(days=1)
    assert len({str(e["uid"]) for e in events}) == len(events)
