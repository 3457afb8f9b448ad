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


def step_plan(ctx: DemoContext) -> tuple[Catalogue, Plan]:
    """Load the default catalogue, plan the sample project, write plan.json/.bpmn/.ics."""
    with make_session_factory(ctx.engine)() as session:
        begin_write(session)
        ensure_default_catalogue(session)
        catalogue = active_catalogue(session)
        calendar = work_calendar(session)
        session.commit()
    project = sample_project()
    ctx.heading("一、并联审批计划", "1. The parallel approval plan")
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
    step_plan(ctx)
