"""Importing plots and zones from GIS files, all or nothing: every problem of the file is listed
(each naming its plot or zone; overlaps with each other and with the registry's plots) and,
when there is any, nothing is written.  A plots layer is read, checked and written in batches
(:mod:`.import_stream`), so that a file of a million plots takes no more memory than one of
twenty thousand; zones are few and are read whole."""

from __future__ import annotations

import json
import math
import operator
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Boolean, delete, func, select
from sqlalchemy.orm import Session

from i18n import Text
from landplots import geometry as geo
from landplots.errors import ImportRefused, Problem
from landplots.model import Zone
from landplots.orm import AssessmentRow, PlotIndicatorRow, PlotRow, ZoneRow
from landplots.plot_records import parse_plots
from landplots.records import PlotTable, ZoneContext, find_overlaps
from landplots.services.index_cache import bump_registry, is_sqlite, snapshot
from landplots.services.registry import all_zones, chunks
from landplots.zone_records import parse_zones, zone_of_points
from storage.base import utcnow
from storage.engine import begin_write

Progress = Callable[[float, Text], None]


@dataclass(frozen=True)
class ImportSummary:
    source: str
    plots_new: int = 0
    plots_updated: int = 0
    zones_new: int = 0
    zones_updated: int = 0
    assessments: int = 0
    seconds: float = 0.0

    @property
    def plots(self) -> int:
        return self.plots_new + self.plots_updated

    @property
    def zones(self) -> int:
        return self.zones_new + self.zones_updated

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            parts = []
            if self.plots or not self.zones:
                parts.append(
                    f"{self.plots} plots ({self.plots_new} new, {self.plots_updated} updated)"
                )
            if self.zones:
                parts.append(
                    f"{self.zones} zones ({self.zones_new} new, {self.zones_updated} updated) "
                    f"with {self.assessments} regional assessments"
                )
            return f"imported {' and '.join(parts)} from {self.source} in {self.seconds:.1f} s"
        parts = []
        if self.plots or not self.zones:
            parts.append(f"{self.plots} 个地块（新增 {self.plots_new}，更新 {self.plots_updated}）")
        if self.zones:
            parts.append(
                f"{self.zones} 个片区（新增 {self.zones_new}，更新 {self.zones_updated}），"
                f"区域评价 {self.assessments} 项"
            )
        return f"已从 {self.source} 导入 {'，'.join(parts)}，用时 {self.seconds:.1f} 秒"


def _report(progress: Progress | None, fraction: float, zh: str, en: str) -> None:
    if progress is not None:
        progress(fraction, Text(zh, en))


def import_file(
    session: Session,
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    required: Sequence[str] = (),
    source_name: str | None = None,
) -> ImportSummary:
    """Import plots from a GeoJSON, GeoPackage or Shapefile (any CRS), all or nothing.

    ``required`` names indicator keys every plot must carry (``REQUIRED_KEYS`` for the
    contract's core); without it a plot needs at least one indicator.

    A GeoPackage with ``zones`` (and ``assessments``) layers imports its zones too, first.
    Plots are matched by code: a new code adds a plot, a known one replaces it.

    Raises
    ------
    ImportRefused
        Listing every problem of the file, each naming its plot (see
        :func:`landplots.plot_records.parse_plots`; also overlaps with each other or with the
        registry's plots).  Nothing is written.
    GisFileError
        The file cannot be read.

    ``source_name`` is how the report names the file (the name it was uploaded under, not the
    server's temporary path); the path by default.
    """
    from landplots import gis_io  # geopandas/pyogrio: only for files

    started = time.perf_counter()
    source = source_name or str(path)
    _report(progress, 0.0, "读取文件", "reading")
    layers = gis_io.plan_layers(path, layer)
    zones: list[Zone] = []
    problems: list[Problem] = []
    if layers.zones and layers.plots is None:
        return import_zones_file(
            session, path, layer=layers.zones, encoding=encoding, source_name=source_name
        )
    if layers.zones:
        rows = gis_io.read_table(path, layers.assessments) if layers.assessments else []
        zones, problems = parse_zones(gis_io.read_layer(path, layers.zones, encoding), rows)
    plots_layer = None if layers.single else layers.plots
    if plots_layer is None and not layers.single:
        if not layers.zones:
            raise ImportRefused(
                [Problem(source, Text("文件中没有图层", "the file has no layer"))], source
            )
        return _import(session, source, zones, problems, None, progress, started, required)
    from landplots.services.import_stream import import_plots

    counts = import_plots(
        session,
        path,
        plots_layer,
        encoding,
        zones,
        problems,
        progress,
        required,
        _write_zones,
        _write_plots,
    )
    _report(progress, 1.0, "完成", "done")
    return ImportSummary(source, *counts, time.perf_counter() - started)


