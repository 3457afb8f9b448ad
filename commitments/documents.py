"""PDF documents (reportlab): the commitment letter (承诺书) and a zone's compliance report.

Chinese throughout, in the embedded TrueType font of :mod:`approvals.pdf` (the page, table,
footer and QR code are shared with the counter's documents and certificates there).

Pure: the inputs are plain dicts (the commitment document as signed, its signatures, its ledger
entry), not database rows.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table

from approvals.pdf import (  # noqa: F401  (FONT_ENV, register_font, use_font_file: public here too)
    FONT,
    FONT_ENV,
    QrFlowable,
    a4_document,
    footer,
    register_font,
    styles,
    table,
    use_font_file,
)
from commitments.model import COMMITMENT_STATES, CONSEQUENCE_KINDS, ConsequenceRule, Status
from commitments.signing import grouped
from landplots.model import Milestone

#: The shared PDF basics (font, page, table, footer, QR code), kept under their old names here.
_styles = styles
_table = table
_footer = footer
_a4_document = a4_document


def _num(x: Any) -> str:
    if x is None:
        return "—"
    return f"{float(x):,.2f}".rstrip("0").rstrip(".")


def _bound(t: Mapping[str, Any]) -> str:
    unit = f" {t['unit']}" if t.get("unit") else ""
    lo, hi = t.get("lower"), t.get("upper")
    if lo is not None and hi is not None:
        return f"{_num(lo)}–{_num(hi)}{unit}"
    if lo is not None:
        return f"≥ {_num(lo)}{unit}"
    return f"≤ {_num(hi)}{unit}"


def _qr(data: str, size: float = 32 * mm) -> QrFlowable:
    return QrFlowable(data, size)


def commitment_letter(
    document: Mapping[str, Any],
    *,
    document_sha256: str,
    enterprise_signature: Mapping[str, Any] | None,
    administration_signature: Mapping[str, Any] | None,
    ledger: Mapping[str, Any] | None,
) -> bytes:
    """The commitment letter (承诺书) as PDF bytes.

    Parameters
    ----------
    document
        The signed commitment document (:func:`commitments.services.drafting.create_commitment`).
    enterprise_signature, administration_signature
        ``{"key": fingerprint, "at": when}`` or None when not signed yet.
    ledger
        ``{"seq": n, "leaf_hash": hex}`` of the commitment's ledger entry; the QR code carries
        ``onetrip:ledger:<seq>:<leaf hash>`` (or the document hash while unsigned).
    """
    s = _styles()
    buf = io.BytesIO()
    pdf = _a4_document(buf, f"标准地投资建设承诺书 {document['number']}")
    story = _letter_parties(document, s)
    story.append(_indicator_table(document, s))
    story += _letter_terms(document, s)
    story.append(
        _signature_block(document_sha256, enterprise_signature, administration_signature, ledger, s)
    )
    pdf.build(
        story,
        onFirstPage=_footer(f"onetrip · {document['number']}"),
        onLaterPages=_footer(f"onetrip · {document['number']}"),
    )
    return buf.getvalue()


def _letter_parties(document: Mapping[str, Any], s: dict[str, ParagraphStyle]) -> list[Any]:
    """Title, number and the table of enterprise, project, plot and land price, then the
    statement."""
    plot, project, ent = document["plot"], document["project"], document["enterprise"]
    return [
        Paragraph("标准地投资建设承诺书", s["title"]),
        Paragraph(f"编号：{document['number']}　　出具日期：{document['issued_on']}", s["small"]),
        Spacer(1, 4 * mm),
        _table(
            [
                ["承诺单位", f"{ent['name']}（统一社会信用代码 {ent['credit_code']}）"],
                ["投资项目", f"{project['name']}（项目代码 {project['code']}）"],
                [
                    "标准地",
                    f"{plot['code']} {plot['name']}　片区：{plot.get('zone_name') or plot['zone']}",
                ],
                [
                    "用地与面积",
                    f"{plot.get('land_use') or '—'}　{_num(plot['area_mu'])} 亩（{_num(plot['area_m2'])} 平方米）",
                ],
                ["土地出让价款", f"{_num(document['land_price_wan'])} 万元"],
            ],
            [32 * mm, 142 * mm],
            header=False,
        ),
        Spacer(1, 3 * mm),
        Paragraph(document["statement"], s["base"]),
        Paragraph("一、控制指标", s["h2"]),
    ]


def _indicator_table(document: Mapping[str, Any], s: dict[str, ParagraphStyle]) -> Table:
    """一、控制指标: each indicator's bound, planned value, checkpoint and tolerance."""
    rows: list[list[Any]] = [["指标", "承诺标准", "项目计划值", "检查节点", "容差"]]
    for t in document["indicators"]:
        rows.append(
            [
                Paragraph(t["name"], s["cell"]),
                _bound(t),
                _num(t.get("planned")),
                Milestone(t["milestone"]).text("zh"),
                f"{float(t['tolerance']):.0%}",
            ]
        )
    return _table(rows, [48 * mm, 42 * mm, 28 * mm, 32 * mm, 20 * mm])


