"""The 代办清单 and the milestones stay in step with the plan as tasks move; the agent's notes
survive; other packages' checkpoints come in through the hook — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from agent_service.errors import AgentForbidden, AgentInputError
from agent_service.model import ExtraEntry
from agent_service.services import alert_scan as alert_scan_service
from agent_service.services import checklist as checklist_service
from agent_service.services import milestones as milestones_service
from approvals.services import review
from i18n import Text
from tests.integration.agents_support import MON, file, make_world, reviewer, task, upload

TUE, WED = date(2026, 3, 3), date(2026, 3, 4)


def entries(doc):
    return {e["key"]: {**e, "phase": p["phase"]} for p in doc["phases"] for e in p["entries"]}


def test_checklist_follows_the_plan_through_task_events(session):
    w = make_world(session)
    p = file(session, w)
    agent = w.actor("agent1")
    doc = checklist_service.checklist(session, agent, p.id, MON, w.cal)
    assert doc["current_phase"] == "pre_landing"
    assert [ph["phase"] for ph in doc["phases"]] == [
        "pre_landing",
        "post_landing",
        "post_completion",
    ]
    assert [ph["name"] for ph in doc["phases"]] == ["落点前", "落点后", "竣工后"]
    e = entries(doc)
    assert {k for k, v in e.items() if v["phase"] == "pre_landing"} == {
        "step:A",
        "step:L",
        "step:P",
    }
    assert {k for k, v in e.items() if v["phase"] == "post_landing"} == {
        "step:E",
        "step:D",
        "step:W",
    }
    assert {k for k, v in e.items() if v["phase"] == "post_completion"} == {"step:K"}
    a = e["step:A"]
    assert a["status"] == "todo" and a["due"] == MON.isoformat()
    assert [(m["code"], m["state"]) for m in a["materials"]] == [("M-form", "missing")]
    (fgw,) = a["departments"]
    assert fgw["contact_person"] == "陈科长" and fgw["phone"] and fgw["task_status"] == "ready"
    assert e["step:L"]["status"] == "waiting" and e["step:L"]["critical"]

    # the agent's note and tick-off, kept by key
    checklist_service.set_note(
        session, agent, p.id, "step:L", note="已约自然资源局周科长", done=True, on=MON
    )
    session.commit()
    with pytest.raises(AgentInputError):
        checklist_service.set_note(session, agent, p.id, "step:NOPE", note="x", on=MON)
    session.rollback()
    with pytest.raises(AgentForbidden):
        checklist_service.set_note(session, w.actor("regulator1"), p.id, "step:L", note="x", on=MON)
    session.rollback()

    # the filing is accepted on Monday and approved a day late: the checklist follows
    upload(session, w, p, "M-form", MON)
    assert (
        entries(checklist_service.checklist(session, agent, p.id, MON, w.cal))["step:A"][
            "materials"
        ][0]["state"]
        == "uploaded"
    )
    review.accept_task(session, reviewer(w, "fgw"), task(session, p, "A").id, MON, w.cal)
    review.approve_task(session, reviewer(w, "fgw"), task(session, p, "A").id, TUE, w.cal)
    session.commit()
    upload(session, w, p, "M-eia", TUE)
    review.accept_task(session, reviewer(w, "sthj"), task(session, p, "E").id, WED, w.cal)
    session.commit()
    e = entries(checklist_service.checklist(session, agent, p.id, WED, w.cal))
    assert e["step:A"]["status"] == "done" and e["step:A"]["done_on"] == TUE.isoformat()
    assert e["step:A"]["materials"] == []
    assert e["step:L"]["status"] == "todo" and e["step:L"]["ticked"]
    assert e["step:L"]["note"] == "已约自然资源局周科长"
    assert e["step:L"]["due"] > e["step:L"]["baseline_due"]  # one day late, it moved
    eia = e["step:E"]
    assert eia["status"] == "in_progress" and eia["departments"][0]["clock"] in {
        "normal",
        "warning",
    }
    pp = next(m for m in eia["materials"] if m["code"] == "M-pp")
    assert pp["state"] == "missing" and pp["deferrable"] and pp["deferred_until"] == "2026-03-09"

    # milestones: the plan's (baseline due dates, forecasts moving), the agent's own
    marks = {m.key: m for m in milestones_service.milestones(session, agent, p.id, WED, w.cal)}
    assert {"landing", "stage-1", "stage-2", "stage-3", "stage-4"} <= set(marks)
    landing = marks["landing"]
    assert landing.due_on == date(2026, 3, 6) and landing.forecast_on == date(2026, 3, 9)
    assert landing.status == "at_risk"
    row = milestones_service.add_milestone(
        session, agent, p.id, title="交地", due_on=date(2026, 3, 5)
    )
    session.commit()
    milestones_service.mark_milestone_met(session, agent, p.id, row.id, WED)
    session.commit()
    manual = {m.key: m for m in milestones_service.milestones(session, agent, p.id, WED, w.cal)}[
        f"manual-{row.id}"
    ]
    assert manual.status == "met" and manual.met_on == WED


def test_other_packages_add_checkpoints_through_the_hook(session):
    w = make_world(session)
    p = file(session, w)

    def commitments(_session, project_ids, _today):
        for pid in project_ids:
            yield ExtraEntry(
                pid, "benchmark", Text("对标验收", "benchmark acceptance"), date(2026, 3, 12)
            )
            yield ExtraEntry(pid, "note", Text("备注", "note"), None, kind="info")

    sources = (commitments,)  # the port, as the composition root passes it
    agent = w.actor("agent1")
    e = entries(checklist_service.checklist(session, agent, p.id, MON, w.cal, checkpoints=sources))
    assert e["checkpoint:benchmark"]["phase"] == "post_completion"
    assert e["checkpoint:benchmark"]["due"] == "2026-03-12"
    assert e["info:note"]["status"] == "todo"
    marks = {
        m.key: m
        for m in milestones_service.milestones(
            session, agent, p.id, MON, w.cal, checkpoints=sources
        )
    }
    assert marks["checkpoint:benchmark"].kind == "checkpoint"
    result = alert_scan_service.scan_alerts(session, MON, w.cal, checkpoints=sources)
    assert [a.kind for a in result.alerts] == ["checkpoint_due"]
    checklist_service.set_note(
        session, agent, p.id, "checkpoint:benchmark", done=True, on=MON, checkpoints=sources
    )
    assert "checkpoint:benchmark" not in entries(
        checklist_service.checklist(session, w.actor("agent1"), p.id, MON, w.cal)
    )
