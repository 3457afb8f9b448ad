"""``onetrip serve``: the HTTP app (API under /api, OGC API – Features under /ogc)."""

from __future__ import annotations

import os

import click

from api.cli.common import CliContext, open_engine, pass_cli, resolve_db_url


@click.command("serve")
@click.option("--db", "db_url", metavar="URL", default=None, help="数据库地址 / database URL")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="进程数 / worker processes",
)
@pass_cli
def serve_command(
    cli_ctx: CliContext, db_url: str | None, host: str, port: int, workers: int
) -> None:
    """启动 HTTP 服务。Serve the HTTP app."""
    import uvicorn

    url = resolve_db_url(cli_ctx, db_url)
    open_engine(cli_ctx, url).dispose()  # migrate once, before the workers start
    os.environ["DATABASE_URL"] = url
    cli_ctx.err.print(
        cli_ctx.t(
            f"onetrip 服务：http://{host}:{port}（数据库 {url}）",
            f"onetrip serving on http://{host}:{port} (database {url})",
        )
    )
    uvicorn.run(
        "api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


COMMANDS = [serve_command]
