"""The demo: the shipped catalogue and a sample project, end to end, on a fresh database.

Each step is a function so later capabilities (workflow, commitments, agents) add steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.plan_table import render_plan
from approvals.calendar import WorkCalendar
from approvals.catalog import Catalogue
from approvals.exchange import to_bpmn, to_ics
from approvals.orm import ProjectRow
from approvals.planning import Plan, plan
from approvals.project import Project, parse_project
from approvals.samples import sample_project_doc
from approvals.service import active_catalogue, ensure_default_catalogue, work_calendar
from storage.engine import begin_write, make_session_factory


def sample_project() -> Project:
    return parse_project(sample_project_doc(), "sample project")


@dataclass
class DemoContext:
    engine: Engine
    out: Path
    console: Console
    lang: str = "zh"

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def heading(self, zh: str, en: str) -> None:
        self.console.rule(self.t(zh, en))


def sample_registry_files() -> tuple[Path, Path]:
    """The sample zones and plots (杭州城东智造园, 3 zones, 20 standard plots)."""
    from importlib import resources

    data = resources.files("landplots") / "data"
    return Path(str(data / "zones.geojson")), Path(str(data / "plots.geojson"))


def step_plots(ctx: DemoContext) -> None:
    """Import the sample zones and standard plots, list them, and export a GeoPackage."""
    from rich.table import Table

    from landplots.model import PlotStatus
    from landplots.services import exporting, importing, registry, search

    zones_file, plots_file = sample_registry_files()
    ctx.heading("一、标准地登记库", "1. The standard-plot registry")
    with make_session_factory(ctx.engine)() as session:
        zs = importing.import_zones_file(session, zones_file)
        ps = importing.import_file(session, plots_file)
        session.commit()
        ctx.console.print(zs.text(ctx.lang))
        ctx.console.print(ps.text(ctx.lang))
        zones = registry.all_zones(session)
        listed = search.search_plots(session, search.PlotQuery(status=(PlotStatus.LISTED,)))
        plots = registry.get_plots(session, listed.codes)
        exporting.export_plots(session, ctx.out / "plots.gpkg")
    table = Table(title=ctx.t("片区与区域评价", "Zones and their regional assessments"))
    for h in (
        ctx.t("片区", "zone"),
        ctx.t("面积（亩）", "area (mu)"),
        ctx.t("区域评价", "assessments"),
    ):
        table.add_column(h)
    for z in zones:
        table.add_row(
            f"{z.code} {z.name}",
            f"{z.area_mu:.0f}",
            "、".join(a.type_name for a in z.assessments),
        )
    ctx.console.print(table)
    ctx.console.print(
        ctx.t(
            f"挂牌中的标准地 {len(plots)} 宗："
            + "、".join(f"{p.code}（{p.area_mu:.0f} 亩）" for p in plots),
            f"{len(plots)} standard plots listed for sale: "
            + ", ".join(f"{p.code} ({p.area_mu:.0f} mu)" for p in plots),
        )
    )
    ctx.console.print(
        ctx.t(
            f"已写入 {ctx.out / 'plots.gpkg'}（可用 QGIS 打开；服务启动后 OGC API 位于 /ogc）",
            f"wrote {ctx.out / 'plots.gpkg'} (open it in QGIS; the server's OGC API is at /ogc)",
        )
    )


def project_with_plot(ctx: DemoContext, project: Project) -> Project:
    """The sample project's regional assessments from its plot's zone in the registry."""
    if not project.plot:
        return project
    from landplots.services import registry

    with make_session_factory(ctx.engine)() as session:
        covered = registry.assessments_for_plot(session, project.plot)
        plot = registry.get_plot(session, project.plot)
    ctx.console.print(
        ctx.t(
            f"项目位于标准地 {plot.code}（{plot.area_mu:.1f} 亩，片区 {plot.zone}）：采用片区的 {len(covered)} 项区域评价",
            f"The project sits on standard plot {plot.code} ({plot.area_mu:.1f} mu, zone {plot.zone}): "
            f"its zone's {len(covered)} regional assessments apply",
        )
    )
    return replace(project, assessments=covered)


def step_plan(ctx: DemoContext) -> tuple[Catalogue, Plan]:
    """Load the default catalogue, plan the sample project, write plan.json/.bpmn/.ics."""
    with make_session_factory(ctx.engine)() as session:
        begin_write(session)
        ensure_default_catalogue(session)
        catalogue = active_catalogue(session)
        calendar = work_calendar(session)
        session.commit()
    ctx.heading("二、并联审批计划", "2. The parallel approval plan")
    project = project_with_plot(ctx, sample_project())
    p = plan(catalogue, project, calendar)
    dept = lambda c: catalogue.department_name(c, ctx.lang)  # noqa: E731
    render_plan(p, ctx.console, ctx.lang, dept)
    (ctx.out / "plan.json").write_text(
        json.dumps(p.to_dict(ctx.lang), ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    (ctx.out / "plan.bpmn").write_text(to_bpmn(p, lang=ctx.lang), "utf-8")
    (ctx.out / "plan.ics").write_text(to_ics(p, lang=ctx.lang, department_name=dept), "utf-8")

    # the same project without the standard plot's regional assessments
    traditional = plan(catalogue, replace(project, assessments=()), calendar, measure_savings=False)
    ctx.console.print(
        ctx.t(
            f"同一项目若无“标准地”区域评价：{traditional.makespan} 个工作日、审查工作量 {traditional.serial} 个工作日"
            f"（标准地：{p.makespan} 个工作日、{p.serial} 个工作日）。",
            f"The same project without the standard plot's regional assessments: {traditional.makespan} working days, "
            f"{traditional.serial} review days (standard plot: {p.makespan} and {p.serial}).",
        )
    )
    ctx.console.print(
        ctx.t(
            f"并联审批比逐项串联节省 {p.parallel_saving} 个工作日（{p.serial} → {p.makespan}，审批事项）。",
            f"Parallel review saves {p.parallel_saving} working days against one after another ({p.serial} → {p.makespan}).",
        ),
        style="bold green",
    )
    if p.enterprise_days or p.intermediary_days:
        # the reviews' figures above leave out the enterprise's and intermediaries' own time
        ctx.console.print(
            ctx.t(
                f"两个时钟：审批用时 {p.approval_workdays} 个工作日（国办发〔2019〕11号 要求 ≤ 120），"
                f"企业自身用时 {p.enterprise_days} 天、中介服务用时 {p.intermediary_days} 天；"
                f"赋码 → 施工许可 {p.days_code_to_construction_permit} 个日历天（“标准地”目标 ≤ 100），"
                f"竣工验收 {p.milestones.get('completion_acceptance')}。",
                f"Two clocks: approval time {p.approval_workdays} working days (国办发〔2019〕11号: ≤ 120), "
                f"the enterprise's own time {p.enterprise_days} days, intermediaries' {p.intermediary_days} days; "
                f"project code → construction permit {p.days_code_to_construction_permit} calendar days "
                f"(standard-plot target ≤ 100); completion acceptance {p.milestones.get('completion_acceptance')}.",
            ),
            style="bold",
        )
        ctx.console.print(
            ctx.t(
                "在线办理（并联审批流程）只跟踪审批事项：企业和中介的活动不生成部门任务。",
                "The live workflow tracks the review items: the enterprise's and intermediaries' "
                "activities give no department a task.",
            ),
            style="dim",
        )
    ctx.console.print(
        ctx.t(
            f"已写入 {ctx.out / 'plan.json'}、plan.bpmn、plan.ics",
            f"wrote {ctx.out / 'plan.json'}, plan.bpmn, plan.ics",
        )
    )
    return catalogue, p


SECOND_PROJECT = {
    "name": "年产2万吨高性能改性材料项目",
    "plot": "CD-A05",
    "attributes": {
        "industry": "chemical",
        "land_source": "standard",
        "investment": 38000,
        "land_area_mu": 60,
        "building_area": 42000,
        "annual_energy_tce": 5200,
        "eia_category": "report",
        "hazardous": True,
        "has_civil_buildings": False,
        "piling_first": False,
        "in_flood_zone": False,
        "water_intake": True,
        "road_excavation": False,
        "pollutant_discharge": True,
    },
    "regional_assessments": [
        "energy",
        "environment",
        "soil_water",
        "water_resources",
        "mineral",
        "geohazard",
    ],
}


def step_workflow(ctx: DemoContext) -> None:
    """Accounts, two projects filed once (each given an agent by rule), departments reviewing in
    parallel with a 补正, 容缺 materials and a late land sale; the baseline against the actual
    plan; the agents' joint meeting, daily alerts, digest, dashboard and workload."""
    from api.demo_agents import AgentDemo

    ctx.heading("二、一窗受理、并联审批", "2. One window, parallel review")
    with make_session_factory(ctx.engine)() as session:
        accounts = _seed_and_print_accounts(ctx, session)
        begin_write(session)
        calendar = work_calendar(session)
        agent_demo = AgentDemo(accounts, calendar, ctx.lang)
        p1, p2, filed1 = _file_two_projects(ctx, session, accounts, calendar, agent_demo)
        begin_write(session)
        end = _simulate_review(session, accounts, calendar, p1, p2, filed1, agent_demo)
        session.commit()
        for p in (p1, p2):
            session.refresh(p)
        _rate_steps(session, accounts, p1)
        session.commit()
        print_baseline_against_actual(ctx, session, p1, calendar)
        _print_outcomes(ctx, session, (p1, p2), end)
        from api import demo_intermediaries

        demo_intermediaries.run(ctx, session, accounts, p1, calendar, end)
        ctx.heading(
            "三、代办服务（变企业跑为政府跑）",
            "3. Proxy agents (the government runs, not the enterprise)",
        )
        agent_demo.report(ctx.console, session, end)


