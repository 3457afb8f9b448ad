"""``onetrip agents``: the daily alert scan and each agent's digest (每日提醒).

The domain is imported when a command runs, not when the CLI starts (other commands stay fast).
"""

from __future__ import annotations

from datetime import date

import click

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from api.clock import Clock
from approvals.errors import CalendarError


def _day(cli_ctx: CliContext, value: str | None) -> date:
    if value is None:
        return Clock(cli_ctx.settings.today).today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CalendarError(
            f"--date：'{value}' 不是有效日期（应为 YYYY-MM-DD）",
            f"--date: '{value}' is not a date (YYYY-MM-DD)",
        ) from None


DATE_HELP = "日期 / the day (YYYY-MM-DD; default: today in China, or $ONETRIP_TODAY)"


@click.group("agents")
def agents_group() -> None:
    """代办员：风险巡检与每日提醒。Proxy agents: the alert scan and the daily digest."""


@agents_group.command("scan")
@db_option
@click.option("--date", "day", metavar="YYYY-MM-DD", default=None, help=DATE_HELP)
@pass_cli
def scan_command(cli_ctx: CliContext, db_url: str | None, day: str | None) -> None:
    """风险巡检：把当日提醒放入各代办员的收件箱（每日一次，可重复运行）。Run the day's alert scan."""
    from agent_service.services.alert_scan import scan_alerts
    from api.agent_ports import AGENT_CHECKPOINTS
    from approvals.service import work_calendar

    on = _day(cli_ctx, day)
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine, write=True) as session:
            result = scan_alerts(session, on, work_calendar(session), checkpoints=AGENT_CHECKPOINTS)
    finally:
        engine.dispose()
    cli_ctx.console.print(
        cli_ctx.t(
            f"{on} 风险巡检：{result.projects} 个项目，{result.at_risk} 个存在风险，提醒 {len(result.alerts)} 条（新增 {result.new} 条）",
            f"{on} alert scan: {result.projects} projects, {result.at_risk} at risk, {len(result.alerts)} alerts ({result.new} new)",
        )
    )


@agents_group.command("digest")
@db_option
@click.option("--date", "day", metavar="YYYY-MM-DD", default=None, help=DATE_HELP)
@click.option(
    "--agent", "username", metavar="USERNAME", default=None, help="只看一位代办员 / one agent only"
)
@click.option(
    "--no-scan",
    is_flag=True,
    default=False,
    help="不先运行当日巡检，只读取收件箱 / read the inbox without scanning first",
)
@pass_cli
def digest_command(
    cli_ctx: CliContext, db_url: str | None, day: str | None, username: str | None, no_scan: bool
) -> None:
    """每日提醒：按代办员列出当日风险、里程碑、联席会议与跟进事项。Print the day's digest per agent.

    The day's scan runs first (it is idempotent), unless --no-scan.
    """
    from agent_service.digest import format_digest
    from agent_service.services.alert_scan import scan_alerts
    from agent_service.services.digest import digest
    from api.agent_ports import AGENT_CHECKPOINTS
    from approvals.service import work_calendar

    on = _day(cli_ctx, day)
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine, write=not no_scan) as session:
            calendar = work_calendar(session)
            if not no_scan:
                scan_alerts(session, on, calendar, checkpoints=AGENT_CHECKPOINTS)
            digests = digest(
                session, on, calendar, username=username, checkpoints=AGENT_CHECKPOINTS
            )
    finally:
        engine.dispose()
    if not digests:
        cli_ctx.console.print(cli_ctx.t("没有代办员。", "no agents."))
        return
    for d in digests:
        for line in format_digest(d, cli_ctx.lang):  # type: ignore[arg-type]
            click.echo(line)
        click.echo("")


COMMANDS = [agents_group]
