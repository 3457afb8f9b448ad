"""Intake (受理) on a real database (SQLite and PostgreSQL): 一次性告知补正 before acceptance, the
受理时限, and 不予受理 apart from 不予许可."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from approvals.errors import NotFoundError, ProjectError
from approvals.orm import CorrectionRow
from approvals.services import clocks, materials, review
from approvals.workflow import MaterialsMissing, WorkflowError
from storage.audit import AuditRow
from tests.integration.test_workflow import MON, file, task_of, upload
from tests.integration.test_workflow import world as world  # the fixture

TUE, WED, THU, FRI = (date(2026, 3, d) for d in (3, 4, 5, 6))


def test_intake_notice_stops_the_intake_clock_until_the_materials_are_supplied(session, world):
    p = file(session, world)
    a = task_of(session, p, "A")
    fgw = world["rev"]("fgw")
    assert clocks.intake_due(session, a, world["cal"]) == WED  # 2 working days after filing
    with pytest.raises(MaterialsMissing):
        review.accept_task(session, fgw, a.id, MON, world["cal"])
    session.rollback()
    with pytest.raises(ProjectError):  # the notice must name what is missing
        review.request_intake_corrections(session, fgw, a.id, MON, world["cal"], materials=[])
    session.rollback()
    with pytest.raises(ProjectError, match="M-plan"):  # not a material of this step
        review.request_intake_corrections(
            session, fgw, a.id, MON, world["cal"], materials=["M-plan"]
        )
    session.rollback()
    review.request_intake_corrections(
        session, fgw, a.id, TUE, world["cal"], materials=["M-form"], version=a.version
    )
    session.commit()
    assert (a.status, a.stop_kind, a.accepted_on, a.stopped_since) == (
        "corrections",
        "intake",
        None,
        TUE,
    )
    assert a.step.status == "ready"  # still at intake, not under way
    notice = session.scalar(select(CorrectionRow).where(CorrectionRow.task_id == a.id))
    assert (notice.stage, notice.material_codes) == ("intake", ["M-form"])
    assert "M-form" in notice.reasons and "备案表" in notice.reasons
    assert clocks.intake_due(session, a, world["cal"]) is None  # stopped
    with pytest.raises(ProjectError, match="M-form"):  # nothing supplied yet
        materials.resubmit_corrections(session, world["ent"], p.id, a.id, THU, world["cal"])
    session.rollback()
    upload(session, world, p, "M-form", THU)
    materials.resubmit_corrections(session, world["ent"], p.id, a.id, THU, world["cal"])
    session.commit()
    assert (a.status, a.stop_kind, a.stopped_since) == ("ready", None, None)
    # the intake clock counts again from the supply: 2 working days after Thursday
    assert clocks.intake_due(session, a, world["cal"]) == date(2026, 3, 9)
    assert clocks.intake_info(session, a, date(2026, 3, 10), world["cal"])["intake_overdue"]
    # told once: a second notice at intake is refused
    with pytest.raises(ProjectError, match="一次性"):
        review.request_intake_corrections(
            session, fgw, a.id, FRI, world["cal"], materials=["M-form"]
        )
    session.rollback()
    review.accept_task(session, fgw, a.id, FRI, world["cal"])
    session.commit()
    assert a.status == "in_review" and a.accepted_on == FRI
    actions = session.scalars(
        select(AuditRow.action).where(AuditRow.entity == "task", AuditRow.entity_id == str(a.id))
    ).all()
    assert "task.intake_corrections" in actions and "task.resubmit" in actions


def test_only_a_ready_task_gets_an_intake_notice(session, world):
    p = file(session, world)
    upload(session, world, p, "M-form", MON)
    a = task_of(session, p, "A")
    review.accept_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])
    session.commit()
    with pytest.raises(WorkflowError):
        review.request_intake_corrections(
            session, world["rev"]("fgw"), a.id, TUE, world["cal"], materials=["M-form"]
        )
    session.rollback()
    with pytest.raises(WorkflowError):  # accepted: only 不予许可 remains, not 不予受理
        review.refuse_task(session, world["rev"]("fgw"), a.id, TUE, world["cal"], reasons="x")
    session.rollback()


def test_refusal_at_intake_is_not_a_rejection_after_review(session, world):
    p = file(session, world)
    a = task_of(session, p, "A")
    fgw = world["rev"]("fgw")
    with pytest.raises(WorkflowError):  # reasons are required
        review.refuse_task(session, fgw, a.id, MON, world["cal"], reasons=" ")
    session.rollback()
    with pytest.raises(NotFoundError):  # another department does not even see it may not decide
        review.refuse_task(session, world["rev"]("zrzy"), a.id, MON, world["cal"], reasons="x")
    session.rollback()
    review.request_intake_corrections(session, fgw, a.id, MON, world["cal"], materials=["M-form"])
    session.commit()
    # refused while waiting for the materials: the notice is closed with it
    review.refuse_task(session, fgw, a.id, WED, world["cal"], reasons="不属于本部门受理范围")
    session.commit()
    assert (a.status, a.decided_on, a.note) == ("refused", WED, "不属于本部门受理范围")
    assert a.step.status == "refused" and p.status == "refused"
    notice = session.scalar(select(CorrectionRow).where(CorrectionRow.task_id == a.id))
    assert notice.resolved_on == WED
    assert not any(
        r["id"] == a.id for r in clocks.worklist(session, fgw, THU, world["cal"])
    )  # closed
    with pytest.raises(WorkflowError):
        review.accept_task(session, fgw, a.id, THU, world["cal"])
    session.rollback()


def test_worklist_shows_the_intake_time_limit(session, world):
    p = file(session, world)
    fgw = world["rev"]("fgw")
    rows = [r for r in clocks.worklist(session, fgw, MON, world["cal"]) if r["project_id"] == p.id]
    assert rows[0]["intake_due_on"] == WED.isoformat() and not rows[0]["intake_overdue"]
    rows = [r for r in clocks.worklist(session, fgw, THU, world["cal"]) if r["project_id"] == p.id]
    assert rows[0]["intake_overdue"]