def _letter_terms(document: Mapping[str, Any], s: dict[str, ParagraphStyle]) -> list[Any]:
    """二、检查节点, 三、违约责任 and (when the commitment replaces approvals) 四、替代事项."""
    cp = document["checkpoints"]
    story: list[Any] = [
        Paragraph("二、检查节点", s["h2"]),
        Paragraph(f"对标验收：{cp['acceptance']['rule']}。", s["base"]),
        Paragraph(f"达产复核：{cp['production']['rule']}。", s["base"]),
        Paragraph(
            f"检查点到期后 {cp['grace_workdays']} 个工作日内未完成检查的，视为逾期。", s["base"]
        ),
        Paragraph("三、违约责任（按顺序取最严重的适用条款）", s["h2"]),
    ]
    for i, r in enumerate(document["consequences"], 1):
        rule = ConsequenceRule.from_dict(r)
        story.append(Paragraph(f"{i}. {rule.describe('zh')}", s["base"]))
    if document.get("replaces"):
        story.append(Paragraph("四、以本承诺替代的审批事项（告知承诺制）", s["h2"]))
        story.append(
            _table(
                [["事项编码", "事项名称"]]
                + [[r["code"], Paragraph(str(r["name"]), s["cell"])] for r in document["replaces"]],
                [30 * mm, 144 * mm],
            )
        )
    return story


def _signature_block(
    document_sha256: str,
    enterprise_signature: Mapping[str, Any] | None,
    administration_signature: Mapping[str, Any] | None,
    ledger: Mapping[str, Any] | None,
    s: dict[str, ParagraphStyle],
) -> KeepTogether:
    """五、签署与台账: the signers' key fingerprints, then the ledger QR code and hashes."""
    sig_rows = [["签署方", "Ed25519 公钥指纹（SHA-256）", "时间"]]
    sig_rows.append(
        [
            "承诺企业",
            grouped(enterprise_signature["key"]) if enterprise_signature else "（尚未签署）",
            (enterprise_signature or {}).get("at") or "—",
        ]
    )
    sig_rows.append(
        [
            "行政服务中心确认",
            grouped(administration_signature["key"])
            if administration_signature
            else "（尚未确认）",
            (administration_signature or {}).get("at") or "—",
        ]
    )
    return KeepTogether(
        [
            Paragraph("五、签署与台账", s["h2"]),
            _table(sig_rows, [36 * mm, 100 * mm, 38 * mm]),
            Spacer(1, 3 * mm),
            _ledger_qr_row(document_sha256, ledger, s),
        ]
    )


def _ledger_qr_row(
    document_sha256: str, ledger: Mapping[str, Any] | None, s: dict[str, ParagraphStyle]
) -> Table:
    """The QR code (ledger entry, or the document hash while unsigned) beside its explanation."""
    qr_data = (
        f"onetrip:ledger:{ledger['seq']}:{ledger['leaf_hash']}"
        if ledger
        else f"onetrip:document:{document_sha256}"
    )
    ledger_text = (
        f"台账条目 #{ledger['seq']}，叶子哈希 {ledger['leaf_hash']}" if ledger else "尚未记入台账"
    )
    return Table(
        [
            [
                _qr(qr_data),
                Paragraph(
                    f"{ledger_text}。<br/>承诺书规范字节（RFC 8785）SHA-256：{document_sha256}。<br/>"
                    "扫描二维码取得台账哈希，可用 onetrip ledger proof 取得包含证明并离线核验。",
                    s["small"],
                ),
            ]
        ],
        colWidths=[36 * mm, 138 * mm],
        style=[
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ],
    )