def import_zones_file(
    session: Session,
    path: str | Path,
    *,
    assessments: str | Path | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    source_name: str | None = None,
) -> ImportSummary:
    """Import zones with their regional assessments and indicator definitions, all or nothing.

    Assessments come from the file (a GeoJSON ``assessments`` list per zone, a GeoPackage
    ``assessments`` table, a Shapefile's ``<name>.zones.json`` sidecar) and/or from
    ``assessments`` (CSV, JSON or YAML rows with a ``zone`` column).  A zone in the file
    replaces the registry's zone of that code, assessments included.

    Raises
    ------
    ImportRefused, GisFileError
    """
    from landplots import gis_io  # geopandas/pyogrio: only for files

    started = time.perf_counter()
    source = source_name or str(path)
    p = Path(path)
    fmt = gis_io.format_of(p)
    names = gis_io.layers(p)
    zl = layer or next(
        (n for n, _ in names if n.lower() == gis_io.ZONES_LAYER), names[0][0] if names else None
    )
    frame = gis_io.read_layer(p, zl, encoding)
    rows: list[dict[str, Any]] = []
    table = next((n for n, _ in names if n.lower() == gis_io.ASSESSMENTS_LAYER), None)
    if fmt == "gpkg" and table:
        rows += gis_io.read_table(p, table)
    sidecar = gis_io.zones_sidecar(p)
    if fmt == "shp" and sidecar.exists():
        doc = json.loads(sidecar.read_text("utf-8"))
        rows += [
            {**a, "zone": code} for code, entry in doc.items() for a in entry.get("assessments", [])
        ]
        defs = {code: entry.get("indicator_definitions") for code, entry in doc.items()}
        code_col = next(
            (c for c in frame.columns if c.lower() in ("code", "zone", "zone_code")), None
        )
        if code_col is not None:
            frame = frame.drop(columns=[c for c in frame.columns if c.lower() == "ind_defs"])
            frame["indicator_definitions"] = [
                json.dumps(defs.get(str(c)) or [], ensure_ascii=False) for c in frame[code_col]
            ]
    if assessments is not None:
        rows += gis_io.read_rows_document(assessments)
    zones, problems = parse_zones(frame, rows)
    return _import(session, source, zones, problems, None, None, started, ())


def _registry_plots_near(
    session: Session, bbox: tuple[float, float, float, float], exclude: set[str]
) -> tuple[list[str], np.ndarray]:
    if is_sqlite(session):
        idx = snapshot(session).index
        pos = idx.bbox(*bbox)
        keep = [p for p in pos.tolist() if idx.codes[p] not in exclude]
        return idx.codes[keep].tolist(), idx.geoms[keep]
    rows = session.execute(
        select(PlotRow.code, func.ST_AsBinary(PlotRow.geometry)).where(
            PlotRow.geometry.op("&&", return_type=Boolean)(
                func.ST_MakeEnvelope(*bbox, geo.STORAGE_EPSG)
            )
        )
    ).all()
    rows = [r for r in rows if r[0] not in exclude]
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.zeros(0, object)
    return [r[0] for r in rows], geoms


