"""``onetrip plan``: a project's parallel plan on the working-day calendar."""

from __future__ import annotations

import codecs
import gc
import os
import sys
from pathlib import Path

import click

from api.cli.common import (
    CliContext,
    database_exists,
    db_option,
    keep_until_exit,
    open_engine,
    pass_cli,
    process_ends_here,
    resolve_db_url,
    session_scope,
)
from approvals.calendar import WorkCalendar, parse_arrangement
from approvals.catalog import Catalogue, default_catalogue, parse_catalog
from approvals.documents import read_document
from approvals.plan_output import plan_json_pieces
from approvals.planning import Plan, plan
from approvals.project import Project, parse_project

# The ORM (approvals.service), the plot registry, the exports and the table are imported where
# they are used: a plan from files alone starts without SQLAlchemy.


def load_catalogue_file(path: str | None) -> Catalogue:
    if path is None:
        return default_catalogue()
    return parse_catalog(read_document(path), str(path))


def no_database(cli_ctx: CliContext, db_url: str | None) -> bool:
    """True when no database is named and the default SQLite file does not exist, decided
    without SQLAlchemy (its import is a good part of a small plan's time); any other URL is
    left to :func:`database_exists`."""
    if db_url is not None or "DATABASE_URL" in os.environ:
        return False
    url = cli_ctx.settings.database_url
    prefix = "sqlite:///"
    if not url.startswith(prefix) or any(c in url for c in "?%#"):
        return False
    path = url[len(prefix) :]
    return bool(path) and path != ":memory:" and not Path(path).expanduser().exists()


def build_calendar(cli_ctx: CliContext, db_url: str | None, files: tuple[str, ...]) -> WorkCalendar:
    """Built-in arrangements, then those loaded in the database (if there is one), then files."""
    arrangements = []
    if not no_database(cli_ctx, db_url):
        url = resolve_db_url(cli_ctx, db_url)
        explicit = db_url is not None or "DATABASE_URL" in os.environ
        if explicit or database_exists(url):
            engine = open_engine(cli_ctx, db_url, migrate=False)
            try:
                from approvals.service import loaded_arrangements
                from migrations.runner import current_revision

                if current_revision(engine) is not None:
                    with session_scope(engine) as session:
                        arrangements += loaded_arrangements(session)
            finally:
                engine.dispose()
    for f in files:
        arrangements.append(parse_arrangement(read_document(f), f))
    return WorkCalendar(arrangements)


def plot_assessments(cli_ctx: CliContext, db_url: str | None, project: Project) -> Project:
    """When the project names its plot (``"plot": "<code>"``), the regional assessments of the
    plot's zone in the registry replace the ones the project declares.

    Without a registry that knows the plot, declared assessments are kept with a warning;
    with none declared either, the plot is reported as not found (exit 1).
    """
    if not project.plot:
        return project
    from dataclasses import replace

    from sqlalchemy import inspect

    from landplots.errors import PlotNotFound
    from landplots.services.registry import assessments_for_plot

    url = resolve_db_url(cli_ctx, db_url)
    explicit = db_url is not None or "DATABASE_URL" in os.environ
    if explicit or database_exists(url):
        engine = open_engine(cli_ctx, db_url, migrate=False)
        try:
            if "landplots" in inspect(engine).get_table_names():
                with session_scope(engine) as session:
                    try:
                        covered = assessments_for_plot(session, project.plot)
                    except PlotNotFound:
                        if not project.assessments:
                            raise
                    else:
                        return replace(project, assessments=covered)
        finally:
            engine.dispose()
    if not project.assessments:
        raise PlotNotFound(project.plot)
    cli_ctx.err.print(
        cli_ctx.t(
            f"注意：登记库中没有地块 {project.plot}，按项目申报的区域评价编制计划",
            f"note: plot {project.plot} is not in the registry; planning with the project's "
            "declared regional assessments",
        ),
        style="yellow",
    )
    return project