# ``accounts`` below is the demo's :class:`api.seed.DemoAccounts` and ``agent_demo`` its
# :class:`api.demo_agents.AgentDemo`, both imported lazily as in :func:`step_workflow`.


def _seed_and_print_accounts(ctx: DemoContext, session: Session):
    """Create the demo accounts and print them with the shared demo password."""
    from api.seed import DEMO_PASSWORD, seed_demo_accounts

    begin_write(session)
    accounts = seed_demo_accounts(session)
    session.commit()
    table = Table(
        *ctx.t("账号,角色,名称", "account,role,name").split(","),
        title=ctx.t(
            f"演示账号（密码均为 {DEMO_PASSWORD}，仅供演示）",
            f"demo accounts (password {DEMO_PASSWORD}, demo only)",
        ),
    )
    for username, user in accounts.users.items():
        table.add_row(username, user.role, user.display_name)
    ctx.console.print(table)
    return accounts


def _file_two_projects(
    ctx: DemoContext, session: Session, accounts, calendar: WorkCalendar, agent_demo
) -> tuple[ProjectRow, ProjectRow, date]:
    """Enterprise 1 files the sample project, enterprise 2 the second one five working days
    later; each is given an agent and uploads its materials, some held back (容缺).  Returns
    both projects and the first filing date."""
    from api.demo_workflow import actor, upload_all
    from approvals.services import filing
    from landplots.services.registry import PLOT_ASSESSMENTS

    sample = sample_project_doc()
    filed1 = date.fromisoformat(sample["start_date"])
    p1 = filing.file_project(
        session,
        actor(accounts, "enterprise1"),
        calendar,
        name=sample["name"],
        attributes=sample["attributes"],
        regional_assessments=sample["regional_assessments"],
        plot_code=sample.get("plot"),
        filed_on=filed1,
        form={"contact": "王经理", "phone": "0571-86000001"},
        plots=PLOT_ASSESSMENTS,
    )
    agent_demo.assign(session, p1, filed1, "enterprise1")
    upload_all(
        session, accounts, p1, filed1, calendar, held_back={"M-funding-proof", "M-renderings"}
    )
    filed2 = calendar.add_workdays(filed1, 5)
    p2 = filing.file_project(
        session,
        actor(accounts, "enterprise2"),
        calendar,
        name=SECOND_PROJECT["name"],
        attributes=SECOND_PROJECT["attributes"],
        regional_assessments=SECOND_PROJECT["regional_assessments"],
        plot_code=SECOND_PROJECT["plot"],  # type: ignore[arg-type]
        filed_on=filed2,
        form={"contact": "李总"},
        plots=PLOT_ASSESSMENTS,
    )
    agent_demo.assign(session, p2, filed2, "enterprise2")
    upload_all(session, accounts, p2, filed2, calendar, held_back={"M-project-archives"})
    session.commit()
    ctx.console.print(
        ctx.t(
            f"企业一申报 {p1.code}（{p1.name}），企业二申报 {p2.code}（{p2.name}）：各一次申报、一套材料。",
            f"enterprise1 filed {p1.code} and enterprise2 filed {p2.code}: one filing, one set of materials each.",
        )
    )
    return p1, p2, filed1


