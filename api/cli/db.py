"""``onetrip db``: migrations."""

from __future__ import annotations

import click

from api.cli.common import CliContext, db_option, open_engine, pass_cli
from storage.migrate import current_revision, downgrade, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """数据库迁移。Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@db_option
@pass_cli
def upgrade_command(cli_ctx: CliContext, revision: str, db_url: str | None) -> None:
    """升级到指定版本（默认最新）。Upgrade to a revision (default: head)."""
    engine = open_engine(cli_ctx, db_url, migrate=False)
    upgrade(engine, revision)
    cli_ctx.console.print(f"{current_revision(engine)}")


@db_group.command("downgrade")
@click.argument("revision")
@db_option
@pass_cli
def downgrade_command(cli_ctx: CliContext, revision: str, db_url: str | None) -> None:
    """降级到指定版本（如 -1）。Downgrade to a revision (e.g. -1)."""
    engine = open_engine(cli_ctx, db_url, migrate=False)
    downgrade(engine, revision)
    cli_ctx.console.print(f"{current_revision(engine) or 'base'}")


@db_group.command("current")
@db_option
@pass_cli
def current_command(cli_ctx: CliContext, db_url: str | None) -> None:
    """显示当前与最新的迁移版本。Show the current and the latest revision."""
    engine = open_engine(cli_ctx, db_url, migrate=False)
    cli_ctx.console.print(f"current={current_revision(engine) or 'base'} head={head_revision()}")


COMMANDS = [db_group]
