"""``onetrip db``: migrations."""

from __future__ import annotations

import click

from api.cli.common import CliContext, db_option, open_engine, pass_cli
from migrations.runner import current_revision, downgrade, head_revision, upgrade


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


@click.command("migrate")
@click.option(
    "--show", is_flag=True, help="只显示版本，不升级 / show the revisions, change nothing"
)
@db_option
@pass_cli
@click.pass_context
def migrate_command(
    ctx: click.Context, cli_ctx: CliContext, show: bool, db_url: str | None
) -> None:
    """升级数据库到最新版本（部署时运行一次）。Upgrade the database to the latest revision.

    Run once per deployment, before the servers and workers start: on PostgreSQL they refuse
    a schema that is behind.  ``--show`` prints the current and the latest revision and exits
    1 when the database is behind (for scripts).
    """
    engine = open_engine(cli_ctx, db_url, migrate=False)
    try:
        before, head = current_revision(engine), head_revision()
        if show:
            state = (
                cli_ctx.t("最新", "up to date") if before == head else cli_ctx.t("落后", "behind")
            )
            cli_ctx.console.print(f"current={before or 'base'} head={head} ({state})")
            if before != head:
                ctx.exit(1)
            return
        if before == head:
            cli_ctx.console.print(cli_ctx.t(f"已是最新：{head}", f"already at head: {head}"))
            return
        upgrade(engine)
        cli_ctx.console.print(
            cli_ctx.t(
                f"已升级：{before or '空'} → {head}", f"upgraded: {before or 'empty'} → {head}"
            )
        )
    finally:
        engine.dispose()


COMMANDS = [db_group, migrate_command]
