"""``onetrip worker`` (run background jobs) and ``onetrip jobs`` (their state, the day's run now)."""

from __future__ import annotations

import json

import click

from api.cli.common import CliContext, db_option, fail, open_engine, pass_cli, resolve_db_url


@click.command("worker")
@db_option
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 32),
    help="同时运行的任务数 / jobs run at the same time",
)
@click.option(
    "--stalled-after",
    default=30.0,
    show_default=True,
    type=click.FloatRange(2, 3600),
    help="多少秒无心跳视为进程已死，其任务重新排队 / seconds without heartbeat before a worker's jobs are retried",
)
@click.option(
    "--heartbeat",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 600),
    help="心跳间隔秒数 / seconds between heartbeats",
)
@pass_cli
@click.pass_context
def worker_command(
    ctx: click.Context,
    cli_ctx: CliContext,
    db_url: str | None,
    concurrency: int,
    stalled_after: float,
    heartbeat: float,
) -> None:
    """运行后台任务（PostgreSQL 任务队列）。Run background jobs from the PostgreSQL job queue.

    Any number of workers, on any machines, share the queue: each job runs once, failures are
    retried with backoff, the daily run (ONETRIP_DAILY_AT, China time) is scheduled once per day.
    """
    from api.clock import Clock
    from api.jobs import resolve_backend
    from api.jobs.queue import build_worker_app
    from api.jobs.work import worker_name

    url = resolve_db_url(cli_ctx, db_url)
    try:
        backend = resolve_backend("queue", url)
    except ValueError as e:
        fail(ctx, str(e))
    assert backend == "queue"
    open_engine(cli_ctx, url).dispose()  # the queue's schema comes with the migrations
    if heartbeat * 2 > stalled_after:
        fail(
            ctx,
            cli_ctx.t(
                "--stalled-after 至少应为 --heartbeat 的两倍",
                "--stalled-after must be at least twice --heartbeat",
            ),
        )
    from api.ops import configure_logging

    configure_logging(cli_ctx.settings.log_format, cli_ctx.settings.log_level)
    app = build_worker_app(
        url,
        Clock(cli_ctx.settings.today),
        daily_at=cli_ctx.settings.daily_at,
        stalled_after=stalled_after,
    )
    name = worker_name()
    cli_ctx.err.print(
        cli_ctx.t(
            f"onetrip 后台任务进程 {name}（并发 {concurrency}，每日任务 {cli_ctx.settings.daily_at or '关闭'}）",
            f"onetrip worker {name} (concurrency {concurrency}, daily run {cli_ctx.settings.daily_at or 'off'})",
        )
    )
    app.run_worker(
        concurrency=concurrency,
        name=name,
        update_heartbeat_interval=heartbeat,
        stalled_worker_timeout=stalled_after,
        delete_jobs="successful",
    )


@click.group("jobs")
def jobs_group() -> None:
    """后台任务：状态与手动运行。Background jobs: their state, and the day's run on demand."""


@jobs_group.command("status")
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_cli
def status_command(cli_ctx: CliContext, db_url: str | None, fmt: str) -> None:
    """队列深度、最近运行与失败。Queue depth, recent runs and failures."""
    from api.cli.common import session_scope
    from api.jobs.status import job_status

    url = resolve_db_url(cli_ctx, db_url)
    engine = open_engine(cli_ctx, url)
    try:
        with session_scope(engine) as session:
            status = job_status(session, url, cli_ctx.settings.jobs)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(status, ensure_ascii=False, default=str))
        return
    cli_ctx.console.print(
        cli_ctx.t(f"任务引擎：{status['backend']}", f"job engine: {status['backend']}")
    )
    if status["queue"] is not None:
        cli_ctx.console.print(
            "  " + "，".join(f"{k} {v}" for k, v in sorted(status["queue"].items()))
        )
    for run in status["runs"]:
        cli_ctx.console.print(
            f"  {run['name']} {run['run_key']}: {run['status']} "
            f"({run['attempts']}×, {run['worker']})"
            + (f" — {run['error'].strip().splitlines()[-1]}" if run["error"] else "")
        )


