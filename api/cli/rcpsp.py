"""``onetrip rcpsp``: solve one PSPLIB ``.sm`` instance (resource-constrained scheduling)."""

from __future__ import annotations

import json

import click

from api.cli.common import CliContext, fail, pass_cli


@click.command("rcpsp")
@click.argument("path", metavar="FILE.sm", type=click.Path(dir_okay=False))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.01, max=3600),
    default=1.0,
    show_default=True,
    help="墙钟秒数 / wall-clock seconds",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="线程数 / threads (default: all cores)",
)
@pass_cli
@click.pass_context
def rcpsp_command(
    ctx: click.Context,
    cli_ctx: CliContext,
    path: str,
    time_limit: float,
    fmt: str,
    seed: int,
    workers: int | None,
) -> None:
    """求解资源受限项目调度问题（PSPLIB .sm）。Solve a PSPLIB .sm instance within the time limit."""
    from approvals.rcpsp import RcpspError, engine_status, solve, validate_schedule, warm_up
    from approvals.rcpsp.psplib import load_sm

    # Load the compiled search kernels (numba cache, ~1 s; compiled once, in a child process,
    # at install by .ci/run or on the first run) before the clock starts: the time limit is the
    # solver's, and without the kernels the search falls back to CP-SAT alone — said on stderr.
    ready = warm_up(block=True, timeout=5.0)
    if not ready and engine_status().state == "loading":
        # a warm cache only links machine code: on a busy machine that can take longer than
        # 5 s, and it does finish — wait for it rather than solve without the engine
        ready = warm_up(block=True, timeout=60.0)
    if not ready:
        status = engine_status()
        why = status.reason or status.state
        click.echo(
            f"onetrip: 提示: 编译的调度引擎暂不可用（{why}），本次仅用 CP-SAT 求解"
            if cli_ctx.lang == "zh"
            else f"onetrip: note: the compiled scheduling engine is not available ({why}); "
            "solving with CP-SAT alone",
            err=True,
        )

    try:
        instance = load_sm(path)
    except FileNotFoundError:
        fail(ctx, f"{path}：文件不存在" if cli_ctx.lang == "zh" else f"{path}: no such file")
    except (RcpspError, UnicodeDecodeError, OSError) as e:
        fail(ctx, f"{path}：{e}" if cli_ctx.lang == "zh" else f"{path}: {e}")
    try:
        schedule = solve(instance, time_limit, seed=seed, workers=workers)
        validate_schedule(instance, schedule.starts)
    except RcpspError as e:
        fail(ctx, str(e))
    result = schedule.to_psplib_dict(instance)
    if fmt == "json":
        click.echo(json.dumps(result))
        return
    cli_ctx.console.print(
        f"makespan {schedule.makespan} (lower bound {schedule.lower_bound:g}, {schedule.method})"
    )
    for label, start in result["start"].items():  # type: ignore[union-attr]
        cli_ctx.console.print(f"  job {label}: start {start}")


COMMANDS = [rcpsp_command]
