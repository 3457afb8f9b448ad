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

    from api.ops import configure_logging

    url = resolve_db_url(cli_ctx, db_url)
    # SQLite: migrated here, once, before the processes start; PostgreSQL: refused when behind
    open_engine(cli_ctx, url).dispose()
    os.environ["DATABASE_URL"] = url
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics of any process reports all of them (prometheus-client's multiprocess mode)
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="onetrip-metrics-")
    configure_logging(cli_ctx.settings.log_format, cli_ctx.settings.log_level)
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
        log_config=None,  # our handlers (text or JSON lines, with request ids), not uvicorn's
    )


COMMANDS = [serve_command]
