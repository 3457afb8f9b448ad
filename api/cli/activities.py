"""``onetrip backfill-activities``: give projects filed before the two clocks were kept their
enterprise's and intermediaries' activities and the activities' place in the graph (补录)."""

from __future__ import annotations

import click

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from api.clock import Clock
from approvals.service import work_calendar
from approvals.services.intermediaries import backfill_activities
from landplots.services.registry import PLOT_ASSESSMENTS


@click.command("backfill-activities")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="重新预测的日期 / the day the forecasts are made on (default today in China)",
)
@db_option
@pass_cli
def backfill_command(cli_ctx: CliContext, on, db_url: str | None) -> None:
    """补录企业与中介活动（按项目申报时的事项清单版本），并按两个时钟重新预测。可重复执行。
    Plan and store the activities of projects filed without them (from their catalogue version)
    and re-forecast them on both clocks; running it again changes nothing."""
    engine = open_engine(cli_ctx, db_url)
    day = on.date() if on else Clock(cli_ctx.settings.today).today()
    with session_scope(engine, write=True) as session:
        n = backfill_activities(session, work_calendar(session), day, PLOT_ASSESSMENTS)
    cli_ctx.console.print(
        cli_ctx.t(f"已补录 {n} 个项目的企业与中介活动", f"{n} project(s) filled in")
    )
