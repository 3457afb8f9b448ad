"""The live Gantt chart, drawn on the server from the live plan (no script, no CDN).

Two columns side by side: the items' labels (a fixed-width column; a long name ends in an
ellipsis and shows whole on hover) and the chart, an SVG on a calendar-day axis that scrolls
sideways inside its own box — on a phone the bars stay on screen and the page does not scroll.
Rows are the plan's steps grouped in their parallel batches (bands); each row shows the baseline
(thin grey bar) under the actual or forecast bar (blue; red outline on the critical path; hatched
when only forecast); the statutory holidays (法定节假日) of the period are shaded, each with its
name, and a dashed line marks today.  The SVG carries a title and a description, and every bar
and holiday a tooltip, for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from html import escape
from typing import Any

ROW_H = 26
DAY_W = 6  # px per calendar day
TOP = 44
BOTTOM = 30
HOLIDAY_FILL = "#f9d9d6"

DayInfo = Callable[[date], Any]  # approvals.calendar.WorkCalendar.info: .kind, .name


def holiday_spans(
    first: date, last: date, day_info: DayInfo | None
) -> list[tuple[date, date, str]]:
    """The runs of statutory holidays (kind ``holiday``) from ``first`` to ``last``, each with its
    name: ``(from, to, name)``, both ends included.

    >>> from approvals.calendar import WorkCalendar
    >>> holiday_spans(date(2026, 9, 28), date(2026, 10, 12), WorkCalendar().info)
    [(datetime.date(2026, 10, 1), datetime.date(2026, 10, 7), '国庆节')]
    """
    if day_info is None:
        return []
    spans: list[tuple[date, date, str]] = []
    day = first
    while day <= last:
        info = day_info(day)
        if info.kind == "holiday":
            if spans and spans[-1][1] == day - timedelta(days=1) and spans[-1][2] == info.name:
                spans[-1] = (spans[-1][0], day, info.name)
            else:
                spans.append((day, day, info.name))
        day += timedelta(days=1)
    return spans


def render_gantt(
    plan: Mapping[str, Any],
    batches: Mapping[str, int],
    date_of: Callable[[int], date],
    lang: str = "zh",
    day_info: DayInfo | None = None,
    *,
    labelledby: str = "plan-h",
    describedby: str = "gantt-help",
) -> str:
    """HTML for a live plan (see :func:`approvals.services.progress.live_plan`): the labels'
    column and the chart's scrolling box.  ``day_info`` (the working-day calendar's ``info``)
    shades the holidays; ``date_of`` turns the plan's working-day numbers into dates."""
    en = lang == "en"
    steps = list(plan["steps"])
    steps.sort(key=lambda s: (batches.get(s["code"], 0), s["baseline_es"], s["code"]))
    today_n = int(plan["today_workday"])
    span = max(
        [s["baseline_ef"] for s in steps]
        + [s["forecast_ef"] or 0 for s in steps]
        + [today_n + 1, 1]
    )
    first = date_of(0)
    last = date_of(span) + timedelta(days=3)
    days = (last - first).days + 1

    def x(day: date) -> int:
        return (day - first).days * DAY_W

    def bar(start: int, end: int) -> tuple[int, int]:
        """x and width of working days ``start`` … ``end − 1`` (calendar days between included)."""
        x0 = x(date_of(start))
        x1 = x(date_of(end - 1)) + DAY_W if end > start else x0
        return x0, x1 - x0

    width = days * DAY_W + 50
    height = TOP + len(steps) * ROW_H + BOTTOM
    title = f"{plan['code']} {'live plan' if en else '实时计划'}"
    desc = (
        f"Baseline finish {plan['baseline_finish']}, predicted finish {plan['predicted_finish']}; {len(steps)} items; statutory holidays shaded."
        if en
        else f"基线完成 {plan['baseline_finish']}，预计完成 {plan['predicted_finish']}；共 {len(steps)} 个事项；法定节假日以浅红色标出。"
    )
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="gantt-title gantt-desc">',
        f'<title id="gantt-title">{escape(title)}</title><desc id="gantt-desc">{escape(desc)}</desc>',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#cfe0f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f5fa8" stroke-width="2"/>'
        "</pattern></defs>",
    ]
    svg += _bands(steps, batches, width, en)
    # the statutory holidays: shaded columns with their names
    for h0, h1, name in holiday_spans(first, last, day_info):
        when = h0.strftime("%m-%d") + (f"–{h1.strftime('%m-%d')}" if h1 > h0 else "")
        svg.append(
            f'<rect class="holiday" x="{x(h0)}" y="{TOP - 6}" width="{((h1 - h0).days + 1) * DAY_W}" '
            f'height="{height - BOTTOM - TOP + 6}" fill="{HOLIDAY_FILL}" fill-opacity="0.75">'
            f"<title>{escape(name)} {when}（{'holiday' if en else '法定节假日'}）</title></rect>"
        )
    # axis: a tick every Monday with its date
    day = first + timedelta(days=(7 - first.weekday()) % 7)
    while day <= last:
        svg.append(
            f'<line x1="{x(day)}" y1="{TOP - 6}" x2="{x(day)}" y2="{height - BOTTOM + 4}" stroke="#e3e6ea"/>'
            f'<text x="{x(day) + 2}" y="{TOP - 10}" class="axis">{day.strftime("%m-%d")}</text>'
        )
        day += timedelta(days=7)
    labels = []
    for row, s in enumerate(steps):
        y = TOP + row * ROW_H
        critical = s["critical"] and s["status"] != "done"
        name = f"{s['code']} {s['name']}"
        band = "odd" if batches.get(s["code"], 0) % 2 else "even"
        labels.append(
            f'<li class="{band}{" crit" if critical else ""}" title="{escape(name)}">'
            f"{'★ ' if critical else ''}{escape(name)}</li>"
        )
        svg += _bars(y, s, en, critical, bar)
    # today
    today = date.fromisoformat(str(plan["today"]))
    if first <= today <= last:
        svg.append(
            f'<line x1="{x(today)}" y1="{TOP - 4}" x2="{x(today)}" y2="{height - BOTTOM + 4}" stroke="#c62828" stroke-dasharray="4 3" stroke-width="2"/>'
            f'<text x="{x(today) + 3}" y="{height - 12}" class="today">{"today" if en else "今天"} {escape(str(plan["today"]))}</text>'
        )
    svg.append("</svg>")
    return (
        '<div class="gantt-wrap">'
        f'<ul class="gantt-labels" aria-hidden="true" style="padding-top:{TOP}px;padding-bottom:{BOTTOM}px">'
        + "".join(labels)
        + "</ul>"
        f'<div class="gantt-chart" tabindex="0" role="region" aria-labelledby="{labelledby}" aria-describedby="{describedby}">'
        + "".join(svg)
        + "</div></div>"
    )


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


