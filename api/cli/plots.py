"""``onetrip plots …``: the standard-plot registry (标准地) from the command line.

import / import-zones (GeoJSON, GeoPackage, Shapefile in any CRS; all or nothing, every culprit
named), export / export-zones, query (bbox, intersects, contains, nearest, within a zone,
attribute and indicator filters), show, zones, screen (site screening).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from api.cli.common import CliContext, db_option, open_engine, pass_cli, session_scope
from i18n import Text
from landplots.errors import GisFileError, ImportRefused, QueryError

# landplots.services, shapely, pyproj and geopandas load inside the commands: every `onetrip`
# invocation registers this group, and most never touch GIS.

#: Files with at least this many features show a progress bar while importing.
PROGRESS_THRESHOLD = 1000


@click.group("plots")
def plots_group() -> None:
    """标准地登记库：导入、导出、查询、选址预审。Standard plots: import, export, query, screen."""


def _feature_count(path: str) -> int:
    import pyogrio

    if Path(path).suffix.lower() in (".geojson", ".json"):  # GDAL would parse it all to count
        return Path(path).stat().st_size // 400  # ~400 bytes a plot
    try:
        return sum(
            int(pyogrio.read_info(path, layer=name)["features"])
            for name, _ in pyogrio.list_layers(path)
        )
    except Exception:
        return 0


def _print_problems(cli_ctx: CliContext, e: ImportRefused, limit: int = 200) -> None:
    for p in e.problems[:limit]:
        click.echo(f"  {p(cli_ctx.lang)}", err=True)
    if len(e.problems) > limit:
        click.echo(
            cli_ctx.t(
                f"  …另有 {len(e.problems) - limit} 处", f"  … and {len(e.problems) - limit} more"
            ),
            err=True,
        )


@plots_group.command("import")
@click.argument("path", metavar="FILE")
@click.option(
    "--layer",
    default=None,
    help="地块图层 / layer holding the plots (default: 'plots' or the only one)",
)
@click.option(
    "--encoding",
    default=None,
    help="Shapefile 字符编码 / DBF encoding when there is no .cpg (e.g. GBK)",
)
@click.option(
    "--strict",
    is_flag=True,
    help="每个地块须含投资强度、容积率、亩均税收 / every plot must carry "
    "investment_intensity, plot_ratio and tax_per_mu",
)
@db_option
@pass_cli
def import_command(
    cli_ctx: CliContext,
    path: str,
    layer: str | None,
    encoding: str | None,
    strict: bool,
    db_url: str | None,
) -> None:
    """导入标准地（GeoJSON / GeoPackage / Shapefile，任意坐标系）；整个文件校验通过才写入。

    Import plots (and a GeoPackage's zones) from FILE, all or nothing.
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from landplots.indicators import REQUIRED_KEYS
    from landplots.services import importing

    if not Path(path).exists():
        raise GisFileError(f"文件不存在：{path}", f"no such file: {path}")
    engine = open_engine(cli_ctx, db_url)
    show = _feature_count(path) >= PROGRESS_THRESHOLD
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=cli_ctx.err,
            transient=True,
            disable=not show,
        ) as bar:
            task = bar.add_task(cli_ctx.t("导入", "importing"), total=100)

            def progress(fraction: float, step: Text) -> None:
                bar.update(task, completed=round(100 * fraction), description=step(cli_ctx.lang))

            with session_scope(engine, write=True) as session:
                summary = importing.import_file(
                    session,
                    path,
                    layer=layer,
                    encoding=encoding,
                    progress=progress,
                    required=REQUIRED_KEYS if strict else (),
                )
    except ImportRefused as e:
        _print_problems(cli_ctx, e)
        raise
    finally:
        engine.dispose()
    click.echo(summary.text(cli_ctx.lang))