def _simulate_review(
    session: Session,
    accounts,
    calendar: WorkCalendar,
    p1: ProjectRow,
    p2: ProjectRow,
    filed1: date,
    agent_demo,
) -> date:
    """The departments review both projects day by day: project 1 gets a 补正, a late and some
    early decisions; project 2 supplies a deferred material late.  Returns the last day."""
    from api.demo_workflow import Behaviour, simulate

    behaviour1 = Behaviour(
        held_back={"M-funding-proof": 4, "M-renderings": 2},
        corrections={"G-DESIGN": "初步设计深度不足，请补充结构计算书"},
        late={"S1-02": 3},
        early={"S1-05", "S1-06", "S4-10"},
    )
    behaviour2 = Behaviour(
        held_back={"M-project-archives": 5}, early={"S1-12"}, late={"G-DRAWING": 1}
    )
    return simulate(
        session,
        accounts,
        [(p1, behaviour1), (p2, behaviour2)],
        calendar,
        filed1,
        on_day=agent_demo.on_day,
    )


def _rate_steps(session: Session, accounts, p1: ProjectRow) -> None:
    """Enterprise 1 rates three of its finished steps (好差评)."""
    from api.demo_workflow import actor
    from approvals.services import ratings

    enterprise1 = actor(accounts, "enterprise1")
    for step in p1.steps:
        if step.status == "done" and step.code in {"S1-01", "G-DESIGN", "S3-05B"}:
            ratings.rate_step(
                session,
                enterprise1,
                p1.id,
                step.code,
                5 if step.code != "G-DESIGN" else 4,
                "办事高效",
            )


