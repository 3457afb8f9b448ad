"""``onetrip catalog``: the published schema, validation, loading and listing of catalogues."""

from __future__ import annotations

import json

import click
from rich.table import Table
from sqlalchemy import select

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from approvals.catalog import parse_catalog
from approvals.catalog_schema import CATALOG_SCHEMA
from approvals.documents import read_document
from approvals.errors import CatalogError
from approvals.orm import CatalogVersionRow
from approvals.service import store_catalogue


@click.group("catalog")
def catalog_group() -> None:
    """事项清单：架构、校验、导入。Catalogues of approval items."""


@catalog_group.command("schema")
def schema_command() -> None:
    """打印事项清单的 JSON Schema。Print the catalogue JSON Schema."""
    click.echo(json.dumps(CATALOG_SCHEMA, ensure_ascii=False, indent=2))


@catalog_group.command("validate")
@click.argument("path", metavar="FILE")
@pass_cli
def validate_command(cli_ctx: CliContext, path: str) -> None:
    """校验事项清单文件，列出全部问题。Validate a catalogue file, listing every problem."""
    try:
        catalogue = parse_catalog(read_document(path), path)
    except CatalogError as e:
        for problem in e.problems:
            click.echo(f"{path}: {problem(cli_ctx.lang)}", err=True)
        raise
    cli_ctx.console.print(
        cli_ctx.t(
            f"{path}：有效，{len(catalogue.items)} 个事项，{len(catalogue.merge_groups)} 个合并组",
            f"{path}: valid, {len(catalogue.items)} items, {len(catalogue.merge_groups)} merge groups",
        )
    )


@catalog_group.command("load")
@click.argument("path", metavar="FILE")
@db_option
@pass_cli
def load_command(cli_ctx: CliContext, path: str, db_url: str | None) -> None:
    """导入事项清单并设为当前版本。Load a catalogue and make it the active version."""
    catalogue = parse_catalog(read_document(path), path)
    engine = open_engine(cli_ctx, db_url)
    with session_scope(engine, write=True) as session:
        row = store_catalogue(session, catalogue, by="cli")
        version_id = row.id
    cli_ctx.console.print(
        cli_ctx.t(
            f"已导入事项清单 {catalogue.code} {catalogue.version}（版本号 {version_id}，{len(catalogue.items)} 个事项），已设为当前版本",
            f"loaded catalogue {catalogue.code} {catalogue.version} (version id {version_id}, {len(catalogue.items)} items); now active",
        )
    )


@catalog_group.command("list")
@db_option
@pass_cli
def list_command(cli_ctx: CliContext, db_url: str | None) -> None:
    """列出已导入的事项清单版本。List the loaded catalogue versions."""
    engine = open_engine(cli_ctx, db_url)
    table = Table(
        *(
            cli_ctx.t(
                "编号,编码,版本,名称,事项数,当前,导入时间",
                "id,code,version,name,items,active,loaded at",
            ).split(",")
        )
    )
    with session_scope(engine) as session:
        for row in session.scalars(select(CatalogVersionRow).order_by(CatalogVersionRow.id)):
            table.add_row(
                str(row.id),
                row.code,
                row.version,
                row.name,
                str(len(row.items)),
                "✓" if row.active else "",
                row.loaded_at.isoformat(timespec="seconds"),
            )
    cli_ctx.console.print(table)


COMMANDS = [catalog_group]
