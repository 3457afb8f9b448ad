"""联合奖惩 and credit: a breach verdict writes a credit record (信用记录) with its consequence;
the enterprise's 亩均 grade (A 优先发展 … D 限制发展) selects its row of the differentiated price
table (用地, 用电, 用水, 用气) the administration sets.  Both are the enterprise's to read (its
own only), the regulators' and the administration's, and both export as CSV or Excel.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, Owned, require
from approvals.orm import EnterpriseRow
from commitments import evaluation as ev
from commitments.errors import CommitmentNotFound, PolicyError
from commitments.grading import GRADES
from commitments.model import BREACHES, CONSEQUENCE_KINDS, Status
from commitments.orm import CommitmentRow, CreditRecordRow, GradePriceRow, VerdictRow
from commitments.services.queries import document_of
from storage.audit import record

#: resource → (中文, English, unit).
RESOURCES: dict[str, tuple[str, str, str]] = {
    "land": ("用地", "land", "万元/亩"),
    "power": ("用电", "electricity", "元/千瓦时"),
    "water": ("用水", "water", "元/吨"),
    "gas": ("用气", "gas", "元/立方米"),
}
#: The table until the administration sets its own: A and B at the base price, C and D with
#: the surcharges Zhejiang's 亩均论英雄 reform applies (e.g. 用电 +0.1 / +0.3 元/千瓦时).
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "A": {"land": 18.0, "power": 0.62, "water": 4.0, "gas": 3.2},
    "B": {"land": 20.0, "power": 0.65, "water": 4.2, "gas": 3.4},
    "C": {"land": 22.0, "power": 0.75, "water": 5.0, "gas": 3.8},
    "D": {"land": 25.0, "power": 0.95, "water": 7.0, "gas": 4.5},
}
#: An enterprise without a grade yet (no 达产复核) pays the 支持发展 (B) row.
UNGRADED = "B"
MAX_PRICE = 1_000_000.0


# --- credit records ------------------------------------------------------------------------------


def record_breaches(
    session: Session,
    c: CommitmentRow,
    verdicts: Sequence[VerdictRow],
    decided: Sequence[tuple[VerdictRow, ev.Consequence]],
    today: date,
) -> list[CreditRecordRow]:
    """One credit record per breached verdict, with the consequence the ladder drew for it."""
    names = {t["key"]: t["name"] for t in document_of(c)["indicators"]}
    drawn = {v.id: k for v, k in decided}
    out = []
    for v in verdicts:
        if Status(v.status) not in BREACHES:
            continue
        k = drawn.get(v.id)
        consequence = k.rule.code if k else ""
        text = CONSEQUENCE_KINDS.get(consequence, ("未触发违约条款", ""))[0]
        row = CreditRecordRow(
            enterprise_id=c.enterprise_id,
            commitment_id=c.id,
            verdict_id=v.id,
            recorded_on=today,
            indicator=v.key,
            verdict=v.status,
            consequence=consequence,
            amount_wan=round(k.amount, 2) if k else 0.0,
            deadline=k.deadline if k else None,
            joint_sanction=bool(k and k.rule.credit_record),
            description=(
                f"承诺书 {c.number}：{names.get(v.key, v.key)}{Status(v.status).text('zh')}；{text}"
            ),
        )
        session.add(row)
        out.append(row)
    session.flush()
    return out


def _enterprise(session: Session, actor: Actor, enterprise_id: int) -> EnterpriseRow:
    require(actor, Action.CREDIT_READ, Owned(enterprise_id=enterprise_id))
    ent = session.get(EnterpriseRow, enterprise_id)
    if ent is None:
        raise CommitmentNotFound(
            f"企业 {enterprise_id} 不存在", f"enterprise {enterprise_id} not found"
        )
    return ent


def credit_records(session: Session, enterprise_id: int) -> list[CreditRecordRow]:
    return list(
        session.scalars(
            select(CreditRecordRow)
            .where(CreditRecordRow.enterprise_id == enterprise_id)
            .order_by(CreditRecordRow.recorded_on.desc(), CreditRecordRow.id.desc())
        )
    )


# --- the price table -----------------------------------------------------------------------------


def price_table(session: Session) -> dict[str, dict[str, float]]:
    """grade → resource → price: the administration's, the defaults where it set none."""
    table = {g: dict(row) for g, row in DEFAULT_PRICES.items()}
    for r in session.scalars(select(GradePriceRow)):
        if r.grade in table and r.resource in RESOURCES:
            table[r.grade][r.resource] = r.price
    return table