def _validate_plots(
    session: Session,
    frame: Any,
    zones: list[Zone],
    progress: Progress | None,
    required: Sequence[str],
) -> tuple[PlotTable, list[Problem]]:
    """The file's plots as a table and every problem found: attributes and indicators, then
    overlaps with each other and with the registry's plots.  A plot without a zone gets the
    zone (of the registry's and the file's) that holds it."""
    _report(progress, 0.15, "校验属性与指标", "validating attributes and indicators")
    n = len(frame)
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        _report(progress, 0.15 + 0.4 * min(done / max(n, 1), 1.0), "校验属性与指标", "validating")

    table, problems = parse_plots(frame, ZoneContext(zones), tick, required)
    usable = np.array([g is not None and not g.is_empty for g in table.geoms], dtype=bool)
    if usable.any():
        usable[usable] = shapely.is_valid(table.geoms[usable]) & np.isin(
            shapely.get_type_id(table.geoms[usable]), (3, 6)
        )
        usable[usable] = ~geo.outside_china(table.geoms[usable])
    blank = [i for i, z in enumerate(table.zones) if not z and usable[i]]
    if blank and zones:
        found = zone_of_points(zones, table.geoms[blank])
        for i, z in zip(blank, found, strict=True):
            table.zones[i] = z
    _report(progress, 0.6, "检查地块重叠", "checking overlaps")
    if usable.any():
        ugeoms = table.geoms[usable]
        ucodes = [c for c, u in zip(table.codes, usable, strict=True) if u]
        b = shapely.total_bounds(ugeoms)
        other_codes, other_geoms = _registry_plots_near(
            session, (float(b[0]), float(b[1]), float(b[2]), float(b[3])), set(table.codes)
        )
        problems += find_overlaps(ucodes, ugeoms, other_codes, other_geoms)
    return table, problems


def _write_zones(session: Session, zones: list[Zone]) -> tuple[int, int, int]:
    """Add or replace each zone with its assessments: (new, updated, assessments)."""
    zones_new = zones_updated = assessments = 0
    for z in zones:
        row = session.get(ZoneRow, z.code)
        if row is None:
            row = ZoneRow(code=z.code)
            session.add(row)
            zones_new += 1
        else:
            zones_updated += 1
        row.name = z.name
        row.geometry = z.geometry
        row.area_m2 = z.area_m2
        row.area_mu = z.area_mu
        row.indicator_definitions = [d.to_dict() for d in z.indicator_definitions]
        row.updated_at = utcnow()
        row.assessments = [AssessmentRow.from_domain(a) for a in z.assessments]
        assessments += len(z.assessments)
    session.flush()
    return zones_new, zones_updated, assessments


def _import(
    session: Session,
    source: str,
    zones: list[Zone],
    problems: list[Problem],
    frame: Any,
    progress: Progress | None,
    started: float,
    required: Sequence[str],
) -> ImportSummary:
    begin_write(session)
    registry_zones = {z.code: z for z in all_zones(session)}
    merged = {**registry_zones, **{z.code: z for z in zones}}
    table: PlotTable | None = None
    if frame is not None:
        table, plot_problems = _validate_plots(
            session, frame, list(merged.values()), progress, required
        )
        problems += plot_problems
    if problems:
        raise ImportRefused(problems, source)
    _report(progress, 0.7, "写入登记库", "writing")
    zones_new, zones_updated, assessments = _write_zones(session, zones)
    plots_new = plots_updated = 0
    if table is not None and len(table):
        plots_new, plots_updated = _write_plots(session, table)
    bump_registry(session)
    session.flush()
    _report(progress, 1.0, "完成", "done")
    return ImportSummary(
        source,
        plots_new,
        plots_updated,
        zones_new,
        zones_updated,
        assessments,
        time.perf_counter() - started,
    )


_PLOT_COLUMNS = (
    "code",
    "name",
    "status",
    "land_use",
    "zone_code",
    "geometry",
    "area_m2",
    "area_mu",
    "gk_epsg",
    "extra",
    "updated_at",
)
_INDICATOR_COLUMNS = ("plot_code", "key", "name", "unit", "lower", "upper", "milestone")


