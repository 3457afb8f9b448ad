"""电子证照 and the counter's numbered documents on a real database (SQLite and PostgreSQL):
unique verifiable numbers, reuse by a later item without an upload, revocation, and the
受理回执 / 一次性告知书 / 补正通知书 / 不予受理决定书 registered once with their facts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from access.actor import Actor
from access.policy import AccessForbidden
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import CertificateRow, CorrectionRow, CounterDocumentRow
from approvals.services import certificates, counter_documents, queries, review
from approvals.workflow import MaterialsMissing
from i18n import Conflict
from storage.audit import AuditRow
from tests.integration.test_workflow import MON, file, task_of, upload
from tests.integration.test_workflow import world as world  # the fixture

TUE, WED = date(2026, 3, 3), date(2026, 3, 4)
BASE = "http://counter.example"


def _approve_a(session, world, p):
    upload(session, world, p, "M-form", MON)
    a = task_of(session, p, "A")
    review.accept_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])
    review.approve_task(session, world["rev"]("fgw"), a.id, TUE, world["cal"])
    session.commit()
    return a


def _admin(session):
    from access.orm import UserRow

    u = session.scalar(select(UserRow).where(UserRow.username == "admin"))
    return Actor("admin", "admin", u.id)


def test_an_approved_item_issues_a_numbered_hashed_certificate_that_verifies(session, world):
    p1, p2 = file(session, world), file(session, world)
    _approve_a(session, world, p1)
    _approve_a(session, world, p2)
    certs = session.scalars(select(CertificateRow).order_by(CertificateRow.id)).all()
    assert [c.code for c in certs] == ["C-code", "C-code"]
    numbers = [c.number for c in certs]
    assert len(set(numbers)) == 2, numbers  # unique across projects
    assert all(re.fullmatch(r"DZZZ-2026-[0-9A-F]{10}", n) for n in numbers)
    c = certs[0]
    assert (c.status, c.enterprise_id, c.issued_on, c.item_code) == (
        "valid",
        world["ent"].enterprise_id,
        TUE,
        "A",
    )
    assert re.fullmatch(r"[0-9a-f]{64}", c.content_sha256)
    assert c.content_sha256 != certs[1].content_sha256  # a different project states other facts
    shown = certificates.verify(session, c.number.lower())  # typed in lower case, still found
    assert shown["status"] == "valid" and shown["title"] == "项目代码"
    assert shown["holder"] == p1.enterprise.name and shown["issued_on"] == "2026-03-03"
    assert shown["content_sha256"] == c.content_sha256
    # nothing confidential: no project figures, no credit code, no materials
    assert set(shown) == {
        "kind",
        "title",
        "number",
        "status",
        "holder",
        "item",
        "department",
        "issued_on",
        "revoked_on",
        "content_sha256",
    }
    with pytest.raises(NotFoundError):
        certificates.verify(session, "DZZZ-2026-0000000000")


def test_the_database_refuses_a_second_certificate_with_the_same_number(session, world):
    p1, p2 = file(session, world), file(session, world)
    _approve_a(session, world, p1)
    number = session.scalar(select(CertificateRow.number))
    session.add(
        CertificateRow(
            project_id=p2.id,
            code="C-other",
            name="x",
            item_code="A",
            number=number,
            issued_on=TUE,
            issued_by="fgw",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_later_item_is_supplied_by_the_earlier_certificate_without_an_upload(session, world):
    p = file(session, world)
    b_before = {
        m["code"]: m["state"]
        for m in queries.material_status(session, p, task_of(session, p, "B").step)
    }
    # before A is approved: 由前序事项核发 (pending), not a red 缺
    assert b_before["C-code"] == "pending"
    with pytest.raises(ProjectError, match="由前序事项 A 核发"):  # nothing to upload
        upload(session, world, p, "C-code", MON)
    session.rollback()
    _approve_a(session, world, p)
    b = task_of(session, p, "B")
    status = {m["code"]: m for m in queries.material_status(session, p, b.step)}
    assert status["C-code"]["state"] == "certificate"
    number = session.scalar(select(CertificateRow.number).where(CertificateRow.project_id == p.id))
    assert status["C-code"]["certificate"]["number"] == number
    # B is accepted with the certificate; the enterprise uploaded only its own drawings
    upload(session, world, p, "M-plan", TUE)
    review.accept_task(session, world["rev"]("zrzy"), b.id, WED, world["cal"])
    session.commit()
    assert b.status == "in_review"
    assert not any(d.material_code == "C-code" for d in b.deferrals)


def test_revocation_is_the_administrations_and_a_revoked_certificate_no_longer_supplies(
    session, world
):
    p = file(session, world)
    _approve_a(session, world, p)
    number = session.scalar(select(CertificateRow.number).where(CertificateRow.project_id == p.id))
    with pytest.raises(AccessForbidden):
        certificates.revoke_certificate(session, world["ent"], number, "x", WED)
    session.rollback()
    admin = _admin(session)
    with pytest.raises(ProjectError, match=r"reason|理由"):
        certificates.revoke_certificate(session, admin, number, "  ", WED)
    session.rollback()
    certificates.revoke_certificate(session, admin, number, "核发依据有误", WED)
    session.commit()
    assert certificates.verify(session, number)["status"] == "revoked"
    assert certificates.verify(session, number)["revoked_on"] == "2026-03-04"
    with pytest.raises(Conflict):
        certificates.revoke_certificate(session, admin, number, "again", WED)
    session.rollback()
    b = task_of(session, p, "B")
    status = {m["code"]: m["state"] for m in queries.material_status(session, p, b.step)}
    assert status["C-code"] == "revoked"
    upload(session, world, p, "M-plan", TUE)
    with pytest.raises(MaterialsMissing) as err:
        review.accept_task(session, world["rev"]("zrzy"), b.id, WED, world["cal"])
    assert "C-code" in err.value.codes
    session.rollback()
    assert session.scalar(select(AuditRow).where(AuditRow.action == "certificate.revoke"))


def test_counter_documents_are_numbered_once_with_the_facts_of_their_event(session, world):
    p = file(session, world)
    a = task_of(session, p, "A")
    fgw = world["rev"]("fgw")
    ent = world["ent"]
    # before anything happened: only the 一次性告知书
    assert [d["kind"] for d in counter_documents.available(False, False, [])] == ["notice"]
    with pytest.raises(NotFoundError):
        counter_documents.counter_document(session, ent, a.id, "receipt.pdf", BASE)
    with pytest.raises(NotFoundError):
        counter_documents.counter_document(session, ent, a.id, "nonsense.pdf", BASE)
    row, pdf = counter_documents.counter_document(session, ent, a.id, "notice.pdf", BASE)
    session.commit()
    assert pdf.startswith(b"%PDF") and row.number.startswith("GZ-")
    assert row.facts["materials"][0]["code"] == "M-form"
    review.request_intake_corrections(session, fgw, a.id, MON, world["cal"], materials=["M-form"])
    session.commit()
    corr = session.scalar(select(CorrectionRow).where(CorrectionRow.task_id == a.id))
    upload(session, world, p, "M-form", TUE)
    from approvals.services import materials

    materials.resubmit_corrections(session, ent, p.id, a.id, TUE, world["cal"])
    review.accept_task(session, fgw, a.id, WED, world["cal"])
    session.commit()
    kinds = [
        d["kind"]
        for d in counter_documents.available(
            a.accepted_on is not None, a.status == "refused", [(corr.id, "2026-03-02")]
        )
    ]
    assert kinds == ["notice", "receipt", "correction"]
    receipt, _ = counter_documents.counter_document(session, fgw, a.id, "receipt.pdf", BASE)
    notice2, _ = counter_documents.counter_document(
        session, fgw, a.id, f"correction-{corr.id}.pdf", BASE
    )
    session.commit()
    assert receipt.issued_on == WED and receipt.number.startswith("SL-")
    assert notice2.issued_on == MON and notice2.facts["stage"] == "intake"
    # printed again: the same record, number and date
    again, _ = counter_documents.counter_document(session, ent, a.id, "receipt.pdf", BASE)
    assert again.id == receipt.id
    numbers = session.scalars(select(CounterDocumentRow.number)).all()
    assert len(numbers) == len(set(numbers)) == 3
    shown = certificates.verify(session, receipt.number)
    assert (shown["kind"], shown["title"], shown["status"]) == ("receipt", "受理回执", "valid")
    assert "reasons" not in shown
    # another enterprise, and another department, do not see the task's documents
    with pytest.raises(NotFoundError):
        counter_documents.counter_document(session, world["other"], a.id, "receipt.pdf", BASE)
    with pytest.raises(NotFoundError):
        counter_documents.counter_document(session, world["rev"]("zrzy"), a.id, "receipt.pdf", BASE)


def test_a_refusal_at_intake_gives_a_decision_with_its_reasons(session, world):
    p = file(session, world)
    a = task_of(session, p, "A")
    review.refuse_task(
        session, world["rev"]("fgw"), a.id, TUE, world["cal"], reasons="不属于受理范围"
    )
    session.commit()
    row, pdf = counter_documents.counter_document(session, world["ent"], a.id, "refusal.pdf", BASE)
    session.commit()
    assert row.number.startswith("BY-") and row.issued_on == TUE
    assert row.facts["reasons"] == "不属于受理范围" and pdf.startswith(b"%PDF")