@plots_group.command("import-zones")
@click.argument("path", metavar="FILE")
@click.option(
    "--assessments",
    "assessments",
    metavar="FILE",
    default=None,
    help="区域评价表（CSV/JSON/YAML，含 zone 列）/ regional assessments table with a zone column",
)
@click.option("--layer", default=None, help="片区图层 / layer holding the zones")
@click.option("--encoding", default=None, help="Shapefile 字符编码 / DBF encoding")
@db_option
@pass_cli
def import_zones_command(
    cli_ctx: CliContext,
    path: str,
    assessments: str | None,
    layer: str | None,
    encoding: str | None,
    db_url: str | None,
) -> None:
    """导入片区及其区域评价。Import zones with their regional assessments, all or nothing."""
    from landplots.services import importing

    if not Path(path).exists():
        raise GisFileError(f"文件不存在：{path}", f"no such file: {path}")
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine, write=True) as session:
            summary = importing.import_zones_file(
                session, path, assessments=assessments, layer=layer, encoding=encoding
            )
    except ImportRefused as e:
        _print_problems(cli_ctx, e)
        raise
    finally:
        engine.dispose()
    click.echo(summary.text(cli_ctx.lang))


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "gpkg", "shp"]),
    default=None,
    help="格式（默认按扩展名）/ format (default: from the suffix)",
)


@plots_group.command("export")
@click.argument("path", metavar="FILE")
@FORMAT_OPTION
@db_option
@pass_cli
def export_command(cli_ctx: CliContext, path: str, fmt: str | None, db_url: str | None) -> None:
    """导出全部标准地（GeoPackage 另含片区与区域评价）。Export every plot."""
    from landplots.services import exporting

    target = Path(path)
    if fmt and not target.suffix:
        target = target.with_suffix({"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp"}[fmt])
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            n = exporting.export_plots(session, target, fmt)
    finally:
        engine.dispose()
    click.echo(cli_ctx.t(f"已导出 {n} 个地块到 {target}", f"exported {n} plots to {target}"))


@plots_group.command("export-zones")
@click.argument("path", metavar="FILE")
@FORMAT_OPTION
@db_option
@pass_cli
def export_zones_command(
    cli_ctx: CliContext, path: str, fmt: str | None, db_url: str | None
) -> None:
    """导出片区及其区域评价。Export every zone with its regional assessments."""
    from landplots.services import exporting

    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            n = exporting.export_zones(session, path, fmt)
    finally:
        engine.dispose()
    click.echo(cli_ctx.t(f"已导出 {n} 个片区到 {path}", f"exported {n} zones to {path}"))


def _numbers(value: str, count: int, name: str) -> tuple[float, ...]:
    parts = [p for p in value.replace(" ", "").split(",") if p != ""]
    try:
        nums = tuple(float(p) for p in parts)
    except ValueError:
        nums = ()
    if len(nums) != count:
        raise QueryError(
            f"--{name} 应为 {count} 个以逗号分隔的数字：'{value}'",
            f"--{name} takes {count} comma-separated numbers: '{value}'",
        )
    return nums


def _transformer(crs: str | None) -> Any:
    if not crs:
        return None
    from pyproj import CRS, Transformer

    from landplots.geometry import STORAGE_EPSG

    try:
        source = CRS.from_user_input(crs)
    except Exception:
        raise QueryError(f"未知坐标系 '{crs}'", f"unknown CRS '{crs}'") from None
    if source.to_epsg() in (STORAGE_EPSG, 4326):
        return None
    return Transformer.from_crs(source, STORAGE_EPSG, always_xy=True)


def _reproject(geom: Any, t: Any) -> Any:
    if t is None:
        return geom
    import numpy as np
    import shapely

    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _read_geometry(value: str) -> Any:
    from landplots.records import geometry_of

    p = Path(value)
    if (
        len(value) < 4096
        and p.suffix.lower() in (".geojson", ".json", ".wkt", ".txt")
        and p.exists()
    ):
        value = p.read_text("utf-8")
    return geometry_of(value)