@jobs_group.command("run-daily")
@db_option
@click.option("--date", "day", metavar="YYYY-MM-DD", default=None)
@pass_cli
@click.pass_context
def run_daily_command(
    ctx: click.Context, cli_ctx: CliContext, db_url: str | None, day: str | None
) -> None:
    """立即运行当日任务（已运行过则不重复）。Run the day's jobs now (once per day).

    On PostgreSQL the run is put in the queue for the workers; on SQLite it runs here.
    """
    from datetime import date

    from api.clock import Clock
    from api.jobs import resolve_backend, work

    try:
        on = date.fromisoformat(day) if day else Clock(cli_ctx.settings.today).today()
    except ValueError:
        fail(
            ctx,
            cli_ctx.t(f"日期无效：{day}（应为 YYYY-MM-DD）", f"invalid date: {day} (YYYY-MM-DD)"),
        )
    url = resolve_db_url(cli_ctx, db_url)
    engine = open_engine(cli_ctx, url)
    try:
        if resolve_backend(cli_ctx.settings.jobs, url) == "queue":
            from api.jobs.queue import QueueJobs

            jobs = QueueJobs(url)
            jobs.start()
            try:
                job_id = jobs.defer_daily(on.isoformat())
            finally:
                jobs.close()
            cli_ctx.console.print(
                cli_ctx.t(
                    f"已加入队列：当日任务 {on}（任务 {job_id}）",
                    f"queued: daily run {on} (job {job_id})",
                )
            )
            return
        from storage.engine import make_session_factory

        result = work.run_daily(make_session_factory(engine, write=True), on)
    finally:
        engine.dispose()
    if result is None:
        cli_ctx.console.print(
            cli_ctx.t(f"{on} 的当日任务已运行过。", f"the daily run of {on} is done already.")
        )
    else:
        click.echo(json.dumps(result, ensure_ascii=False))


@jobs_group.command("ping")
@db_option
@click.option("--timeout", type=float, default=10.0, show_default=True, help="秒 / seconds")
@pass_cli
@click.pass_context
def ping_command(
    ctx: click.Context, cli_ctx: CliContext, db_url: str | None, timeout: float
) -> None:
    """检查是否有进程在处理任务队列。Check that a worker is consuming the job queue.

    Exit 0 when a worker ran the ping within ``--timeout`` seconds, 1 otherwise; on SQLite the
    jobs run inside ``onetrip serve`` and there is no queue to ping.
    """
    from api.jobs import resolve_backend

    url = resolve_db_url(cli_ctx, db_url)
    if resolve_backend(cli_ctx.settings.jobs, url) != "queue":
        cli_ctx.console.print(
            cli_ctx.t(
                "内嵌任务引擎：后台任务在 onetrip serve 进程内运行，无需单独的 worker。",
                "inline job engine: background jobs run inside onetrip serve; there is no worker.",
            )
        )
        return
    from api.jobs.queue import QueueJobs

    jobs = QueueJobs(url)
    try:
        jobs.start()
        answered, seconds = jobs.ping(timeout)
    except Exception as exc:  # the queue itself is unreachable
        fail(ctx, cli_ctx.t(f"任务队列不可达：{exc}", f"job queue unreachable: {exc}"))
    finally:
        jobs.close()
    if not answered:
        fail(
            ctx,
            cli_ctx.t(
                f"{timeout:g} 秒内没有 worker 处理任务（请运行 onetrip worker）",
                f"no worker ran the ping within {timeout:g} s (start onetrip worker)",
            ),
        )
    cli_ctx.console.print(
        cli_ctx.t(
            f"worker 已响应：{seconds * 1000:.0f} 毫秒",
            f"a worker answered in {seconds * 1000:.0f} ms",
        )
    )


COMMANDS = [worker_command, jobs_group]
