"""Commitments on a real database (SQLite and PostgreSQL): drafting from the plot and the
project, signing and counter-signing, publication, checkpoints and regulator tasks, inspections
with verdicts, consequences and re-checks, grades."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from approvals.service import work_calendar
from commitments import signing
from commitments.canonical import canonical_bytes
from commitments.errors import (
    CommitmentAccessDenied,
    CommitmentNotFound,
    CommitmentStateError,
    InspectionError,
    SignatureError,
)
from commitments.orm import CheckpointRow, RegulatorTaskRow
from commitments.services import drafting as drafting_service
from commitments.services import grading as grading_service
from commitments.services import inspections as inspections_service
from commitments.services import keys as keys_service
from commitments.services import ledger_store as ledger_store_service
from commitments.services import monitoring as monitoring_service
from commitments.services import payloads as payloads_service
from commitments.services import publication as publication_service
from commitments.services import queries as queries_service
from commitments.services import signatures as signatures_service
from tests.integration.commitments_world import FILED, build_world, publish

PDF = b"%PDF-1.7\n%evidence\n"
EVIDENCE = [{"name": "竣工测绘报告.pdf", "content_base64": "JVBERi0xLjcKJWV2aWRlbmNlCg=="}]


def test_drafted_from_the_plot_and_the_project(session):
    w = build_world(session)
    calendar = work_calendar(session)
    c = drafting_service.create_commitment(session, w.enterprise, w.project_id, FILED, calendar)
    session.commit()
    doc = queries_service.document_of(c)
    assert doc["type"] == "onetrip.commitment" and doc["v"] == 1
    assert doc["plot"]["code"] == "CD-A03" and doc["plot"]["zone"] == "CD-A"
    assert doc["plot"]["area_mu"] > 0
    keys = [t["key"] for t in doc["indicators"]]
    assert keys[:3] == ["investment_intensity", "plot_ratio", "tax_per_mu"]
    inv = doc["indicators"][0]
    assert inv["lower"] == 350 and inv["milestone"] == "acceptance" and inv["tolerance"] == 0.1
    assert inv["planned"] == pytest.approx(52000 / doc["plot"]["area_mu"], abs=0.05)
    assert {r["code"] for r in doc["replaces"]} >= {"S1-05", "S1-06"}  # reduced to a commitment
    assert [r["code"] for r in doc["consequences"]][:2] == ["correction", "bond_forfeit"]
    assert c.document.encode() == canonical_bytes(doc)  # the stored bytes are canonical
    # only the owner sees it; a reviewer may not draft; a second draft is refused
    with pytest.raises(CommitmentNotFound):
        queries_service.get_commitment(session, w.other, c.id)
    assert queries_service.get_commitment(session, w.regulator, c.id).id == c.id
    with pytest.raises(CommitmentStateError, match="already has"):
        drafting_service.create_commitment(session, w.enterprise, w.project_id, FILED, calendar)
    with pytest.raises(CommitmentAccessDenied):
        drafting_service.create_commitment(session, w.regulator, w.project_id, FILED, calendar)


def test_signing_counter_signing_and_publication(session):
    w = build_world(session)
    calendar = work_calendar(session)
    c = drafting_service.create_commitment(session, w.enterprise, w.project_id, FILED, calendar)
    session.commit()
    fp = signing.public_of(w.key).fingerprint
    assert publication_service.public_list(session) == []
    # a signature over other bytes, and a key the enterprise did not register, are refused
    with pytest.raises(SignatureError, match=r"does not verify|无效"):
        signatures_service.submit_signature(
            session, w.enterprise, c.id, fp, signing.sign(w.key, b"other bytes")
        )
    stranger = signing.generate()
    with pytest.raises(SignatureError, match=r"not registered|未登记"):
        signatures_service.submit_signature(
            session,
            w.enterprise,
            c.id,
            signing.public_of(stranger).fingerprint,
            signing.sign(stranger, c.document.encode()),
        )
    with pytest.raises(CommitmentNotFound):  # another enterprise does not even see it
        signatures_service.submit_signature(
            session, w.other, c.id, fp, signing.sign(w.key, c.document.encode())
        )
    with pytest.raises(CommitmentStateError):  # not signed yet: nothing to accept
        signatures_service.accept_commitment(session, w.admin, c.id, FILED, calendar)
    signatures_service.submit_signature(
        session, w.enterprise, c.id, fp, signing.sign(w.key, c.document.encode())
    )
    session.commit()
    assert c.status == "signed" and c.ledger_seq == 1
    with pytest.raises(CommitmentAccessDenied):
        signatures_service.accept_commitment(session, w.regulator, c.id, FILED, calendar)
    signatures_service.accept_commitment(session, w.admin, c.id, FILED, calendar)
    session.commit()
    assert c.status == "published" and c.published_on == FILED
    # the administration's signature verifies with the published platform key
    platform = keys_service.platform_key(session)
    assert platform.public.verify(
        signing.decode_signature(c.admin_signature),
        canonical_bytes(payloads_service.acceptance_statement(c)),
    )
    listed = publication_service.public_list(session)
    assert [x["number"] for x in listed] == [c.number]
    assert listed[0]["enterprise_key"] == fp
    cps = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).all()
    assert [cp.milestone for cp in cps] == ["acceptance", "production"]
    acceptance, production = cps
    assert "investment_intensity" in acceptance.keys and "tax_per_mu" in production.keys
    assert acceptance.basis == "forecast"  # the project is still under review
    assert (
        production.due_on.year == acceptance.due_on.year + 3
        or production.due_on > acceptance.due_on
    )
    check = ledger_store_service.verify_ledger(session)
    assert (
        check.report.size == 4 and check.report.signatures == 2
    )  # commitment, acceptance, 2 checkpoints
    assert "台账完好" in check.text("zh")


def test_monitor_tasks_and_overdue(session):
    w = build_world(session)
    c = publish(session, w)
    calendar = work_calendar(session)
    acceptance = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).first()
    before = calendar.add_workdays(acceptance.due_on, 0) if False else acceptance.due_on
    # nothing is due the day before
    day_before = date.fromordinal(before.toordinal() - 1)
    assert monitoring_service.run_monitor(session, day_before, calendar).tasks == []
    report = monitoring_service.run_monitor(session, acceptance.due_on, calendar)
    session.commit()
    assert len(report.tasks) == 1
    assert (
        monitoring_service.run_monitor(session, acceptance.due_on, calendar).tasks == []
    )  # idempotent
    tasks = monitoring_service.regulator_tasks(session, w.regulator, acceptance.due_on)
    assert [t["milestone"] for t in tasks] == ["acceptance"] and tasks[0]["number"] == c.number
    with pytest.raises(CommitmentAccessDenied):
        monitoring_service.regulator_tasks(session, w.enterprise, acceptance.due_on)
    # no inspection by the end of the grace period: overdue, the bond is forfeited, re-check set
    late = calendar.add_workdays(acceptance.due_on, 20)
    report = monitoring_service.run_monitor(session, late, calendar)
    session.commit()
    assert report.overdue == [acceptance.id]
    detail = queries_service.commitment_detail(session, c)
    verdicts = detail["checkpoints"][0]["verdicts"]
    assert {v["status"] for v in verdicts} == {"overdue"}
    consequence = verdicts[0]["consequence"]
    area = detail["document"]["plot"]["area_mu"]
    assert consequence["code"] == "bond_forfeit" and consequence["amount_wan"] == round(5 * area, 2)
    recheck = detail["checkpoints"][-1]
    assert recheck["attempt"] == 2 and recheck["basis"] == "rectification"
    assert c.status == "breached"
    assert (
        session.scalar(
            select(RegulatorTaskRow).where(RegulatorTaskRow.checkpoint_id == acceptance.id)
        ).status
        == "done"
    )
    ledger_store_service.verify_ledger(session)


def test_inspection_verdicts_consequences_and_recheck(session):
    w = build_world(session)
    c = publish(session, w)
    calendar = work_calendar(session)
    doc = queries_service.document_of(c)
    mu, m2 = doc["plot"]["area_mu"], doc["plot"]["area_m2"]
    acceptance, production = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).all()
    on = acceptance.due_on
    # only regulators inspect; unknown figures and missing evidence are refused by name
    with pytest.raises(CommitmentAccessDenied):
        inspections_service.record_inspection(
            session, w.admin, acceptance.id, {}, EVIDENCE, on, calendar
        )
    with pytest.raises(InspectionError, match="tax_paid"):
        inspections_service.record_inspection(
            session, w.regulator, acceptance.id, {"tax_paid": 1}, EVIDENCE, on, calendar
        )
    with pytest.raises(InspectionError, match="floor_area"):
        inspections_service.record_inspection(
            session,
            w.regulator,
            acceptance.id,
            {"fixed_asset_investment": 40000},
            EVIDENCE,
            on,
            calendar,
        )
    met = {
        "fixed_asset_investment": 400 * mu,
        "floor_area": 2.0 * m2,
        "building_footprint": 0.5 * m2,
        "green_area": 0.1 * m2,
        "building_height": 30,
    }
    result = inspections_service.record_inspection(
        session, w.regulator, acceptance.id, met, EVIDENCE, on, calendar
    )
    session.commit()
    assert {v.status for v in result.verdicts} == {"met"} and result.consequences == []
    assert result.inspection.evidence[0]["sha256"] == __import__("hashlib").sha256(PDF).hexdigest()
    with pytest.raises(CommitmentStateError):  # decided once
        inspections_service.record_inspection(
            session, w.regulator, acceptance.id, met, EVIDENCE, on, calendar
        )
    # 达产复核: tax 8 % short (partially met → rectification), R&D 50 % short (not met → damages)
    figures = {
        "tax": 35 * 0.92 * mu,
        "value_added": 400 * mu,
        "energy_tce": 400 * mu / 3.0,
        "emissions_t": 400 * mu / 400.0,
        "rd_spending": 150,
        "revenue": 10000,
        "employees": 300,
    }
    day = production.due_on
    result = inspections_service.record_inspection(
        session, w.regulator, production.id, figures, EVIDENCE, day, calendar
    )
    session.commit()
    status = {v.key: v.status for v in result.verdicts}
    assert status["tax_per_mu"] == "partiallyMet" and status["rd_ratio"] == "notMet"
    assert status["energy_value_added"] == "met" and status["emission_value_added"] == "met"
    by_key = {r.key: r for r in result.verdicts}
    kinds = {by_key_id: k.code for k in result.consequences for by_key_id in [k.verdict_id]}
    assert (
        kinds[by_key["tax_per_mu"].id] == "correction" and kinds[by_key["rd_ratio"].id] == "damages"
    )
    damages = next(k for k in result.consequences if k.code == "damages")
    assert damages.amount_wan == pytest.approx(0.5 * doc["land_price_wan"], abs=0.01)
    assert damages.deadline == calendar.add_workdays(day, 120)
    recheck = result.recheck
    assert recheck.attempt == 2 and sorted(recheck.keys) == ["rd_ratio", "tax_per_mu"]
    assert c.status == "breached"
    # the re-check fails again, by much: credit record for R&D; tax now met
    figures2 = {**figures, "tax": 36 * mu, "rd_spending": 100}
    again = inspections_service.record_inspection(
        session, w.regulator, recheck.id, figures2, EVIDENCE, recheck.due_on, calendar
    )
    session.commit()
    codes = {k.code for k in again.consequences}
    assert codes == {"credit_record"} and again.recheck.attempt == 3
    # the third failure by half or more: the land is recovered, no further re-check
    third = inspections_service.record_inspection(
        session, w.regulator, again.recheck.id, figures2, EVIDENCE, again.recheck.due_on, calendar
    )
    session.commit()
    assert [k.code for k in third.consequences] == ["land_recovery"] and third.recheck is None
    # 亩均论英雄
    graded = grading_service.grades(session, "CD-A")
    assert len(graded) == 1 and graded[0].score.grade in "ABCD"
    assert ledger_store_service.verify_ledger(session).report.size > 20