@plots_group.command("query")
@click.option("--bbox", metavar="MINX,MINY,MAXX,MAXY", help="经纬度范围 / lon/lat box")
@click.option(
    "--intersects", metavar="WKT|GEOJSON|FILE", help="与此几何相交 / intersecting this geometry"
)
@click.option(
    "--contains", "contains", metavar="LON,LAT", help="包含此点的地块 / plots containing the point"
)
@click.option(
    "--near", metavar="LON,LAT", help="离此点最近 / nearest to the point (with --nearest)"
)
@click.option(
    "--nearest", type=click.IntRange(1, 10000), default=None, help="最近的 N 个 / how many"
)
@click.option("--within-zone", metavar="ZONE", help="完全位于片区内 / lying inside the zone")
@click.option("--status", multiple=True, help="状态 / status (挂牌, listed, …; repeatable)")
@click.option("--zone", metavar="ZONE", help="所属片区编码 / zone attribute")
@click.option("--land-use", metavar="USE", help="用地性质 / land use")
@click.option(
    "--where",
    "conditions",
    multiple=True,
    metavar="EXPR",
    help="指标条件，如 tax_per_mu.lower>=25 / indicator condition (repeatable)",
)
@click.option(
    "--crs", default=None, help="坐标所用坐标系（默认 EPSG:4490）/ CRS of the coordinates given"
)
@click.option("--limit", type=click.IntRange(0), default=None)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "geojson", "codes"]),
    default="table",
    show_default=True,
)
@db_option
@pass_cli
def query_command(
    cli_ctx: CliContext,
    bbox: str | None,
    intersects: str | None,
    contains: str | None,
    near: str | None,
    nearest: int | None,
    within_zone: str | None,
    status: tuple[str, ...],
    zone: str | None,
    land_use: str | None,
    conditions: tuple[str, ...],
    crs: str | None,
    limit: int | None,
    offset: int,
    fmt: str,
    db_url: str | None,
) -> None:
    """查询标准地（条件同时满足）。Query plots; every condition given must hold.

    \b
    onetrip plots query --bbox 120.28,30.29,120.31,30.31
    onetrip plots query --near 120.29,30.30 --nearest 5 --where tax_per_mu.lower>=35
    """
    from landplots.services import registry, search

    q = _plot_query(
        bbox=bbox,
        intersects=intersects,
        contains=contains,
        near=near,
        nearest=nearest,
        within_zone=within_zone,
        status=status,
        zone=zone,
        land_use=land_use,
        conditions=conditions,
        crs=crs,
        limit=limit,
        offset=offset,
    )
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            found = search.search_plots(session, q)
            plots = registry.get_plots(session, found.codes) if fmt != "codes" else []
    finally:
        engine.dispose()
    if fmt == "codes":
        for c in found.codes:
            click.echo(c)
        return
    distances = dict(zip(found.codes, found.distances_m or [], strict=False))
    if fmt == "json":
        _echo_plots_json(found.number_matched, plots, distances, cli_ctx.lang)
    elif fmt == "geojson":
        _echo_plots_geojson(found.number_matched, plots, distances, cli_ctx.lang)
    else:
        cli_ctx.console.print(_plots_table(cli_ctx, found.number_matched, plots, distances))


def _plot_query(
    *,
    bbox: str | None,
    intersects: str | None,
    contains: str | None,
    near: str | None,
    nearest: int | None,
    within_zone: str | None,
    status: tuple[str, ...],
    zone: str | None,
    land_use: str | None,
    conditions: tuple[str, ...],
    crs: str | None,
    limit: int | None,
    offset: int,
) -> Any:
    """The :class:`landplots.services.search.PlotQuery` of the options, coordinates in EPSG:4490."""
    import shapely

    from landplots.services import search

    t = _transformer(crs)
    box = None
    if bbox:
        b = _numbers(bbox, 4, "bbox")
        if t is not None:
            b = t.transform_bounds(*b, densify_pts=21)
        box = (b[0], b[1], b[2], b[3])
    if (near is None) != (nearest is None):
        raise QueryError("--near 与 --nearest 须同时给出", "--near and --nearest go together")
    return search.PlotQuery(
        bbox=box,
        intersects=_reproject(_read_geometry(intersects), t) if intersects else None,
        contains=_reproject(shapely.Point(_numbers(contains, 2, "contains")), t)
        if contains
        else None,
        within_zone=within_zone,
        near=_reproject(shapely.Point(_numbers(near, 2, "near")), t) if near else None,
        nearest=nearest or 0,
        status=search.parse_statuses(status),
        zone=zone,
        land_use=land_use,
        indicators=tuple(search.IndicatorFilter.parse(c) for c in conditions),
        limit=limit,
        offset=offset,
    )