def check_prices(raw: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """A complete table from ``{grade: {resource: price}}`` (strings from a form are numbers too).

    Raises
    ------
    PolicyError
        Naming the field (``prices.C.power``): a grade or resource not known, a price missing,
        not a number, negative or beyond 1,000,000.
    """
    if not isinstance(raw, Mapping):
        raise PolicyError("prices：应为对象", "prices: must be an object")
    unknown = [g for g in raw if g not in GRADES]
    if unknown:
        raise PolicyError(
            f"prices：未知等级 {'、'.join(map(str, unknown))}（应为 A、B、C、D）",
            f"prices: unknown grades {', '.join(map(str, unknown))} (A, B, C, D)",
        )
    out: dict[str, dict[str, float]] = {}
    for g in GRADES:
        row = raw.get(g)
        if not isinstance(row, Mapping):
            raise PolicyError(f"prices.{g}：缺少该等级的价格", f"prices.{g}: missing")
        extra = [r for r in row if r not in RESOURCES]
        if extra:
            raise PolicyError(
                f"prices.{g}：未知资源 {'、'.join(map(str, extra))}",
                f"prices.{g}: unknown resources {', '.join(map(str, extra))}",
            )
        out[g] = {}
        for res, (zh, en, unit) in RESOURCES.items():
            field = f"prices.{g}.{res}"
            value = row.get(res)
            try:
                price = (
                    float(str(value).strip()) if value is not None and str(value).strip() else None
                )
            except ValueError:
                price = None
            if price is None or not math.isfinite(price):
                raise PolicyError(
                    f"{field}（{g} 类{zh}价格）：应为数值",
                    f"{field} ({en} price): must be a number",
                )
            if not 0 <= price <= MAX_PRICE:
                raise PolicyError(
                    f"{field}（{g} 类{zh}价格）：应在 0 至 {MAX_PRICE:,.0f} {unit} 之间",
                    f"{field} ({en} price): must be between 0 and {MAX_PRICE:,.0f} {unit}",
                )
            out[g][res] = round(price, 4)
    return out


def set_prices(
    session: Session, actor: Actor, raw: Mapping[str, Any]
) -> dict[str, dict[str, float]]:
    """The administration sets the whole table (validated first: nothing stored on an error)."""
    require(actor, Action.PRICE_MANAGE)
    table = check_prices(raw)
    before = price_table(session)
    existing = {(r.grade, r.resource): r for r in session.scalars(select(GradePriceRow))}
    for g, row in table.items():
        for res, price in row.items():
            r = existing.get((g, res))
            if r is None:
                session.add(
                    GradePriceRow(grade=g, resource=res, price=price, updated_by=actor.username)
                )
            elif r.price != price:
                r.price, r.updated_by = price, actor.username
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="prices.set",
        entity="grade_prices",
        entity_id="table",
        before=before,
        after=table,
    )
    return table


# --- what the enterprise sees ---------------------------------------------------------------------


@dataclass(frozen=True)
class CreditView:
    """An enterprise's credit records, grade and the prices that apply to it."""

    enterprise: EnterpriseRow
    records: list[CreditRecordRow]
    grade: str | None  # None: not graded yet (the UNGRADED row applies)
    score: float | None
    graded_on: date | None
    prices: dict[str, float]
    table: dict[str, dict[str, float]]

    @property
    def applied_grade(self) -> str:
        return self.grade or UNGRADED


def credit_view(session: Session, actor: Actor, enterprise_id: int) -> CreditView:
    """The enterprise's credit and prices, to itself, the regulators and the administration.

    Raises
    ------
    AccessForbidden
        Another enterprise (or a role without the grant) asks.
    CommitmentNotFound
        No such enterprise.
    """
    from commitments.services.grading import grades

    ent = _enterprise(session, actor, enterprise_id)
    graded = grades(session, enterprise_id=enterprise_id)
    latest = max(graded, key=lambda g: (g.on, g.commitment.id)) if graded else None
    table = price_table(session)
    grade = latest.score.grade if latest else None
    return CreditView(
        ent,
        credit_records(session, enterprise_id),
        grade,
        round(latest.score.total, 1) if latest else None,
        latest.on if latest else None,
        table[grade or UNGRADED],
        table,
    )


def export_rows(view: CreditView) -> tuple[list[list[Any]], list[list[Any]]]:
    """(credit records, applicable prices) as rows with a header, for CSV and Excel."""
    records: list[list[Any]] = [
        ["记录日期", "指标", "核验结论", "违约后果", "金额（万元）", "整改期限", "联合惩戒", "说明"]
    ]
    for r in view.records:
        records.append(
            [
                r.recorded_on.isoformat(),
                r.indicator,
                Status(r.verdict).text("zh"),
                CONSEQUENCE_KINDS.get(r.consequence, ("—",))[0],
                r.amount_wan,
                r.deadline.isoformat() if r.deadline else "",
                "是" if r.joint_sanction else "否",
                r.description,
            ]
        )
    grade = view.applied_grade
    label = f"{grade} {GRADES[grade][0]}" + ("" if view.grade else "（尚未评级）")
    prices: list[list[Any]] = [["亩均等级", "资源", "价格", "单位"]]
    for res, (zh, _en, unit) in RESOURCES.items():
        prices.append([label, zh, view.prices[res], unit])
    return records, prices


def export_csv(view: CreditView) -> bytes:
    """UTF-8 with a BOM (so that Excel opens the Chinese right): the records, then the prices."""
    records, prices = export_rows(view)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([f"{view.enterprise.name}（{view.enterprise.credit_code}）信用记录"])
    w.writerows(records)
    w.writerow([])
    w.writerow(["适用价格"])
    w.writerows(prices)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(view: CreditView) -> bytes:
    """An Excel workbook with two sheets, 信用记录 and 适用价格 (openpyxl)."""
    from openpyxl import Workbook

    records, prices = export_rows(view)
    wb = Workbook()
    ws = wb.active
    ws.title = "信用记录"
    for row in records:
        ws.append(row)
    ws2 = wb.create_sheet("适用价格")
    for row in prices:
        ws2.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_available() -> bool:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True
