"""Joint meetings (联席会议): attendees, decisions, follow-up actions tracked to closure; and the
agent's iCalendar feed of milestones and meetings — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar

from agent_service.errors import AgentConflict, AgentForbidden, AgentInputError, AgentNotFound
from agent_service.services import checklist as checklist_service
from agent_service.services import feeds as feeds_service
from agent_service.services import meetings as meetings_service
from approvals.errors import NotFoundError
from tests.integration.agents_support import MON, file, make_world

TUE, WED, FRI = date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 6)


def test_meetings_and_actions_to_closure_and_the_calendar_feed(session):
    w = make_world(session)
    p = file(session, w)
    agent = w.actor("agent1")
    with pytest.raises(AgentInputError, match="nope"):
        meetings_service.create_meeting(
            session, agent, p.id, title="协调会", held_on=WED, departments=["zrzy", "nope"]
        )
    with pytest.raises(AgentInputError, match="2026-03-01"):
        meetings_service.create_meeting(
            session, agent, p.id, title="协调会", held_on=date(2026, 3, 1), departments=["zrzy"]
        )
    with pytest.raises(NotFoundError):  # another agent's project
        meetings_service.create_meeting(
            session, w.actor("agent2"), p.id, title="x", held_on=WED, departments=["zrzy"]
        )
    with pytest.raises(AgentForbidden):
        meetings_service.create_meeting(
            session, w.actor("enterprise1"), p.id, title="x", held_on=WED, departments=["zrzy"]
        )
    session.rollback()
    meeting = meetings_service.create_meeting(
        session,
        agent,
        p.id,
        title="设计与施工图联合审查协调会",
        held_on=WED,
        departments=["zrzy", "zjj", "zrzy"],
        location="行政服务中心 3 楼",
        persons={"zjj": "吴科长"},
    )
    session.commit()
    spec = meetings_service.ActionSpec
    with pytest.raises(AgentConflict):  # not held yet
        meetings_service.record_minutes(session, agent, p.id, meeting.id, decisions=["x"], on=TUE)
    with pytest.raises(AgentInputError, match=r"actions\[0\].due_on"):
        meetings_service.record_minutes(
            session, agent, p.id, meeting.id, decisions=[], actions=[spec("x", "y", MON)], on=WED
        )
    with pytest.raises(AgentInputError, match="minutes need"):
        meetings_service.record_minutes(session, agent, p.id, meeting.id, decisions=[], on=WED)
    session.rollback()
    meetings_service.record_minutes(
        session,
        agent,
        p.id,
        meeting.id,
        decisions=["施工图审查提前介入", "人防意见当场出具"],
        actions=[
            spec("提交结构计算书", "企业 王经理", FRI),
            spec("出具预审意见", "住建局 吴科长", FRI, "zjj"),
        ],
        on=WED,
    )
    session.commit()
    (m,) = meetings_service.meetings(session, agent, p.id)
    assert m["status"] == "held" and m["status_name"] == "已召开，跟进事项未办结"
    assert [a["code"] for a in m["attendees"]] == ["zjj", "zrzy"]
    assert next(a for a in m["attendees"] if a["code"] == "zjj")["person"] == "吴科长"
    assert [d["text"] for d in m["decisions"]] == ["施工图审查提前介入", "人防意见当场出具"]
    first, second = (a["id"] for a in m["actions"])
    meetings_service.close_action(session, agent, p.id, meeting.id, first, on=WED, note="已提交")
    session.commit()
    assert meetings_service.get_meeting(session, agent, p.id, meeting.id)["status"] == "held"
    with pytest.raises(AgentConflict):
        meetings_service.close_action(session, agent, p.id, meeting.id, first, on=WED)
    with pytest.raises(AgentNotFound):
        meetings_service.close_action(session, agent, p.id, meeting.id, 99999, on=WED)
    session.rollback()
    meetings_service.close_action(session, w.admin, p.id, meeting.id, second, on=FRI)
    session.commit()
    done = meetings_service.get_meeting(session, agent, p.id, meeting.id)
    assert done["status"] == "closed"
    assert [a["closed_by"] for a in done["actions"]] == ["agent1", "admin"]
    # the checklist lists the meeting and its actions after landing
    doc = checklist_service.checklist(session, agent, p.id, FRI, w.cal)
    post = {e["key"]: e for e in doc["phases"][1]["entries"]}
    assert post[f"meeting:{meeting.id}"]["status"] == "done"
    assert post[f"action:{first}"]["status"] == "done"

    # the calendar: milestones and the meeting as events, the actions as to-dos
    ics = feeds_service.calendar_feed(session, agent, agent.user_id, FRI, w.cal)
    cal = Calendar.from_ical(ics)
    events = [c for c in cal.walk("VEVENT")]
    todos = [c for c in cal.walk("VTODO")]
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any("设计与施工图联合审查协调会" in s for s in summaries)
    assert any("项目落点" in s for s in summaries)
    meeting_event = next(e for e in events if "协调会" in str(e["SUMMARY"]))
    assert meeting_event.decoded("DTSTART") == WED and str(meeting_event["LOCATION"])
    assert {str(t["STATUS"]) for t in todos} == {"COMPLETED"}
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert feeds_service.calendar_feed(session, w.actor("regulator1"), agent.user_id, FRI, w.cal)
    with pytest.raises(AgentNotFound):
        feeds_service.calendar_feed(session, w.actor("agent2"), agent.user_id, FRI, w.cal)
    with pytest.raises(AgentNotFound):
        feeds_service.calendar_feed(session, w.admin, w.users["enterprise1"].id, FRI, w.cal)
