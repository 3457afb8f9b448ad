"""``onetrip demo``: the whole platform on sample data, on a fresh database."""

from __future__ import annotations

from pathlib import Path

import click

from api.cli.common import CliContext, pass_cli, resolve_db_url
from api.demo import run_demo
from migrations.runner import reset_database, upgrade
from storage.engine import is_sqlite, make_engine


@click.command("demo")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    help="演示数据库（会被清空重建）/ demo database, wiped first (default: a SQLite file in --out)",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="onetrip-demo",
    show_default=True,
    help="输出目录 / output folder",
)
@pass_cli
def demo_command(cli_ctx: CliContext, db_url: str | None, out_dir: str) -> None:
    """演示：事项清单、示例项目及其并联审批计划。Run the demo on sample data."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    url = resolve_db_url(cli_ctx, db_url or f"sqlite:///{out / 'onetrip-demo.sqlite3'}")
    if is_sqlite(url):
        from sqlalchemy.engine import make_url

        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    if not is_sqlite(url):
        cli_ctx.err.print(
            cli_ctx.t(
                f"演示将清空数据库 {engine.url.render_as_string()}",
                f"the demo wipes {engine.url.render_as_string()}",
            )
        )
        reset_database(engine)
    upgrade(engine)
    try:
        run_demo(engine, out, cli_ctx.console, cli_ctx.lang)
    finally:
        engine.dispose()


COMMANDS = [demo_command]