def plan_json(p: Plan, lang: str) -> bytes:
    """``json.dumps(p.to_dict(lang), ensure_ascii=False, indent=2)`` and a newline in UTF-8
    (see :meth:`Plan.to_json`)."""
    return p.to_json(lang)


def write_plan(p: Plan, fmt: str, catalogue: Catalogue, lang: str) -> str:
    if fmt == "json":
        return plan_json(p, lang).decode()
    from approvals.exchange import to_bpmn, to_ics

    if fmt == "bpmn":
        return to_bpmn(p, lang=lang)
    if fmt == "ics":
        return to_ics(p, lang=lang, department_name=lambda c: catalogue.department_name(c, lang))
    raise ValueError(fmt)


@click.command("plan")
@click.option(
    "--project",
    "project_path",
    required=True,
    metavar="P.json",
    help="项目描述文件 / project file (JSON or YAML)",
)
@click.option(
    "--catalog",
    "catalog_path",
    metavar="C.json|C.yaml",
    help="事项清单 / catalogue (default: the shipped Zhejiang catalogue)",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="开始日期 / start date YYYY-MM-DD (default: the project's, else today)",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "bpmn", "ics"]),
    default="table",
    show_default=True,
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    help="写入文件而非标准输出 / write to a file",
)
@click.option(
    "--calendar",
    "calendar_files",
    multiple=True,
    metavar="FILE",
    help="额外的年度节假日安排 / extra holiday arrangement (repeatable)",
)
@db_option
@pass_cli
def plan_command(
    cli_ctx: CliContext,
    project_path: str,
    catalog_path: str | None,
    start,
    fmt: str,
    out_path: str | None,
    calendar_files: tuple[str, ...],
    db_url: str | None,
) -> None:
    """根据事项清单为项目生成并联审批计划。Plan a project against a catalogue."""
    # One run builds millions of objects and frees them at exit: the cyclic collector would
    # only rescan them (a third of the time of a 100,000-item plan), so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        catalogue = load_catalogue_file(catalog_path)
        project = parse_project(read_document(project_path), project_path)
        project = plot_assessments(cli_ctx, db_url, project)
        calendar = build_calendar(cli_ctx, db_url, calendar_files)
        p = plan(catalogue, project, calendar, start.date() if start else None)
        keep_until_exit(catalogue, project, calendar, p)
        if fmt == "table" and out_path is None:
            from api.plan_table import render_plan

            render_plan(
                p,
                cli_ctx.console,
                cli_ctx.lang,
                lambda c: catalogue.department_name(c, cli_ctx.lang),
            )
            return
        if fmt in ("json", "table"):
            # UTF-8 bytes straight to the file or stdout: JSON escapes every control character,
            # so click.echo's ANSI stripping (a regex over the whole text) would change nothing;
            # written piece by piece (the whole text is never copied into one buffer)
            pieces = plan_json_pieces(p, cli_ctx.lang)
            if out_path:
                with open(out_path, "wb") as f:
                    f.writelines(pieces)
            elif codecs.lookup(getattr(sys.stdout, "encoding", None) or "ascii").name == "utf-8":
                sys.stdout.flush()  # anything already written as text comes first
                stdout = click.get_binary_stream("stdout")
                stdout.writelines(pieces)
                stdout.flush()
            else:  # a console in another encoding: let click encode the text for it
                click.echo(b"".join(pieces).decode(), nl=False)
            return
        text = write_plan(p, fmt, catalogue, cli_ctx.lang)
        if out_path:
            Path(out_path).write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    finally:
        if collecting:
            if process_ends_here():
                # everything built so far lives until the process ends: out of the collector's
                # sight (gc.freeze is O(1)); else the first allocation after gc.enable() would
                # scan millions of young objects (0.3 s of a 100,000-item plan)
                gc.freeze()
            gc.enable()


COMMANDS = [plan_command]
