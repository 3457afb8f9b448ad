"""The ``onetrip`` command line.

Every command gets its settings from the environment when it runs (never at import), prints one
clear line on bad input (exit 1; usage errors exit 2), and never a traceback unless
``ONETRIP_DEBUG=1``.  Command groups live in sibling modules and register themselves here.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from api.cli.common import CliContext, _process, exit_now, fail
from api.configure import configure_process
from api.settings import Settings
from i18n import LocalizedError

#: Commands by name → "module:attribute", imported only when used (``onetrip rcpsp`` and
#: ``onetrip --help`` do not pay for the GIS stack, the ORM or the web framework).
LAZY_COMMANDS = {
    "plan": "api.cli.plan:plan_command",
    "demo": "api.cli.demo:demo_command",
    "catalog": "api.cli.catalog:catalog_group",
    "calendar": "api.cli.calendar:calendar_group",
    "db": "api.cli.db:db_group",
    "migrate": "api.cli.db:migrate_command",
    "serve": "api.cli.serve:serve_command",
    "workflow": "api.cli.workflow:workflow_group",
    "backfill-activities": "api.cli.activities:backfill_command",
    "plots": "api.cli.plots:plots_group",
    "backup": "api.cli.backup:backup_command",
    "restore": "api.cli.backup:restore_command",
    "rcpsp": "api.cli.rcpsp:rcpsp_command",
    "capacity": "api.cli.capacity:capacity_group",
    "agents": "api.cli.agents:agents_group",
    "ledger": "api.cli.commitments:ledger_group",
    "monitor": "api.cli.commitments:monitor_group",
    "report": "api.cli.commitments:report_group",
    "commitments": "api.cli.commitments:commitments_group",
    "worker": "api.cli.worker:worker_command",
    "jobs": "api.cli.worker:jobs_group",
}


class OnetripGroup(click.Group):
    """Loads commands lazily, and maps domain errors to one clear line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            import importlib

            module, attribute = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            command.name = cmd_name
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except LocalizedError as e:
            fail(ctx, e.text(_lang(ctx)))
        except KeyboardInterrupt:
            fail(ctx, "已中断" if _lang(ctx) == "zh" else "interrupted", code=130)
        except Exception as e:
            from sqlalchemy.exc import OperationalError, SQLAlchemyError

            if isinstance(e, OperationalError):
                reason = str(e.orig).strip().splitlines()[0] if e.orig else str(e)
                fail(
                    ctx,
                    f"数据库不可用：{reason}"
                    if _lang(ctx) == "zh"
                    else f"database unavailable: {reason}",
                )
            if _debug(ctx):
                raise
            if isinstance(e, SQLAlchemyError):
                fail(
                    ctx,
                    f"数据库错误：{type(e).__name__}"
                    if _lang(ctx) == "zh"
                    else f"database error: {type(e).__name__}",
                    code=70,
                )
            msg = f"{type(e).__name__}: {e}"
            fail(
                ctx,
                (
                    f"内部错误：{msg}（设置 ONETRIP_DEBUG=1 查看详细信息）"
                    if _lang(ctx) == "zh"
                    else f"internal error: {msg} (set ONETRIP_DEBUG=1 for the traceback)"
                ),
                code=70,
            )


def _lang(ctx: click.Context) -> str:
    obj = ctx.find_object(CliContext)
    return obj.settings.lang if obj else "zh"


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(CliContext)
    return bool(obj and obj.settings.debug)


@click.group(
    cls=OnetripGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="界面语言 / output language (ONETRIP_LANG).",
)
@click.version_option(package_name="onetrip", prog_name="onetrip")
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """onetrip：投资项目并联审批、标准地与承诺制监管平台。

    onetrip — parallel approval (并联审批), standard plots (标准地) and signed commitments (承诺制)
    for investment projects.
    """
    try:
        settings = Settings.from_env(lang=lang)
    except ValueError as e:  # a malformed environment variable: name it, exit 2 (usage)
        click.echo(f"onetrip: 配置错误 / configuration error: {e}", err=True)
        ctx.exit(2)
    configure_process(settings)
    ctx.obj = CliContext(settings)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors too are one line (exit 2).

    Without ``argv`` this is the process's own command line: a command may then let the
    process end without freeing what it built (:func:`api.cli.common.keep_until_exit`)."""
    _process["entry"] = argv is None
    try:
        rv = cli.main(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="onetrip",
            standalone_mode=False,
        )
    except click.exceptions.UsageError as e:
        hint = f" (see '{e.ctx.command_path} --help')" if e.ctx else ""
        click.echo(f"onetrip: 用法错误 usage error: {e.format_message()}{hint}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.ClickException as e:
        click.echo(f"onetrip: 错误 error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("onetrip: 已中止 aborted", err=True)
        sys.exit(1)
    code = rv if isinstance(rv, int) else 0
    exit_now(code)
    sys.exit(code)
