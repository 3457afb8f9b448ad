"""The commitment checkpoints (对标验收, 达产复核) reach the proxy agent's 代办清单 and milestones
through the agents' port (``commitments.agent_port``), on both databases."""

from __future__ import annotations

from datetime import date

from agent_service.services import assignment as assignment_service
from agent_service.services import checklist as checklist_service
from agent_service.services import milestones as milestones_service
from agent_service.services import profiles as profiles_service
from approvals.service import work_calendar
from approvals.services import queries
from commitments.agent_port import checkpoint_entries
from commitments.orm import CheckpointRow
from tests.integration.commitments_world import build_world, publish


def test_checkpoints_of_a_published_commitment_are_on_the_checklist(session):
    w = build_world(session)
    c = publish(session, w)
    checkpoints = session.query(CheckpointRow).filter_by(commitment_id=c.id).all()
    assert {cp.milestone for cp in checkpoints} == {"acceptance", "production"}

    calendar = work_calendar(session)
    today = date(2026, 4, 1)
    admin = w.admin
    listed = checklist_service.checklist(
        session, admin, w.project_id, today, calendar, checkpoints=(checkpoint_entries,)
    )
    after = next(p for p in listed["phases"] if p["phase"] == "post_completion")
    mine = [e for e in after["entries"] if e["kind"] == "checkpoint"]
    assert len(mine) == len(checkpoints)
    titles = " ".join(e["title"] for e in mine)
    assert "对标验收" in titles and "达产复核" in titles
    assert all(e["status"] == "todo" for e in mine)
    assert any(d["code"] == "kfq" for e in mine for d in e["departments"])

    project = queries.get_project(session, admin, w.project_id)
    found = milestones_service.project_milestones(
        session, [project], today, calendar, checkpoints=(checkpoint_entries,)
    )[w.project_id]
    assert sum(1 for m in found if "对标验收" in str(m)) >= 1


def test_a_project_on_a_registry_plot_is_assigned_in_the_plot_zone(session):
    w = build_world(session)
    assert profiles_service.plot_zones(session, ["CD-A03", None, "NOPE-01"]) == {"CD-A03": "CD-A"}
    project = queries.get_project(session, w.admin, w.project_id)
    assert profiles_service.project_zones(project, "CD-A")[0] == "CD-A"
    row = assignment_service.assign_on_filing(session, project, project.filed_on)
    assert row.agent_user_id is not None  # the demo agents cover 330110, the project's division
    assert "CD-A" in row.reason_zh
