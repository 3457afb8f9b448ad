"""The plan as a table for people (``onetrip plan --format table``): Chinese names, departments,
dates, critical items marked (★), a bar per item on a shared time axis, and a summary."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from approvals.catalog import MILESTONES
from approvals.plan_output import MECHANISM_NAMES, stage_name
from approvals.planning import Plan

BAR_WIDTH = 40


def _bar(es: int, ef: int, ls: int, makespan: int, critical: bool) -> Text:
    if makespan <= 0:
        return Text("")
    scale = BAR_WIDTH / makespan
    a = round(es * scale)
    b = max(round(ef * scale), a + (1 if ef > es else 0))
    c = max(round((ls + (ef - es)) * scale), b)
    text = Text(" " * a)
    text.append("█" * (b - a), style="bold red" if critical else "cyan")
    text.append("·" * (c - b), style="dim")
    return text


def render_plan(
    plan: Plan,
    console: Console,
    lang: str = "zh",
    department_name: Callable[[str], str] | None = None,
) -> None:
    en = lang == "en"
    dept = department_name or (lambda c: c)
    title = plan.project_name or plan.catalogue_code
    table = Table(
        title=f"{title} — {'parallel approval plan' if en else '并联审批计划'}",
        caption=(
            "★ critical path; █ scheduled; · slack; Nd = calendar days"
            if en
            else "★ 关键路径；█ 办理时间；· 机动时间；N天 = 日历天"
        ),
        show_lines=False,
        header_style="bold",
    )
    for header, justify in (
        (("Batch", "批次"), "right"),
        (("Code", "编码"), "left"),
        (("Item", "事项"), "left"),
        (("Department", "部门"), "left"),
        (("Days", "工作日"), "right"),
        (("Start", "开始"), "left"),
        (("End", "结束"), "left"),
        (("Slack", "机动"), "right"),
        (("Timeline", "进度"), "left"),
    ):
        table.add_column(
            header[0] if en else header[1],
            justify=justify,
            no_wrap=header[0] in {"Code", "Start", "End", "Timeline"},
        )
    # bars on the whole project's axis (with activities it runs past the reviews' makespan)
    axis = max((i.ef for i in plan.items), default=plan.makespan)
    for item in plan.items:
        name = item.name_en if en and item.name_en else item.name
        if item.kind == "merged":
            name += f" [{'+'.join(item.members)}]"
        if item.mode == "commitment":
            name += " (commitment)" if en else "（告知承诺）"
        depts = "、".join(dept(d) for d in item.departments)
        days = str(item.days)
        if item.unit == "calendar_days":  # an activity on the calendar, not the working days
            days += "d" if en else "天"
        table.add_row(
            str(item.batch),
            ("★ " if item.critical else "  ") + item.code,
            name,
            depts,
            days,
            item.start_date.isoformat(),
            item.end_date.isoformat(),
            str(item.slack),
            _bar(item.es, item.ef, item.ls, axis, item.critical),
            style="bold" if item.critical else None,
        )
    console.print(table)
    for line in summary_lines(plan, lang):
        console.print(line, highlight=False)


def summary_lines(plan: Plan, lang: str = "zh") -> list[str]:
    en = lang == "en"
    lines = []
    # with the enterprise's and intermediaries' activities, the parallel/serial figures are the
    # review items' alone (the finish is the whole project's)
    two = bool(plan.enterprise_days or plan.intermediary_days)
    if en:
        lines.append(
            f"Start {plan.start_date} (working day 0 = {plan.first_workday}) → finish {plan.finish_date}: "
            f"{plan.makespan} working days in parallel against {plan.serial} one after another; "
            f"parallel review saves {plan.parallel_saving} working days"
            + (" (review items alone)." if two else ".")
        )
        lines.append("Critical path: " + " → ".join(plan.critical_path))
    else:
        lines.append(
            f"开始 {plan.start_date}（第 0 个工作日为 {plan.first_workday}）→ 完成 {plan.finish_date}："
            f"并联审批 {plan.makespan} 个工作日，逐项串联需 {plan.serial} 个工作日，并联节省 {plan.parallel_saving} 个工作日"
            + ("（仅计审批事项）。" if two else "。")
        )
        lines.append("关键路径：" + " → ".join(plan.critical_path))
    for key, saving in plan.savings.items():
        zh_name, en_name = MECHANISM_NAMES[key]
        if en:
            line = f"  {en_name}: {saving.workdays} working days off the finish, {saving.review_days} review days less"
            if key == "splits":
                line += f"; the first permit comes {saving.first_permit_days} working days earlier, so works start earlier"
        else:
            line = f"  {zh_name}：完成时间提前 {saving.workdays} 个工作日，审查工作量减少 {saving.review_days} 个工作日"
            if key == "splits":
                line += f"；首个施工许可提前 {saving.first_permit_days} 个工作日核发，可提前开工"
        lines.append(line)
    for w in plan.waived:
        lines.append(
            f"  {'waived' if en else '免于审批'} {w.code} {w.name}: {w.reason_en if en else w.reason_zh}"
        )
    units = {i.code: i.unit for i in plan.items} if plan.reduced else {}
    for r in plan.reduced:
        unit = "working days" if en else "个工作日"
        if units.get(r.code) == "calendar_days":
            unit = "calendar days" if en else "天"
        lines.append(
            f"  {'commitment' if en else '告知承诺'} {r.code} {r.name}: {r.days_before} → {r.days_after} "
            f"{unit} — {r.reason_en if en else r.reason_zh}"
        )
    lines += two_clock_lines(plan, lang)
    reviews = [i for i in plan.items if i.owner == "review"]  # the stages of the reviews
    stages = sorted({i.stage for i in reviews})
    if stages:
        parts = []
        for s in stages:
            items = [i for i in reviews if i.stage == s]
            parts.append(
                f"{stage_name(s, lang)} {min(i.start_date for i in items)}–{max(i.end_date for i in items)}"
            )
        lines.append(("Stages: " if en else "阶段：") + "；".join(parts))
    if plan.provisional:
        years = "、".join(map(str, plan.provisional_years))
        lines.append(
            f"⚠ Provisional: the holiday arrangement of {years} is not known yet; dates count weekdays only."
            if en
            else f"⚠ 暂定：{years} 年节假日安排尚未公布（或未导入），相关日期仅按周末推算。"
        )
    return lines


def two_clock_lines(plan: Plan, lang: str = "zh") -> list[str]:
    """Both clocks: the government's (审批用时, working days stage by stage as 国办发〔2019〕11号
    counts them), the enterprise's and intermediaries' (calendar days), and the milestones."""
    en = lang == "en"
    lines = []
    per_stage = ("; " if en else "；").join(
        f"{stage_name(st.stage, lang)} {st.approval_workdays}"
        + (" working days" if en else " 个工作日")
        + f" ({st.start_date}–{st.end_date})"
        for st in plan.stages
    )
    if en:
        lines.append(
            f"Approval time (the government's clock, stage by stage): {plan.approval_workdays} working days — {per_stage}"
        )
        lines.append(
            f"The enterprise's own time: {plan.enterprise_days} calendar days; "
            f"intermediary services: {plan.intermediary_days} calendar days."
        )
    else:
        lines.append(
            f"审批用时（政府时钟，按阶段计）：{plan.approval_workdays} 个工作日 — {per_stage}"
        )
        lines.append(
            f"企业自身用时 {plan.enterprise_days} 天，中介服务用时 {plan.intermediary_days} 天（日历天）。"
        )
    dated = [(k, v) for k, v in plan.milestones.items() if v is not None]
    if dated:
        marks = " → ".join(f"{MILESTONES[k][1 if en else 0]} {v}" for k, v in dated)
        days = plan.days_code_to_construction_permit
        if days is not None:
            marks += (
                f"; project code → construction permit: {days} calendar days"
                if en
                else f"；赋码 → 施工许可 {days} 个日历天"
            )
        lines.append(("Milestones: " if en else "里程碑：") + marks)
    return lines
