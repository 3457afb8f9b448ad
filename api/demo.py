"""The demo: the shipped catalogue and a sample project, end to end, on a fresh database.

Each step is a function so later capabilities (workflow, commitments, agents) add steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine

from api.plan_table import render_plan
from approvals.catalog import Catalogue
from approvals.exchange import to_bpmn, to_ics
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

    from landplots import service as plots_service

    zones_file, plots_file = sample_registry_files()
    ctx.heading("一、标准地登记库", "1. The standard-plot registry")
    with make_session_factory(ctx.engine)() as session:
        zs = plots_service.import_zones_file(session, zones_file)
        ps = plots_service.import_file(session, plots_file)
        session.commit()
        ctx.console.print(zs.text(ctx.lang))
        ctx.console.print(ps.text(ctx.lang))
        zones = plots_service.all_zones(session)
        listed = plots_service.search_plots(
            session, plots_service.PlotQuery(status=(plots_service.PlotStatus.LISTED,))
        )
        plots = plots_service.get_plots(session, listed.codes)
        plots_service.export_plots(session, ctx.out / "plots.gpkg")
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
    from landplots import service as plots_service

    with make_session_factory(ctx.engine)() as session:
        covered = plots_service.assessments_for_plot(session, project.plot)
        plot = plots_service.get_plot(session, project.plot)
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
            f"并联审批比逐项串联节省 {p.parallel_saving} 个工作日（{p.serial} → {p.makespan}）。",
            f"Parallel review saves {p.parallel_saving} working days against one after another ({p.serial} → {p.makespan}).",
        ),
        style="bold green",
    )
    ctx.console.print(
        ctx.t(
            f"已写入 {ctx.out / 'plan.json'}、plan.bpmn、plan.ics",
            f"wrote {ctx.out / 'plan.json'}, plan.bpmn, plan.ics",
        )
    )
    return catalogue, p


def run_demo(engine: Engine, out: Path, console: Console, lang: str = "zh") -> None:
    out.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(engine, out, console, lang)
    step_plots(ctx)
    step_plan(ctx)
