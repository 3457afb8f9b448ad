"""The demo's second clock on a live project (issue 17): enterprise 1 picks intermediaries in
the 中介超市, the chosen 环评 organisation uploads its report and delivers (its working days
against its committed days), enterprise 1 reports its design done a little late and rates the
service; the table shows each activity's plan, progress and whose a delay is."""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.table import Table
from sqlalchemy.orm import Session

from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow

REPORT = b"%PDF-1.4\n% demo intermediary report\n"


def run(
    ctx: Any,
    session: Session,
    accounts: Any,
    project: ProjectRow,
    calendar: WorkCalendar,
    end: date,
) -> None:
    from api.demo_workflow import actor
    from approvals.services import intermediaries as im

    ent = actor(accounts, "enterprise1")
    filed = project.filed_on
    view = im.project_activities(session, ent, project.id, end, calendar, ctx.lang)
    codes = {a["code"] for a in view["items"]}
    if not codes:
        return
    ctx.heading(
        "二（续）、两个时钟：企业自身用时与中介服务（中介超市）",
        "2 (cont.). Two clocks: the enterprise's own time and intermediaries (the market)",
    )
    # each intermediary service is commissioned on its planned start, from the best offer; the
    # 环评 organisation is three working days over its commitment, the others deliver on time
    chosen = []
    for a in view["items"]:
        if a["owner"] != "intermediary":
            continue
        planned = date.fromisoformat(a["planned_start"])
        if planned > end:
            continue
        _, offers = im.offers(session, ent, project.id, a["code"])
        if not offers:
            continue
        on = max(planned, filed)
        im.choose(session, ent, project.id, a["code"], offers[0].intermediary_id, on)
        chosen.append((a["code"], offers[0], on))
    session.commit()
    for code, pick, on in chosen:
        ctx.console.print(
            ctx.t(
                f"{on} 企业一在中介超市为 {code} 选定 {pick.name}（承诺 {pick.committed_days} 个工作日）。",
                f"{on} enterprise1 chose {pick.name} for {code} in the market ({pick.committed_days} working days committed).",
            )
        )
        username = next(
            u for u, row in accounts.users.items() if row.intermediary_id == pick.intermediary_id
        )
        org_user = actor(accounts, username)
        mine = next(
            a for a in im.my_activities(session, org_user, end, calendar) if a["code"] == code
        )
        delivered = calendar.add_workdays(
            on, pick.committed_days - 1 + (3 if code == "I-EIA" else -1)
        )
        if delivered <= end:
            im.upload_report(session, org_user, mine["id"], f"{code}-报告.pdf", REPORT)
            im.deliver(session, org_user, mine["id"], delivered, calendar)
    session.commit()
    if "E-SCHEME" in codes:
        scheme = next(a for a in view["items"] if a["code"] == "E-SCHEME")
        start = date.fromisoformat(scheme["planned_start"])
        finish = date.fromisoformat(scheme["planned_end"])
        im.report_progress(session, ent, project.id, "E-SCHEME", "start", start, end)
        # the design comes in five days late: the enterprise's own delay
        im.report_progress(session, ent, project.id, "E-SCHEME", "finish", _plus(finish, 5), end)
    if "E-BUILD-BELOW" in codes:
        below = next(a for a in view["items"] if a["code"] == "E-BUILD-BELOW")
        if date.fromisoformat(below["planned_start"]) <= end:
            im.report_progress(
                session,
                ent,
                project.id,
                "E-BUILD-BELOW",
                "start",
                date.fromisoformat(below["planned_start"]),
                end,
            )
    done = {
        a["code"]
        for a in im.project_activities(session, ent, project.id, end, calendar)["items"]
        if a["status"] == "done"
    }
    if "I-EIA" in done:
        im.rate(session, ent, project.id, "I-EIA", 4, "报告质量好，略有延迟")
    session.commit()
    view = im.project_activities(session, ent, project.id, end, calendar, ctx.lang)
    table = Table(
        *ctx.t(
            "编码,活动,用时归属,计划,实际/预测,延误,中介机构",
            "code,activity,whose time,planned,actual/forecast,delay,intermediary",
        ).split(","),
        title=ctx.t(
            f"{project.code} 企业与中介用时（至 {end}）",
            f"{project.code} enterprise and intermediary time (to {end})",
        ),
    )
    for a in view["items"]:
        org = a["intermediary"]
        table.add_row(
            a["code"],
            a["name"],
            a["owner_name"],
            f"{a['planned_start']} → {a['planned_end']}",
            f"{a['actual_start'] or a['forecast_start']} → {a['actual_end'] or a['forecast_end']}",
            a["delay_note"] or "—",
            f"{org['name']}（{a['service_state_name']}，用 {a['workdays_used']}/{a['committed_days']} 工作日）"
            if org and ctx.lang != "en"
            else f"{org['name']} ({a['service_state_name']}, {a['workdays_used']}/{a['committed_days']} working days)"
            if org
            else "—",
        )
    ctx.console.print(table)
    ctx.console.print(
        ctx.t(
            f"延误归属：企业自身用时最多 {view['enterprise_delay_days']} 天，中介服务用时最多 "
            f"{view['intermediary_delay_days']} 天——不计入任何审批部门。",
            f"delays: the enterprise's own up to {view['enterprise_delay_days']} days, intermediaries' "
            f"up to {view['intermediary_delay_days']} days — none of it a department's.",
        ),
        style="bold",
    )


def _plus(day: date, days: int) -> date:
    from datetime import timedelta

    return day + timedelta(days=days)
