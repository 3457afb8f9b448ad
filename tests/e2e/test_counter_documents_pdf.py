"""The counter's documents and the 电子证照 as a reader gets them: made by the services on a real
database, rendered to PNG by pdftoppm with no system font visible, their text read back, every
font embedded, and the QR code decoded to the verification URL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from approvals.orm import CertificateRow, CorrectionRow
from approvals.services import certificates, counter_documents, materials, review
from tests.e2e.test_documents import check_pdf, run
from tests.integration.test_certificates import _admin
from tests.integration.test_workflow import MON, file, task_of, upload
from tests.integration.test_workflow import world as world  # the fixture

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")

TUE, WED = date(2026, 3, 3), date(2026, 3, 4)
BASE = "https://zwfw.example.gov.cn"


def qr(path: Path) -> list[str]:
    run("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(path.with_suffix("")))
    png = sorted(path.parent.glob(f"{path.stem}-*.png"))[0]
    return [b.text for b in zxingcpp.read_barcodes(Image.open(png))]


def test_every_document_renders_with_its_number_and_a_qr_code_to_verification(
    session, world, tmp_path
):
    p = file(session, world)
    a = task_of(session, p, "A")
    fgw, ent = world["rev"]("fgw"), world["ent"]
    review.request_intake_corrections(
        session, fgw, a.id, MON, world["cal"], materials=["M-form"], reasons="备案表缺少投资额"
    )
    session.commit()
    upload(session, world, p, "M-form", TUE)
    materials.resubmit_corrections(session, ent, p.id, a.id, TUE, world["cal"])
    review.accept_task(session, fgw, a.id, WED, world["cal"])
    review.approve_task(session, fgw, a.id, WED, world["cal"])
    session.commit()
    corr = session.scalar(select(CorrectionRow).where(CorrectionRow.task_id == a.id))
    p2 = file(session, world)
    refused = task_of(session, p2, "A")
    review.refuse_task(session, fgw, refused.id, TUE, world["cal"], reasons="不属于本部门受理范围")
    session.commit()
    made = {
        "notice": counter_documents.counter_document(session, ent, a.id, "notice.pdf", BASE),
        "receipt": counter_documents.counter_document(session, ent, a.id, "receipt.pdf", BASE),
        "correction": counter_documents.counter_document(
            session, ent, a.id, f"correction-{corr.id}.pdf", BASE
        ),
        "refusal": counter_documents.counter_document(
            session, ent, refused.id, "refusal.pdf", BASE
        ),
    }
    session.commit()
    expected = {
        "notice": ["一次性告知书", "备案表", "须提交"],
        "receipt": ["受理回执", "予以受理", "2026-03-04", "已提交"],
        "correction": ["补正材料通知书", "备案表缺少投资额", "受理前一次性告知补正"],
        "refusal": ["不予受理决定书", "不属于本部门受理范围", "行政复议"],
    }
    for kind, (row, pdf) in made.items():
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        text = check_pdf(path)
        flat = "".join(text.split())
        for words in [row.number, *expected[kind], ent_name(session, p)]:
            assert "".join(words.split()) in flat, (kind, words)
        assert qr(path) == [f"{BASE}/verify/{row.number}"], kind
    cert = session.scalar(select(CertificateRow).where(CertificateRow.project_id == p.id))
    _row, pdf = certificates.certificate_document(session, ent, cert.id, BASE)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    flat = "".join(check_pdf(path).split())
    for words in [cert.number, "项目代码", "电子证照", p.code, ent_name(session, p), "发改"]:
        assert words in flat, words
    assert "注销" not in flat
    assert qr(path) == [f"{BASE}/verify/{cert.number}"]
    certificates.revoke_certificate(session, _admin(session), cert.number, "核发错误", WED)
    session.commit()
    _row, pdf = certificates.certificate_document(session, ent, cert.id, BASE)
    path = tmp_path / "revoked.pdf"
    path.write_bytes(pdf)
    assert "本证照已于2026-03-04注销" in "".join(check_pdf(path).split())


def ent_name(session, project) -> str:
    return project.enterprise.name