def _remove_existing(session: Session, codes: list[str]) -> set[str]:
    """Delete the registry's plots (and indicators) of these codes; the codes that existed."""
    existing: set[str] = set()
    if session.execute(select(PlotRow.code).limit(1)).first() is not None:
        for batch in chunks(codes):
            existing.update(session.scalars(select(PlotRow.code).where(PlotRow.code.in_(batch))))
    if existing:
        gone = sorted(existing)
        for batch in chunks(gone):
            session.execute(delete(PlotIndicatorRow).where(PlotIndicatorRow.plot_code.in_(batch)))
            session.execute(delete(PlotRow).where(PlotRow.code.in_(batch)))
    return existing


def _indicator_rows(table: PlotTable) -> list[tuple[Any, ...]]:
    """One row per present indicator of each plot, in primary-key order."""
    codes = table.codes
    rows: list[tuple[Any, ...]] = []
    for key, v in table.indicators.items():
        d = v.definition
        name, unit, milestone = d.name, d.unit, d.milestone.value
        lo = [None if math.isnan(x) else x for x in v.lower.tolist()]
        hi = [None if math.isnan(x) else x for x in v.upper.tolist()]
        for i in np.flatnonzero(v.present()).tolist():
            rows.append((codes[i], key, name, unit, lo[i], hi[i], milestone))
    rows.sort(key=operator.itemgetter(0, 1))
    return rows


def _plot_row(table: PlotTable, i: int, geometry: Any, extra: str, stamp: Any) -> tuple[Any, ...]:
    """Row ``i`` in :data:`_PLOT_COLUMNS` order."""
    return (
        table.codes[i],
        table.names[i],
        table.statuses[i].value,
        table.land_uses[i],
        table.zones[i],
        geometry,
        float(table.area_m2[i]),
        float(table.area_mu[i]),
        int(table.gk_epsg[i]),
        extra,
        stamp,
    )


def _insert_sqlite(
    conn: Any, table: PlotTable, order: list[int], extras: list[str], ind_rows: list[Any]
) -> None:
    conn.exec_driver_sql("PRAGMA cache_size = -131072")  # 128 MiB: bulk B-tree inserts
    stamp = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME form
    wkb = shapely.to_wkb(table.geoms)
    rows = [_plot_row(table, i, wkb[i], extras[i], stamp) for i in order]
    marks = ", ".join("?" * len(_PLOT_COLUMNS))
    conn.exec_driver_sql(
        f"INSERT INTO landplots ({', '.join(_PLOT_COLUMNS)}) VALUES ({marks})", rows
    )
    if ind_rows:
        marks = ", ".join("?" * len(_INDICATOR_COLUMNS))
        conn.exec_driver_sql(
            f"INSERT INTO landplot_indicators ({', '.join(_INDICATOR_COLUMNS)}) VALUES ({marks})",
            ind_rows,
        )


def _copy_postgres(
    conn: Any, table: PlotTable, order: list[int], extras: list[str], ind_rows: list[Any]
) -> None:
    now = utcnow()
    ewkb = shapely.to_wkb(
        shapely.set_srid(table.geoms, geo.STORAGE_EPSG), hex=True, include_srid=True
    )
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY landplots ({', '.join(_PLOT_COLUMNS)}) FROM STDIN") as copy:
            for i in order:
                copy.write_row(_plot_row(table, i, ewkb[i], extras[i], now))
        if ind_rows:
            with cur.copy(
                f"COPY landplot_indicators ({', '.join(_INDICATOR_COLUMNS)}) FROM STDIN"
            ) as copy:
                for r in ind_rows:
                    copy.write_row(r)


def _write_plots(session: Session, table: PlotTable) -> tuple[int, int]:
    """Replace the plots of the table's codes and insert the rest, in bulk (executemany on
    SQLite, COPY on PostgreSQL).  Returns (new, updated)."""
    codes = table.codes
    existing = _remove_existing(session, codes)
    extras = [json.dumps(e, ensure_ascii=False) if e else "{}" for e in table.extras]
    order = sorted(range(len(codes)), key=codes.__getitem__)  # primary-key order
    ind_rows = _indicator_rows(table)
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        _insert_sqlite(conn, table, order, extras, ind_rows)
    else:
        _copy_postgres(conn, table, order, extras, ind_rows)
    return len(codes) - len(existing), len(existing)
