"""联合奖惩 and credit on a real database (SQLite and PostgreSQL): a breach verdict writes a credit
record with its consequence, the 亩均 grade selects the enterprise's prices from the table the
administration sets (validated), and an enterprise reads its own credit only."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from access.policy import AccessForbidden
from approvals.service import work_calendar
from commitments.errors import PolicyError
from commitments.orm import CheckpointRow, CreditRecordRow, GradePriceRow
from commitments.services import credit
from commitments.services import inspections as inspections_service
from commitments.services import queries as queries_service
from storage.audit import AuditRow
from tests.integration.commitments_world import build_world, publish

EVIDENCE = [{"name": "核查报告.pdf", "content_base64": "JVBERi0xLjcKJWV2aWRlbmNlCg=="}]


def _production(session, w, c, *, tax_share: float, rd: float, value_added: float = 400):
    calendar = work_calendar(session)
    doc = queries_service.document_of(c)
    mu = doc["plot"]["area_mu"]
    _acc, production = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).all()
    figures = {
        "tax": 35 * tax_share * mu,
        "value_added": value_added * mu,
        "energy_tce": 400 * mu / 3.0,
        "emissions_t": 400 * mu / 400.0,
        "rd_spending": rd,
        "revenue": 10000,
        "employees": 300,
    }
    result = inspections_service.record_inspection(
        session, w.regulator, production.id, figures, EVIDENCE, production.due_on, calendar
    )
    session.commit()
    return result


def test_a_breach_verdict_writes_a_credit_record_with_its_consequence(session):
    w = build_world(session)
    c = publish(session, w)
    result = _production(session, w, c, tax_share=0.92, rd=150)  # tax 8 % short, R&D 50 % short
    records = session.scalars(select(CreditRecordRow).order_by(CreditRecordRow.id)).all()
    breached = {v.key for v in result.verdicts if v.status in {"partiallyMet", "notMet"}}
    assert {r.indicator for r in records} == breached == {"tax_per_mu", "rd_ratio"}
    by = {r.indicator: r for r in records}
    assert by["rd_ratio"].consequence == "damages" and by["rd_ratio"].amount_wan > 0
    assert by["tax_per_mu"].consequence == "correction" and by["tax_per_mu"].deadline is not None
    assert all(r.enterprise_id == w.enterprise.enterprise_id for r in records)
    assert c.number in by["rd_ratio"].description and "违约金" in by["rd_ratio"].description
    view = credit.credit_view(session, w.enterprise, w.enterprise.enterprise_id)
    assert len(view.records) == 2
    # another enterprise may not read it; the regulator and the administration may
    with pytest.raises(AccessForbidden):
        credit.credit_view(session, w.other, w.enterprise.enterprise_id)
    assert credit.credit_view(session, w.regulator, w.enterprise.enterprise_id).records
    # exports: CSV (UTF-8 with BOM) and Excel carry the same records and the prices
    rows = list(csv.reader(io.StringIO(credit.export_csv(view).decode("utf-8-sig"))))
    assert rows[1][0] == "记录日期" and len([r for r in rows if "承诺书" in "".join(r)]) == 2
    assert any("违约金" in cell for r in rows for cell in r)
    assert any(r[:2] and r[1] == "用电" for r in rows if len(r) > 1)
    wb = load_workbook(io.BytesIO(credit.export_xlsx(view)))
    assert wb.sheetnames == ["信用记录", "适用价格"]
    assert wb["信用记录"].max_row == 3 and wb["适用价格"].max_row == 5


def test_a_met_verdict_writes_no_credit_record(session):
    w = build_world(session)
    c = publish(session, w)
    _production(session, w, c, tax_share=1.05, rd=400)
    assert session.scalars(select(CreditRecordRow)).all() == []


def test_the_grade_selects_the_price_row_the_administration_set(session):
    w = build_world(session)
    ent = w.enterprise.enterprise_id
    # not graded yet: the 支持发展 (B) row of the defaults
    view = credit.credit_view(session, w.enterprise, ent)
    assert view.grade is None and view.applied_grade == "B"
    assert view.prices == credit.DEFAULT_PRICES["B"]
    c = publish(session, w)
    _production(session, w, c, tax_share=0.2, rd=10, value_added=20)  # far below benchmarks
    view = credit.credit_view(session, w.enterprise, ent)
    assert view.grade in {"C", "D"}
    table = {g: {r: p + 1 for r, p in row.items()} for g, row in credit.DEFAULT_PRICES.items()}
    table[view.grade] = {"land": 30, "power": "1.25", "water": 9, "gas": 6}
    with pytest.raises(AccessForbidden):
        credit.set_prices(session, w.enterprise, table)
    session.rollback()
    credit.set_prices(session, w.admin, table)
    session.commit()
    again = credit.credit_view(session, w.enterprise, ent)
    assert again.prices == {"land": 30.0, "power": 1.25, "water": 9.0, "gas": 6.0}
    assert session.scalar(select(AuditRow).where(AuditRow.action == "prices.set"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"A": {"land": -1}}, "prices.A.land"),
        ({"C": {"power": "abc"}}, "prices.C.power"),
        ({"D": {"gas": None}}, "prices.D.gas"),
        ({"B": {"water": float("nan")}}, "prices.B.water"),
        ({"E": {}}, "未知等级"),
        ({"A": {"coal": 1}}, "未知资源"),
    ],
)
def test_a_bad_price_table_is_refused_by_field_and_nothing_is_stored(session, change, field):
    w = build_world(session)
    table = {g: dict(row) for g, row in credit.DEFAULT_PRICES.items()}
    for g, row in change.items():
        table.setdefault(g, {}).update(row)
    with pytest.raises(PolicyError, match=field.replace(".", r"\.")):
        credit.set_prices(session, w.admin, table)
    session.rollback()
    assert session.scalars(select(GradePriceRow)).all() == []
