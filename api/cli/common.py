"""Helpers shared by the CLI commands: context, errors, database opening."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from api.settings import Settings

if TYPE_CHECKING:  # the database layers load only when a command needs them (fast start-up)
    from rich.console import Console
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


@dataclass
class CliContext:
    """The settings, and rich consoles made when first used (``onetrip plan --format json``
    writes no rich output and does not import rich)."""

    settings: Settings

    @cached_property
    def console(self) -> Console:
        return _console()

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False)

    @property
    def lang(self) -> str:
        return self.settings.lang

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh


def _console() -> Console:
    """A console that is wide enough for plan tables when stdout is a file or a pipe."""
    from rich.console import Console

    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console = Console(soft_wrap=False, width=160)
    return console


pass_cli = click.make_pass_decorator(CliContext)

#: Whether :func:`api.cli.main` runs as the process's entry point (the console script or
#: ``python -m api.cli``), and what commands handed over to be dropped with the process.
_process: dict[str, Any] = {"entry": False, "kept": []}


def keep_until_exit(*objects: object) -> None:
    """When the process ends right after this command, let it end without freeing
    ``objects`` one by one (a 100,000-item plan is millions of objects: a tenth of a second
    of deallocation that nobody waits for).  In any other caller (tests, an embedding
    program) this does nothing and the objects are freed as usual."""
    if _process["entry"]:
        _process["kept"].append(objects)


def process_ends_here() -> bool:
    """Whether objects handed to :func:`keep_until_exit` live until the process ends."""
    return bool(_process["kept"])


def exit_now(code: int) -> None:
    """End the process without tearing the interpreter down when a command kept objects
    (:func:`keep_until_exit`); output is flushed first.  Otherwise return."""
    if not _process["kept"]:
        return
    import os

    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # a closed pipe: nothing more can be written anyway
            stream.flush()
    os._exit(code)


DB_OPTION_HELP = "数据库地址 / database URL (default: $DATABASE_URL, else onetrip.sqlite3)"


def db_option(f):
    return click.option("--db", "db_url", metavar="URL", default=None, help=DB_OPTION_HELP)(f)


def fail(ctx: click.Context, message: str, code: int = 1) -> NoReturn:
    click.echo(f"onetrip: {'错误' if _zh(ctx) else 'error'}: {message}", err=True)
    ctx.exit(code)
    raise SystemExit(code)  # unreachable; for type checkers


def _zh(ctx: click.Context) -> bool:
    obj = ctx.find_object(CliContext)
    return not obj or obj.lang == "zh"


def resolve_db_url(cli_ctx: CliContext, db_url: str | None) -> str:
    from storage.engine import normalize_url

    return normalize_url(db_url or cli_ctx.settings.database_url)


def database_exists(url: str) -> bool:
    """False only for a SQLite file that does not exist yet (a server database is assumed)."""
    from sqlalchemy.engine import make_url

    from storage.engine import is_sqlite

    if is_sqlite(url):
        database = make_url(url).database
        return bool(database) and (database == ":memory:" or Path(database).exists())
    return True


def open_engine(cli_ctx: CliContext, db_url: str | None, *, migrate: bool = True) -> Engine:
    """An engine for the database whose schema is at the latest migration when ``migrate``.

    A SQLite file is upgraded in place (the embedded default needs no step); a PostgreSQL
    database that is behind is refused with the command that fixes it (``onetrip migrate``),
    since several servers and workers share it and one deploy step migrates it.
    """
    from migrations.runner import SchemaBehind, ensure_schema, head_revision
    from storage.engine import make_engine

    url = resolve_db_url(cli_ctx, db_url)
    engine = make_engine(url)
    if migrate:
        try:
            before = ensure_schema(engine)
        except SchemaBehind as e:
            engine.dispose()
            ctx = click.get_current_context()
            fail(ctx, str(e).split(" / ")[0 if cli_ctx.lang == "zh" else 1])
        if before is not None:
            cli_ctx.err.print(
                cli_ctx.t(
                    f"数据库已升级：{before or '空'} → {head_revision()}",
                    f"database upgraded: {before or 'empty'} → {head_revision()}",
                ),
                style="dim",
            )
    return engine


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A unit of work: committed when the block succeeds, rolled back when it raises."""
    from storage.engine import begin_write, make_session_factory

    session = make_session_factory(engine)()
    if write:
        begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
