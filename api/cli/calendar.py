"""``onetrip calendar``: load a year's holiday arrangement, show what the calendar knows."""

from __future__ import annotations

import click
from rich.table import Table

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from api.clock import Clock
from approvals.calendar import MAX_YEAR, MIN_YEAR, builtin_arrangements, parse_arrangement
from approvals.documents import read_document
from approvals.service import store_arrangement, work_calendar
from approvals.services.progress import replan_open_projects


@click.group("calendar")
def calendar_group() -> None:
    """工作日历：导入年度节假日安排。The working-day calendar."""


@calendar_group.command("load")
@click.argument("path", metavar="FILE")
@db_option
@pass_cli
def load_command(cli_ctx: CliContext, path: str, db_url: str | None) -> None:
    """导入某年的节假日安排（国务院办公厅通知）。Load a year's holiday arrangement (JSON/YAML)."""
    arrangement = parse_arrangement(read_document(path), path)
    engine = open_engine(cli_ctx, db_url)
    replaces = arrangement.year in builtin_arrangements()
    with session_scope(engine, write=True) as session:
        previous = work_calendar(session)
        store_arrangement(session, arrangement, by="cli")
        # open projects follow the new calendar, as when it is loaded in the pages or the API
        replan_open_projects(
            session, Clock(cli_ctx.settings.today).today(), work_calendar(session), previous
        )
    cli_ctx.console.print(
        cli_ctx.t(
            f"已导入 {arrangement.year} 年节假日安排：放假 {len(arrangement.holidays)} 天，调休上班 {len(arrangement.workdays)} 天"
            + ("（覆盖内置数据）" if replaces else ""),
            f"loaded the {arrangement.year} arrangement: {len(arrangement.holidays)} days off, {len(arrangement.workdays)} make-up working days"
            + (" (replaces the built-in year)" if replaces else ""),
        )
    )


@calendar_group.command("show")
@click.argument("year", type=click.IntRange(MIN_YEAR, MAX_YEAR))
@db_option
@pass_cli
def show_command(cli_ctx: CliContext, year: int, db_url: str | None) -> None:
    """显示某年的放假与调休安排。Show a year's days off and make-up working days."""
    engine = open_engine(cli_ctx, db_url)
    with session_scope(engine) as session:
        calendar = work_calendar(session)
    arrangement = calendar.arrangement(year)
    if arrangement is None:
        cli_ctx.console.print(
            cli_ctx.t(
                f"{year} 年的节假日安排未知：该年日期仅按周末推算（暂定）。请用 `onetrip calendar load` 导入。",
                f"the {year} arrangement is unknown: dates count weekdays only (provisional). Load it with `onetrip calendar load`.",
            )
        )
        return
    table = Table(
        *cli_ctx.t("日期,类别,名称", "date,kind,name").split(","),
        title=f"{year} — {arrangement.source}",
    )
    days = [(d, cli_ctx.t("放假", "day off"), n) for d, n in arrangement.holidays.items()]
    days += [
        (d, cli_ctx.t("调休上班", "make-up working day"), n)
        for d, n in arrangement.workdays.items()
    ]
    for d, kind, name in sorted(days):
        table.add_row(d.isoformat(), kind, name)
    cli_ctx.console.print(table)


COMMANDS = [calendar_group]
