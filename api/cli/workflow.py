"""``onetrip workflow``: the daily clock scan (escalations, early starts)."""

from __future__ import annotations

import click

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from api.clock import Clock
from approvals.service import work_calendar
from approvals.services.clocks import scan_clocks


@click.group("workflow")
def workflow_group() -> None:
    """并联审批流程：时限巡检。The review workflow."""


@workflow_group.command("scan")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="巡检日期 / the day to scan (default today in China)",
)
@db_option
@pass_cli
def scan_command(cli_ctx: CliContext, on, db_url: str | None) -> None:
    """记录超期督办、放行提前介入事项。Record escalations of overdue tasks; release early starts."""
    engine = open_engine(cli_ctx, db_url)
    day = on.date() if on else Clock(cli_ctx.settings.today).today()
    with session_scope(engine, write=True) as session:
        raised = scan_clocks(session, day, work_calendar(session))
        n = len(raised)
    cli_ctx.console.print(cli_ctx.t(f"{day}：新增督办 {n} 件", f"{day}: {n} new escalations"))


COMMANDS = [workflow_group]
