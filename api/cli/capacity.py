"""``onetrip capacity``: reviewers per department and capacity-aware forecasts."""

from __future__ import annotations

import click
from rich.table import Table

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from api.clock import Clock
from approvals.service import work_calendar
from approvals.services.capacity import (
    department_queue,
    recompute,
    reviewers_by_department,
    set_reviewers,
)


@click.group("capacity")
def capacity_group() -> None:
    """部门审查能力与排队预测。Department capacity and capacity-aware forecasts."""


@capacity_group.command("set")
@click.argument("department")
@click.argument("reviewers", type=int)
@db_option
@pass_cli
def set_command(cli_ctx: CliContext, department: str, reviewers: int, db_url: str | None) -> None:
    """设置部门每个工作日的审查人员数。Set a department's reviewers per working day."""
    engine = open_engine(cli_ctx, db_url)
    with session_scope(engine, write=True) as session:
        set_reviewers(session, department, reviewers)
    cli_ctx.console.print(
        cli_ctx.t(f"{department}：审查人员 {reviewers} 人", f"{department}: {reviewers} reviewers")
    )


@capacity_group.command("recompute")
@click.option(
    "--full", is_flag=True, help="完整优化（否则增量更新）/ full optimisation (else incremental)"
)
@click.option("--time-limit", type=click.FloatRange(0.05, 600), default=3.0, show_default=True)
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="今天 / today (default: the date in China)",
)
@db_option
@pass_cli
def recompute_command(
    cli_ctx: CliContext, full: bool, time_limit: float, on, db_url: str | None
) -> None:
    """按部门审查能力重新预测所有在办任务。Recompute the forecast of every open task under capacity."""
    engine = open_engine(cli_ctx, db_url)
    today = on.date() if on else Clock(cli_ctx.settings.today).today()
    with session_scope(engine, write=True) as session:
        run = recompute(
            session, today, work_calendar(session), full=full, time_limit=time_limit, reason="cli"
        )
        summary = (run.method, run.tasks, run.projects, run.objective, run.seconds)
    cli_ctx.console.print(
        cli_ctx.t(
            f"{summary[0]}：{summary[1]} 个任务、{summary[2]} 个项目，目标值 {summary[3]:g}，用时 {summary[4]:.2f} 秒",
            f"{summary[0]}: {summary[1]} tasks, {summary[2]} projects, objective {summary[3]:g}, {summary[4]:.2f} s",
        )
    )


@capacity_group.command("show")
@click.argument("department", required=False)
@db_option
@pass_cli
def show_command(cli_ctx: CliContext, department: str | None, db_url: str | None) -> None:
    """显示部门审查人员数，或某部门的工作顺序。Show reviewers, or one department's queue."""
    engine = open_engine(cli_ctx, db_url)
    with session_scope(engine) as session:
        if department is None:
            table = Table(*cli_ctx.t("部门,审查人员", "department,reviewers").split(","))
            for code, n in sorted(reviewers_by_department(session).items()):
                table.add_row(code, str(n))
        else:
            table = Table(
                *cli_ctx.t(
                    "顺序,项目,事项,状态,预计开始,预计完成", "rank,project,item,status,start,finish"
                ).split(",")
            )
            for row in department_queue(session, department):
                table.add_row(
                    str(row["rank"]),
                    row["project_code"],
                    row["step_code"],
                    row["status"],
                    row["start_on"],
                    row["finish_on"],
                )
    cli_ctx.console.print(table)


COMMANDS = [capacity_group]