def _attainment_chart(attainment: Sequence[tuple[str, float]]) -> Drawing:
    """Bars of the share of checks met per indicator (0–100 %)."""
    width, height = 170 * mm, 70 * mm
    d = Drawing(width, height, initialFontName=FONT)
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 16 * mm
    chart.width, chart.height = width - 20 * mm, height - 30 * mm
    chart.data = [[round(v * 100, 1) for _, v in attainment] or [0]]
    chart.categoryAxis.categoryNames = [n for n, _ in attainment] or ["—"]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#2f6fb2")
    chart.barLabelFormat = "%.0f%%"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    d.add(chart)
    d.add(String(2 * mm, height - 6 * mm, "各指标达标率（%）", fontName=FONT, fontSize=9))
    return d


def compliance_report(
    zone: Mapping[str, Any],
    commitments: Sequence[Mapping[str, Any]],
    attainment: Sequence[tuple[str, float]],
    graded: Sequence[Mapping[str, Any]],
    generated_on: str,
) -> bytes:
    """A zone's compliance report (承诺履约情况报告) as PDF bytes.

    Parameters
    ----------
    zone
        ``{"code", "name"}``.
    commitments
        Each ``{"number", "enterprise", "plot", "status", "verdicts": [{"name", "status",
        "value", "consequence"}]}``.
    attainment
        ``(indicator name, share of checks met)`` for the chart.
    graded
        Each ``{"enterprise", "number", "total", "grade"}`` (亩均论英雄), best first.
    """
    s = _styles()
    buf = io.BytesIO()
    pdf = _a4_document(buf, f"{zone['name']} 承诺履约情况报告")
    story: list[Any] = [
        Paragraph(f"{zone['name']}（{zone['code']}）承诺履约情况报告", s["title"]),
        Paragraph(f"生成日期：{generated_on}　　承诺书 {len(commitments)} 份", s["small"]),
        Paragraph("一、承诺书与核验结论", s["h2"]),
    ]
    story.append(_verdicts_table(commitments, s))
    story += [Paragraph("二、各指标达标情况", s["h2"]), _attainment_chart(attainment)]
    story.append(Paragraph("三、亩均效益评价（亩均论英雄）", s["h2"]))
    story.append(_grading_table(graded, s))
    story.append(
        Paragraph(
            "等级：A 优先发展、B 支持发展、C 提升发展、D 限制发展；得分为各指标实际值与基准值之比乘以权重之和。",
            s["small"],
        )
    )
    foot = _footer(f"onetrip · {zone['code']} · {generated_on}")
    pdf.build(story, onFirstPage=foot, onLaterPages=foot)
    return buf.getvalue()


def _verdicts_table(
    commitments: Sequence[Mapping[str, Any]], s: dict[str, ParagraphStyle]
) -> Table:
    """一、承诺书与核验结论: one row per commitment with its indicators' verdicts."""
    rows: list[list[Any]] = [["承诺书", "企业", "地块", "状态", "核验结论"]]
    for c in commitments:
        verdicts = (
            "；".join(
                f"{v['name']}：{Status(v['status']).text('zh')}"
                + (f"（{CONSEQUENCE_KINDS[v['consequence']][0]}）" if v.get("consequence") else "")
                for v in c["verdicts"]
            )
            or "尚无检查"
        )
        rows.append(
            [
                c["number"],
                Paragraph(c["enterprise"], s["cell"]),
                c["plot"],
                COMMITMENT_STATES.get(c["status"], (c["status"],))[0],
                Paragraph(verdicts, s["cell"]),
            ]
        )
    return _table(rows, [30 * mm, 36 * mm, 18 * mm, 20 * mm, 70 * mm])


def _grading_table(graded: Sequence[Mapping[str, Any]], s: dict[str, ParagraphStyle]) -> Table:
    """三、亩均效益评价: the graded enterprises, best first (a placeholder row when none)."""
    grows: list[list[Any]] = [["排名", "企业", "承诺书", "得分", "等级"]]
    from commitments.grading import GRADES

    for i, g in enumerate(graded, 1):
        grows.append(
            [
                str(i),
                Paragraph(g["enterprise"], s["cell"]),
                g["number"],
                f"{g['total']:.1f}",
                f"{g['grade']} {GRADES[g['grade']][0]}",
            ]
        )
    if len(grows) == 1:
        grows.append(["—", "尚无达产复核数据", "", "", ""])
    return _table(grows, [14 * mm, 66 * mm, 34 * mm, 24 * mm, 36 * mm])