def _bars(
    y: int,
    s: Mapping[str, Any],
    en: bool,
    critical: bool,
    bar: Callable[[int, int], tuple[int, int]],
) -> list[str]:
    """One step's baseline bar and (when planned) its actual or forecast bar."""
    name = escape(f"{s['code']} {s['name']}")
    bx, bw = bar(s["baseline_es"], s["baseline_ef"])
    out = [
        f'<rect x="{bx}" y="{y + 18}" width="{max(bw, 2)}" height="4" fill="#9aa4ae">'
        f"<title>{name} — {'baseline' if en else '基线'} {s['baseline_start']} → {s['baseline_end']}</title></rect>"
    ]
    f0, f1 = s["forecast_es"], s["forecast_ef"]
    if f0 is None or f1 is None:
        return out
    done = s["status"] == "done"
    started = s["actual_start"] is not None
    fill = "#1f5fa8" if (done or started) else "url(#hatch)"
    stroke = ' stroke="#c62828" stroke-width="2"' if critical else ""
    what = ("actual" if done else "forecast") if en else ("实际" if done else "预测")
    fx, fw = bar(f0, f1)
    out.append(
        f'<rect x="{fx}" y="{y + 5}" width="{max(fw, 3)}" height="12" rx="2" fill="{fill}"{stroke}>'
        f"<title>{name} — {what} {s['actual_start'] or s['forecast_start']} → {s['actual_end'] or s['forecast_end']}"
        f"{'; ' + ('critical' if en else '关键路径') if critical else ''}</title></rect>"
    )
    return out
