"""The efficiency statistics (效能统计) as the adapter hands them out: the filters read from a
query string, and the same figures as CSV, Excel (openpyxl) and the monthly report PDF
(月度效能报告, reportlab with the project's embedded CJK font)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from approvals import efficiency as eff
from approvals.services import statistics as st
from i18n import Invalid
from landplots.orm import ZoneRow

SHEETS = {
    "departments": ("按部门", "By department"),
    "items": ("按事项", "By item"),
    "projects": ("按项目", "By project"),
    "mechanisms": ("改革机制", "Mechanisms"),
    "ratings": ("好差评", "Ratings"),
}


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"参数 {field} 不是日期（YYYY-MM-DD）：{value}",
            f"parameter {field} is not a date (YYYY-MM-DD): {value}",
        ) from None


def parse_filters(params: Any, today: date) -> tuple[st.Filters, str]:
    """The filters of a query string: ``month`` (YYYY-MM, default the current month) or
    ``start`` and ``end`` (dates), ``department``, ``zone``, ``industry``.  Returns them with a
    label of the period."""
    start_s, end_s = params.get("start") or "", params.get("end") or ""
    month = params.get("month") or ""
    if start_s or end_s:
        if not (start_s and end_s):
            raise Invalid("参数 start 与 end 须同时给出", "parameters start and end go together")
        start, end = _date(start_s, "start"), _date(end_s, "end")
        if end < start:
            raise Invalid(
                f"参数 end（{end}）早于 start（{start}）",
                f"parameter end ({end}) is before start ({start})",
            )
        label = f"{start.isoformat()} — {end.isoformat()}"
    else:
        month = month or f"{today.year:04d}-{today.month:02d}"
        try:
            start, end = st.month_period(month)
        except Exception:
            raise Invalid(
                f"参数 month 格式不符（应为 YYYY-MM）：{month}",
                f"parameter month is not YYYY-MM: {month}",
            ) from None
        label = month
    zone = (params.get("zone") or "").strip() or None
    industry = (params.get("industry") or "").strip() or None
    department = (params.get("department") or "").strip() or None
    return st.Filters(start, end, department, zone, industry), label


def compute(
    session: Session, who: Actor, params: Any, today: date, calendar: Any
) -> tuple[st.Statistics, str]:
    filters, label = parse_filters(params, today)
    return st.statistics(session, who, filters, calendar), label


def zones(session: Session) -> list[tuple[str, str]]:
    return [
        (c, n)
        for c, n in session.execute(select(ZoneRow.code, ZoneRow.name).order_by(ZoneRow.code))
    ]


# --- exports -------------------------------------------------------------------------------------


def to_csv(stats: st.Statistics, lang: str = "zh") -> bytes:
    """Every table one after another, each under its title (UTF-8 with a BOM, so that Excel
    opens the Chinese text correctly)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    for key, rows in st.flat_rows(stats, lang).items():
        w.writerow([SHEETS[key][1 if lang == "en" else 0]])
        w.writerows(rows)
        w.writerow([])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(stats: st.Statistics, lang: str = "zh") -> bytes:
    """One sheet per table, the header bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for key, rows in st.flat_rows(stats, lang).items():
        ws = wb.create_sheet(SHEETS[key][1 if lang == "en" else 0])
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for col in ws.columns:
            width = max(len(str(c.value or "")) for c in col)
            ws.column_dimensions[col[0].column_letter].width = min(max(width * 1.6, 8), 40)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the monthly report (月度效能报告) -------------------------------------------------------------


def _fmt(v: Any, suffix: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:g}{suffix}"
    return f"{v}{suffix}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def to_pdf(stats: st.Statistics, label: str, centre: str, scope: str, generated: date) -> bytes:
    """月度效能报告: the figures a service centre sends upward, in Chinese, A4 landscape."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from commitments.documents import register_font

    font = register_font()
    base = ParagraphStyle("b", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=18, leading=26, alignment=1)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12.5, leading=20, spaceBefore=8)
    small = ParagraphStyle("s", parent=base, fontSize=8, leading=11, textColor=colors.grey)
    cell = ParagraphStyle("c", parent=base, fontSize=8, leading=10)

    def table(rows: list[list[Any]], widths: list[float] | None = None) -> Table:
        data = [[Paragraph(str(c), cell) for c in r] for r in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("FONTNAME", (0, 0), (-1, -1), font),
                ]
            )
        )
        return t

    o = stats.overall
    story: list[Any] = [
        Paragraph(f"{centre}月度效能报告", h1),
        Paragraph(f"统计期间：{label}　　范围：{scope}　　生成日期：{generated.isoformat()}", base),
        Spacer(1, 4 * mm),
        Paragraph("一、总体情况", h2),
        Paragraph(
            f"本期共办结审批事项 {o['cases']} 件（准予 {o['approved']} 件，不予许可 {o['rejected']} 件），"
            f"审批用时中位数 {_fmt(o['median_workdays'])} 个工作日，90 分位 {_fmt(o['p90_workdays'])} 个工作日；"
            f"按期办结率 {_pct(o['on_time_rate'])}，超期率 {_pct(o['overdue_rate'])}；"
            f"平均受理等待 {_fmt(o['mean_wait_workdays'])} 个工作日；补正率 {_pct(o['correction_rate'])}"
            f"（补正 {o['correction_rounds']} 次）；停止计时 {o['stopped_tasks']} 件、"
            f"共 {o['stopped_days']} 个工作日。好差评 {o['rated']} 条，平均 {_fmt(o['rating_average'])} 分，"
            f"差评 {o['bad_ratings']} 条。",
            base,
        ),
        Paragraph("二、各部门效能", h2),
    ]
    dept_rows = [
        [
            "部门",
            "办件量",
            "用时中位数",
            "90分位",
            "按期率",
            "超期率",
            "平均等待",
            "补正率",
            "停止计时（日）",
            "平均评分",
            "差评",
        ]
    ] + [
        [
            d["name"],
            d["cases"],
            _fmt(d["median_workdays"]),
            _fmt(d["p90_workdays"]),
            _pct(d["on_time_rate"]),
            _pct(d["overdue_rate"]),
            _fmt(d["mean_wait_workdays"]),
            _pct(d["correction_rate"]),
            d["stopped_days"],
            _fmt(d["rating_average"]),
            d["bad_ratings"],
        ]
        for d in stats.departments
    ]
    story.append(table(dept_rows))
    if stats.departments:
        drawing = Drawing(250 * mm, 62 * mm, initialFontName=font)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 12 * mm, 12 * mm, 230 * mm, 44 * mm
        chart.data = [
            [d["median_workdays"] or 0 for d in stats.departments],
            [d["p90_workdays"] or 0 for d in stats.departments],
        ]
        chart.categoryAxis.categoryNames = [d["name"] for d in stats.departments]
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.labels.fontName = font
        chart.valueAxis.valueMin = 0
        chart.bars[0].fillColor = colors.HexColor("#3b6fb6")
        chart.bars[1].fillColor = colors.HexColor("#e39b3b")
        drawing.add(chart)
        drawing.add(
            String(
                14 * mm,
                58 * mm,
                "各部门审批用时（工作日）：蓝 中位数，橙 90 分位",
                fontName=font,
                fontSize=8,
            )
        )
        story.append(drawing)
    story.append(Paragraph("三、各事项用时与时限", h2))
    item_rows = [
        [
            "事项",
            "部门",
            "办件量",
            "中位数",
            "90分位",
            "承诺时限",
            "法定时限",
            "承诺内办结率",
            "按期率",
            "补正率",
        ]
    ] + [
        [
            f"{i['item']} {i['name']}",
            i["department_name"],
            i["cases"],
            _fmt(i["median_workdays"]),
            _fmt(i["p90_workdays"]),
            _fmt(i["committed_days"]),
            _fmt(i["statutory_days"]),
            _pct(i["within_committed_rate"]),
            _pct(i["on_time_rate"]),
            _pct(i["correction_rate"]),
        ]
        for i in stats.items
    ]
    story.append(table(item_rows, [70 * mm, 30 * mm] + [19 * mm] * 8))
    if stats.projects is not None:
        p = stats.projects
        story.append(Paragraph("四、改革目标完成情况", h2))
        std, oth = p["code_to_permit"]["standard"], p["code_to_permit"]["other"]
        done = p["approval_to_completion"]["all"]
        story.append(
            table(
                [
                    ["指标", "项目数", "中位数", "90分位", "目标", "达标数", "达标率"],
                    [
                        "标准地项目 赋码→施工许可（自然日）",
                        std["count"],
                        _fmt(std["median"]),
                        _fmt(std["p90"]),
                        f"≤{std['target']}天",
                        std["within"],
                        _pct(std["within_rate"]),
                    ],
                    [
                        "其他项目 赋码→施工许可（自然日）",
                        oth["count"],
                        _fmt(oth["median"]),
                        _fmt(oth["p90"]),
                        f"≤{oth['target']}天",
                        oth["within"],
                        _pct(oth["within_rate"]),
                    ],
                    [
                        "竣工验收项目 审批用时（工作日）",
                        done["count"],
                        _fmt(done["median"]),
                        _fmt(done["p90"]),
                        f"≤{done['target']}个工作日",
                        done["within"],
                        _pct(done["within_rate"]),
                    ],
                ],
                [80 * mm, 22 * mm, 22 * mm, 22 * mm, 34 * mm, 22 * mm, 22 * mm],
            )
        )
        story.append(Paragraph("五、改革机制成效", h2))
        story.append(
            table(
                [["改革机制", "使用次数", "节省工作日"]]
                + [[m["name"], m["uses"], m["saved_workdays"]] for m in p["mechanisms"]],
                [90 * mm, 40 * mm, 40 * mm],
            )
        )
    bad = [c for c in stats.comments if c["score"] <= 2]
    story.append(Paragraph("六、差评及整改回访", h2))
    if bad:
        story.append(
            table(
                [["项目代码", "事项", "评分", "评价内容", "回访情况"]]
                + [
                    [
                        c["project"],
                        c["step"],
                        c["score"],
                        c["comment"] or "—",
                        st.follow_up_label(c["follow_up"])
                        + (f"：{c['follow_up_note']}" if c["follow_up_note"] else ""),
                    ]
                    for c in bad[:50]
                ],
                [55 * mm, 25 * mm, 15 * mm, 80 * mm, 80 * mm],
            )
        )
    else:
        story.append(Paragraph("本期无差评。", base))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            "口径：审批用时按工作日计（受理当日为第 1 日，补正、特别程序停止计时的工作日不计）；"
            "项目审批用时按阶段计算（国办发〔2019〕11号）；赋码至施工许可按自然日计（标准地目标 "
            f"{eff.TARGET_CODE_TO_PERMIT_DAYS} 天）；全流程审批用时目标 {eff.TARGET_APPROVAL_WORKDAYS} 个工作日。",
            small,
        )
    )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"{centre}月度效能报告 {label}",
        initialFontName=font,  # no Helvetica resource: every font of the PDF is embedded
    )
    doc.build(story)
    return out.getvalue()
