"""The live Gantt chart as SVG, drawn on the server from the live plan (no script, no CDN).

Rows are the plan's steps grouped in their parallel batches (bands); each row shows the
baseline (thin grey bar) under the actual or forecast bar (blue; red when on the critical path;
hatched when only forecast); a dashed line marks today.  The SVG carries a title and a
description, and every bar a tooltip, for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from html import escape
from typing import Any

LABEL_W = 300
ROW_H = 26
DAY_W = 9
TOP = 44


def _x(day: int) -> int:
    return LABEL_W + day * DAY_W


def render_gantt(
    plan: Mapping[str, Any],
    batches: Mapping[str, int],
    date_of: Callable[[int], date],
    lang: str = "zh",
) -> str:
    """SVG markup for a live plan (see :func:`approvals.services.progress.live_plan`)."""
    steps = list(plan["steps"])
    steps.sort(key=lambda s: (batches.get(s["code"], 0), s["baseline_es"], s["code"]))
    today = int(plan["today_workday"])
    span = max(
        [s["baseline_ef"] for s in steps] + [s["forecast_ef"] or 0 for s in steps] + [today + 1, 1]
    )
    width = LABEL_W + span * DAY_W + 40
    height = TOP + len(steps) * ROW_H + 30
    en = lang == "en"
    title = f"{plan['code']} {'live plan' if en else '实时计划'}"
    desc = (
        f"Baseline finish {plan['baseline_finish']}, predicted finish {plan['predicted_finish']}; {len(steps)} items."
        if en
        else f"基线完成 {plan['baseline_finish']}，预计完成 {plan['predicted_finish']}；共 {len(steps)} 个事项。"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="gantt-title gantt-desc">',
        f'<title id="gantt-title">{escape(title)}</title><desc id="gantt-desc">{escape(desc)}</desc>',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#cfe0f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f5fa8" stroke-width="2"/>'
        "</pattern></defs>",
    ]
    # axis: a tick every 5 working days with its date
    for d in range(0, span + 1, 5):
        out.append(
            f'<line x1="{_x(d)}" y1="{TOP - 6}" x2="{_x(d)}" y2="{height - 26}" stroke="#e3e6ea"/>'
        )
        out.append(
            f'<text x="{_x(d) + 2}" y="{TOP - 10}" class="axis">{date_of(d).strftime("%m-%d")}</text>'
        )
    out += _bands(steps, batches, width, en)
    for row, s in enumerate(steps):
        out += _row(TOP + row * ROW_H, s, en)
    # today
    out.append(
        f'<line x1="{_x(today)}" y1="{TOP - 4}" x2="{_x(today)}" y2="{height - 26}" stroke="#c62828" stroke-dasharray="4 3" stroke-width="2"/>'
        f'<text x="{_x(today) + 3}" y="{height - 12}" class="today">{"today" if en else "今天"} {escape(str(plan["today"]))}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def _bands(
    steps: list[Mapping[str, Any]], batches: Mapping[str, int], width: int, en: bool
) -> list[str]:
    """A shaded band behind each parallel batch, labelled at the right."""
    out = []
    previous = None
    for row, s in enumerate(steps):
        b = batches.get(s["code"], 0)
        if b != previous:
            y = TOP + row * ROW_H
            band = sum(1 for t in steps if batches.get(t["code"], 0) == b)
            fill = "#f6f8fa" if b % 2 == 0 else "#ffffff"
            out.append(
                f'<rect x="0" y="{y}" width="{width}" height="{band * ROW_H}" fill="{fill}"/>'
            )
            label = f"batch {b}" if en else f"批次 {b}"
            out.append(
                f'<text x="{width - 6}" y="{y + 12}" class="batch" text-anchor="end">{label}</text>'
            )
            previous = b
    return out


def _row(y: int, s: Mapping[str, Any], en: bool) -> list[str]:
    """One step: its label, its baseline bar and (when planned) its actual or forecast bar."""
    name = escape(f"{s['code']} {s['name']}")
    short = name if len(s["name"]) <= 16 else escape(f"{s['code']} {s['name'][:15]}…")
    critical = s["critical"] and s["status"] != "done"
    out = [
        f'<text x="6" y="{y + 17}" class="label{" crit" if critical else ""}">{"★ " if critical else ""}{short}</text>'
    ]
    # baseline
    b0, b1 = s["baseline_es"], s["baseline_ef"]
    out.append(
        f'<rect x="{_x(b0)}" y="{y + 18}" width="{max((b1 - b0) * DAY_W, 2)}" height="4" fill="#9aa4ae">'
        f"<title>{name} — {'baseline' if en else '基线'} {s['baseline_start']} → {s['baseline_end']}</title></rect>"
    )
    # actual / forecast
    f0, f1 = s["forecast_es"], s["forecast_ef"]
    if f0 is None or f1 is None:
        return out
    done = s["status"] == "done"
    started = s["actual_start"] is not None
    fill = "#1f5fa8" if (done or started) else "url(#hatch)"
    stroke = ' stroke="#c62828" stroke-width="2"' if critical else ""
    what = ("actual" if done else "forecast") if en else ("实际" if done else "预测")
    out.append(
        f'<rect x="{_x(f0)}" y="{y + 5}" width="{max((f1 - f0) * DAY_W, 3)}" height="12" rx="2" fill="{fill}"{stroke}>'
        f"<title>{name} — {what} {s['actual_start'] or s['forecast_start']} → {s['actual_end'] or s['forecast_end']}"
        f"{'; ' + ('critical' if en else '关键路径') if critical else ''}</title></rect>"
    )
    return out