def _echo_plots_json(
    number_matched: int, plots: list[Any], distances: dict[str, float], lang: str
) -> None:
    from landplots.features import plot_feature

    out = {
        "number_matched": number_matched,
        "number_returned": len(plots),
        "plots": [
            {
                **plot_feature(p, lang)["properties"],
                **({"distance_m": round(distances[p.code], 2)} if p.code in distances else {}),
            }
            for p in plots
        ],
    }
    click.echo(json.dumps(out, ensure_ascii=False, indent=2))


def _echo_plots_geojson(
    number_matched: int, plots: list[Any], distances: dict[str, float], lang: str
) -> None:
    from landplots.features import plot_feature

    features = []
    for p in plots:
        f = plot_feature(p, lang)
        if p.code in distances:
            f["properties"]["distance_m"] = round(distances[p.code], 2)
        features.append(f)
    click.echo(
        json.dumps(
            {
                "type": "FeatureCollection",
                "numberMatched": number_matched,
                "numberReturned": len(features),
                "features": features,
            },
            ensure_ascii=False,
        )
    )


def _plots_table(
    cli_ctx: CliContext, number_matched: int, plots: list[Any], distances: dict[str, float]
) -> Table:
    lang = cli_ctx.lang
    table = Table(
        title=cli_ctx.t(
            f"标准地：匹配 {number_matched} 个，显示 {len(plots)} 个",
            f"Standard plots: {number_matched} matched, {len(plots)} shown",
        )
    )
    table.add_column(cli_ctx.t("编码", "code"), no_wrap=True)
    table.add_column(cli_ctx.t("名称", "name"))
    table.add_column(cli_ctx.t("状态", "status"), no_wrap=True)
    table.add_column(cli_ctx.t("片区", "zone"), no_wrap=True)
    table.add_column(cli_ctx.t("面积（亩）", "area (mu)"), justify="right", no_wrap=True)
    if distances:
        table.add_column(cli_ctx.t("距离（米）", "distance (m)"), justify="right", no_wrap=True)
    table.add_column(cli_ctx.t("主要指标", "main indicators"))
    for p in plots:
        cells = [p.code, p.name, p.status.text(lang), p.zone, f"{p.area_mu:.2f}"]
        if distances:
            cells.append(f"{distances.get(p.code, 0):.1f}")
        cells.append("；".join(i.describe() for i in p.indicators[:3]))
        table.add_row(*cells)
    return table


@plots_group.command("show")
@click.argument("code")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "geojson"]), default="table")
@db_option
@pass_cli
def show_command(cli_ctx: CliContext, code: str, fmt: str, db_url: str | None) -> None:
    """显示一个地块及其指标与片区区域评价。Show a plot, its indicators and its zone's assessments."""
    from landplots.features import plot_feature
    from landplots.services import registry

    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            plot = registry.get_plot(session, code)
            zone = registry.zone_of_plot(session, plot)
    finally:
        engine.dispose()
    lang = cli_ctx.lang
    if fmt != "table":
        f = plot_feature(plot, lang)
        f["properties"]["zone_name"] = zone.name if zone else ""
        f["properties"]["assessments"] = [a.to_dict() for a in zone.assessments] if zone else []
        click.echo(
            json.dumps(f if fmt == "geojson" else f["properties"], ensure_ascii=False, indent=2)
        )
        return
    c = cli_ctx.console
    c.print(f"[bold]{plot.code}[/bold] {plot.name} · {plot.status.text(lang)} · {plot.land_use}")
    c.print(
        cli_ctx.t(
            f"面积 {plot.area_m2:,.1f} m²（{plot.area_mu:.2f} 亩，按 EPSG:{plot.gk_epsg} 高斯-克吕格投影计算）",
            f"area {plot.area_m2:,.1f} m² ({plot.area_mu:.2f} mu, Gauss–Krüger EPSG:{plot.gk_epsg})",
        )
    )
    t = Table(title=cli_ctx.t("控制指标", "Indicators"))
    for h in (
        cli_ctx.t("指标", "indicator"),
        cli_ctx.t("标准", "standard"),
        cli_ctx.t("检查节点", "checked at"),
    ):
        t.add_column(h)
    for i in plot.indicators:
        t.add_row(i.key, i.describe(), i.milestone.text(lang))
    c.print(t)
    if zone:
        z = Table(
            title=cli_ctx.t(
                f"片区 {zone.name}（{zone.code}）区域评价",
                f"Zone {zone.name} ({zone.code}) assessments",
            )
        )
        for h in (
            cli_ctx.t("类型", "type"),
            cli_ctx.t("名称", "name"),
            cli_ctx.t("有效期", "valid"),
            cli_ctx.t("文号", "reference"),
        ):
            z.add_column(h)
        for a in zone.assessments:
            z.add_row(
                a.type_name, a.name, f"{a.valid_from or '…'} – {a.valid_to or '…'}", a.reference
            )
        c.print(z)