def _print_outcomes(
    ctx: DemoContext, session: Session, projects: tuple[ProjectRow, ...], end: date
) -> None:
    """Each project's baseline against its actual finish, and its escalations (督办)."""
    from api.demo_workflow import escalations

    for p in projects:
        esc = escalations(session, p)
        ctx.console.print(
            ctx.t(
                f"{p.code}：基线完成 {p.baseline['finish_date']}，实际完成 {p.predicted_finish}（{p.status}）；督办 {len(esc)} 次"
                + (f"：{'、'.join(f'{c}（{lvl}）' for c, lvl, _ in esc)}" if esc else ""),
                f"{p.code}: baseline finish {p.baseline['finish_date']}, actual {p.predicted_finish} ({p.status}); {len(esc)} escalations",
            )
        )
    from sqlalchemy import func, select

    from approvals.orm import CertificateRow

    count, first = session.execute(
        select(func.count(CertificateRow.id), func.min(CertificateRow.number)).where(
            CertificateRow.project_id.in_([p.id for p in projects])
        )
    ).one()
    if count:
        ctx.console.print(
            ctx.t(
                f"电子证照 {count} 本，每本有唯一编号与二维码，后续事项自动共享；核验：/verify/{first}",
                f"{count} certificates, each with a unique number and QR code, passed on to later items; verify: /verify/{first}",
            )
        )
    ctx.console.print(ctx.t(f"模拟至 {end}。", f"simulated until {end}."), style="dim")


def print_baseline_against_actual(
    ctx: DemoContext, session: Session, project: ProjectRow, calendar: WorkCalendar
) -> None:
    from approvals.services import progress

    live = progress.live_plan(
        session, project, project.predicted_finish or date.today(), calendar, ctx.lang
    )
    table = Table(
        *ctx.t(
            "编码,事项,基线,实际,偏差(工作日),原因",
            "code,item,baseline,actual,variance (workdays),reason",
        ).split(","),
        title=ctx.t(f"{project.code} 基线与实际", f"{project.code} baseline against actual"),
    )
    for s in live["steps"]:
        actual = f"{s['actual_start'] or '—'} → {s['actual_end'] or '—'}"
        # against the baseline beside it (the government's clock): the simulated reviews below
        # do not wait for the enterprise's construction, so the plan on both clocks is no yardstick
        f_ef, b_ef = s["forecast_ef"], s["baseline_ef"]
        variance = f_ef - b_ef if f_ef is not None and b_ef is not None else 0
        table.add_row(
            ("★ " if s["critical"] else "  ") + s["code"],
            s["name"],
            f"{s['baseline_start']} → {s['baseline_end']}",
            actual,
            f"{variance:+d}" if variance else "0",
            (s["change_reason"] or "") if variance else "",
        )
    ctx.console.print(table)
    ctx.console.print(
        ctx.t(
            "偏差对比审批基线（政府时钟）；本演示的审批模拟不等待企业施工，竣工验收等事项提前办理，两个时钟的预测见下节。",
            "Variance against the approval baseline (the government's clock); this simulation of the "
            "reviews does not wait for the enterprise's construction, so acceptance comes early; the "
            "forecast on both clocks follows in the next section.",
        ),
        style="dim",
    )


def run_demo(engine: Engine, out: Path, console: Console, lang: str = "zh") -> None:
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(engine, out, console, lang)
    step_plots(ctx)
    step_plan(ctx)
    step_workflow(ctx)
    from api.demo_commitments import step_commitments

    step_commitments(ctx)
