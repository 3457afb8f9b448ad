"""Assignment on filing (zone and industry, least loaded), reassignment by administrators with
the reason kept, profiles, and who sees what — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agent_service.errors import AgentConflict, AgentForbidden, AgentInputError, AgentNotFound
from agent_service.services import assignment as assignment_service
from agent_service.services import checklist as checklist_service
from agent_service.services import dashboard as dashboard_service
from agent_service.services import profiles as profiles_service
from approvals.errors import NotFoundError
from approvals.services import queries
from storage.audit import AuditRow
from tests.integration.agents_support import MON, file, make_world


@pytest.fixture
def w(session):
    return make_world(session)


def test_filing_assigns_by_zone_and_industry_then_least_loaded(session, w):
    agent1, agent2 = w.users["agent1"].id, w.users["agent2"].id
    equipment = file(session, w, industry="equipment")
    assert equipment.agent_user_id == agent1  # only agent1 covers equipment
    chem1 = file(session, w, industry="chemical")
    assert chem1.agent_user_id == agent2  # both cover chemical; agent2 carries less
    chem2 = file(session, w, industry="chemical")
    assert chem2.agent_user_id == agent1  # 1/8 each: the lower id
    elsewhere = file(session, w, industry="equipment", form={"zone": "330200"})
    assert elsewhere.agent_user_id is None  # no agent covers zone 330200
    loads = {a.user_id: a.load for a in profiles_service.agent_profiles(session)}
    assert loads == {agent1: 2, agent2: 1}
    history = assignment_service.assignment_history(session, w.admin, elsewhere.id)
    assert history[0]["agent"] is None and "330200" in history[0]["reason"]
    first = assignment_service.assignment_history(session, w.admin, equipment.id, "en")[0]
    assert first["kind"] == "rule" and "zone and industry match" in first["reason"]
    assert first["assigned_by"] == "enterprise1"
    # the agent sees exactly the projects assigned to them
    mine = {p["id"] for p in dashboard_service.agent_projects(session, w.actor("agent1"))}
    assert mine == {equipment.id, chem2.id}
    assert queries.get_project(session, w.actor("agent1"), equipment.id).id == equipment.id
    with pytest.raises(NotFoundError):
        queries.get_project(session, w.actor("agent2"), equipment.id)
    # the zone: the form's, else the plot code's prefix, else the project code's division
    assert profiles_service.project_zone(equipment) == "330110"
    assert profiles_service.project_zone(elsewhere) == "330200"
    equipment.plot_code = "330111-KFQ-07"
    assert profiles_service.project_zone(equipment) == "330111"
    # a plot the registry knows: its park zone first, then the project code's division
    assert profiles_service.project_zones(equipment, "KFQ-EAST") == ("KFQ-EAST", "330110")
    session.rollback()


def test_reassignment_by_an_administrator_with_a_reason(session, w):
    p = file(session, w)
    agent2 = w.users["agent2"].id
    # the enterprise sees its agent's name and contact, and no one else's
    seen = assignment_service.project_agent(session, w.actor("enterprise1"), p.id)["agent"]
    assert seen["name"] == "代办员 张敏" and seen["phone"] == "0571-86001234"
    assert seen["office"] and seen["assigned_on"] == MON.isoformat()
    with pytest.raises(NotFoundError):
        assignment_service.project_agent(session, w.actor("enterprise2"), p.id)
    with pytest.raises(AgentForbidden):
        assignment_service.reassign(session, w.actor("agent1"), p.id, agent2, "我太忙", MON)
    session.rollback()
    with pytest.raises(AgentInputError):
        assignment_service.reassign(session, w.admin, p.id, agent2, "  ", MON)
    session.rollback()
    with pytest.raises(AgentNotFound):
        assignment_service.reassign(session, w.admin, p.id, w.users["regulator1"].id, "换人", MON)
    session.rollback()
    with pytest.raises(AgentConflict):
        assignment_service.reassign(session, w.admin, p.id, w.users["agent1"].id, "不变", MON)
    session.rollback()
    assignment_service.reassign(session, w.admin, p.id, agent2, "agent1 休产假，移交 agent2", MON)
    session.commit()
    history = assignment_service.assignment_history(session, w.actor("agent2"), p.id)
    assert [h["kind"] for h in history] == ["rule", "manual"]
    assert history[1]["previous_agent"]["username"] == "agent1"
    assert history[1]["reason"] == "agent1 休产假，移交 agent2"
    assert history[1]["assigned_by"] == "admin"
    with pytest.raises(NotFoundError):  # agent1 no longer sees it
        checklist_service.checklist(session, w.actor("agent1"), p.id, MON, w.cal)
    assert assignment_service.project_agent(session, w.actor("enterprise1"), p.id)["agent"][
        "name"
    ] == ("代办员 刘洋")
    audit = session.scalars(
        select(AuditRow.action).where(AuditRow.project_id == p.id).order_by(AuditRow.id)
    ).all()
    assert "agent.assign" in audit and audit[-1] == "agent.reassign"


def test_profiles_are_edited_by_administrators_only(session, w):
    agent2 = w.users["agent2"].id
    with pytest.raises(AgentForbidden):
        profiles_service.save_profile(
            session, w.actor("agent2"), agent2, regions=["*"], industries=["*"], capacity=1
        )
    with pytest.raises(AgentNotFound):
        profiles_service.save_profile(
            session, w.admin, w.users["admin"].id, regions=[], industries=[], capacity=1
        )
    with pytest.raises(AgentInputError):
        profiles_service.save_profile(
            session, w.admin, agent2, regions=[""], industries=[], capacity=1
        )
    session.rollback()
    profiles_service.save_profile(
        session, w.admin, agent2, regions=["*"], industries=["equipment"], capacity=3
    )
    session.commit()
    # agent2 now covers equipment everywhere and carries nothing: it takes the next one
    p = file(session, w, industry="equipment", form={"zone": "330200"})
    assert p.agent_user_id == agent2
