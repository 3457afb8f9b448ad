"""``onetrip backup`` and ``onetrip restore``."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import CliContext, db_option, fail, pass_cli, resolve_db_url
from storage.backup import BackupError, backup, restore


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@db_option
@pass_cli
@click.pass_context
def backup_command(
    ctx: click.Context, cli_ctx: CliContext, target: str, db_url: str | None
) -> None:
    """在线备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump）。Back up the database."""
    url = resolve_db_url(cli_ctx, db_url)
    try:
        path = backup(url, Path(target))
    except BackupError as e:
        fail(ctx, str(e))
    cli_ctx.console.print(
        cli_ctx.t(
            f"已备份到 {path}（{path.stat().st_size} 字节）",
            f"backed up to {path} ({path.stat().st_size} bytes)",
        )
    )


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="不再确认 / do not ask for confirmation")
@db_option
@pass_cli
@click.pass_context
def restore_command(
    ctx: click.Context, cli_ctx: CliContext, source: str, yes: bool, db_url: str | None
) -> None:
    """用备份替换数据库（会覆盖当前数据）。Replace the database with a backup."""
    url = resolve_db_url(cli_ctx, db_url)
    if not yes:
        click.confirm(
            cli_ctx.t(f"用 {source} 替换 {url}？", f"replace {url} with {source}?"), abort=True
        )
    try:
        restore(url, Path(source))
    except BackupError as e:
        fail(ctx, str(e))
    cli_ctx.console.print(cli_ctx.t(f"已从 {source} 恢复", f"restored from {source}"))


COMMANDS = [backup_command, restore_command]