@plots_group.command("zones")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@db_option
@pass_cli
def zones_command(cli_ctx: CliContext, fmt: str, db_url: str | None) -> None:
    """列出片区及其区域评价。List zones and their regional assessments."""
    from landplots.services import registry

    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            zones = registry.all_zones(session)
    finally:
        engine.dispose()
    if fmt == "json":
        from landplots.features import zone_properties

        click.echo(
            json.dumps(
                [zone_properties(z, cli_ctx.lang) for z in zones], ensure_ascii=False, indent=2
            )
        )
        return
    t = Table(title=cli_ctx.t("片区", "Zones"))
    for h in (
        cli_ctx.t("编码", "code"),
        cli_ctx.t("名称", "name"),
        cli_ctx.t("面积（亩）", "area (mu)"),
        cli_ctx.t("区域评价", "assessments"),
    ):
        t.add_column(h)
    today = date.today()
    for z in zones:
        marks = "、".join(
            f"{a.type_name}{'' if a.is_valid_on(today) else '（已过期）'}" for a in z.assessments
        )
        t.add_row(z.code, z.name, f"{z.area_mu:.1f}", marks)
    cli_ctx.console.print(t)


@plots_group.command("screen")
@click.option(
    "--polygon",
    "polygon",
    required=True,
    metavar="WKT|GEOJSON|FILE",
    help="候选用地范围 / candidate site",
)
@click.option("--crs", default=None, help="坐标系（默认 EPSG:4490）/ CRS of the polygon")
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="评价有效性的日期 / date for validity",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@db_option
@pass_cli
def screen_command(
    cli_ctx: CliContext, polygon: str, crs: str | None, on: Any, fmt: str, db_url: str | None
) -> None:
    """选址预审：候选用地涉及的片区、区域评价与地块。Site screening for a candidate polygon."""
    from landplots.services import screening

    site = _reproject(_read_geometry(polygon), _transformer(crs))
    engine = open_engine(cli_ctx, db_url)
    try:
        with session_scope(engine) as session:
            result = screening.screen_site(session, site, on.date() if on else None)
    finally:
        engine.dispose()
    lang = cli_ctx.lang
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2))
        return
    c = cli_ctx.console
    c.print(
        cli_ctx.t(
            f"候选用地 {result.area_mu:.2f} 亩（{result.area_m2:,.0f} m²），评价日期 {result.on}",
            f"candidate site {result.area_mu:.2f} mu ({result.area_m2:,.0f} m²), on {result.on}",
        )
    )
    for z in result.zones:
        c.print(
            cli_ctx.t(
                f"[bold]片区 {z.zone.name}（{z.zone.code}）[/bold] 重叠 {z.overlap_m2:,.0f} m²",
                f"[bold]zone {z.zone.name} ({z.zone.code})[/bold] overlap {z.overlap_m2:,.0f} m²",
            )
        )
        for a, ok in z.assessments:
            state = cli_ctx.t("有效", "valid") if ok else cli_ctx.t("无效/过期", "not valid")
            c.print(f"  · {a.type_name} {a.name} {a.reference} — {state}")
    if not result.zones:
        c.print(cli_ctx.t("不在任何片区内", "outside every zone"))
    for p in result.plots:
        c.print(
            cli_ctx.t(
                f"地块 {p.plot.code} {p.plot.name}（{p.plot.status.text(lang)}）重叠 {p.overlap_m2:,.0f} m²",
                f"plot {p.plot.code} {p.plot.name} ({p.plot.status.text(lang)}) overlap {p.overlap_m2:,.0f} m²",
            )
        )


COMMANDS = [plots_group]
