"""Importing a plots layer of any size in batches, with memory that does not grow with the file.

The file is read in batches of :data:`BATCH` features (:func:`landplots.gis_io.read_batches`,
one streaming pass).  Each batch is validated as a whole file would be
(:func:`~landplots.plot_records.parse_plots`, features numbered across the file), checked for
overlaps among its own plots, with the plots of earlier batches and with the registry's, and
written inside a savepoint.  What the batches need to know of each other lives in the database,
not in this process: temporary tables of the codes seen so far (duplicates across batches,
replaced plots) and, on SQLite, an R*Tree of the envelopes written (PostgreSQL has the GiST
index of ``landplots``).  An overlap with a registry plot is only a problem if the file does not
replace that plot further on: such findings wait in a temporary table until the end.

All or nothing, as before: every problem of the file is collected, each naming its plot (or
``#n``, its feature number), and when there is any the savepoint is rolled back — nothing stays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from i18n import Text
from landplots import geometry as geo
from landplots.errors import ImportRefused, Problem
from landplots.index import PlotIndex
from landplots.model import Zone
from landplots.plot_records import parse_plots
from landplots.records import (
    OVERLAP_TOLERANCE_M2,
    OVERLAP_TOLERANCE_RATIO,
    IndicatorValues,
    PlotTable,
    ZoneContext,
    find_overlaps,
)
from landplots.services.index_cache import bump_registry, is_sqlite, snapshot
from landplots.services.registry import all_zones
from landplots.zone_records import zone_of_points
from storage.engine import begin_write

#: Features read, validated and written at a time: the import's memory follows this number.
BATCH = 20_000

Progress = Callable[[float, Text], None]


def _t(zh: str, en: str) -> Text:
    return Text(zh, en)


def usable_geometries(geoms: np.ndarray) -> np.ndarray:
    """Which geometries can be stored: present, non-empty, valid (Multi)Polygons in China."""
    usable = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if usable.any():
        usable[usable] = shapely.is_valid(geoms[usable]) & np.isin(
            shapely.get_type_id(geoms[usable]), (3, 6)
        )
        usable[usable] = ~geo.outside_china(geoms[usable])
    return usable


def take(table: PlotTable, rows: np.ndarray) -> PlotTable:
    """The rows ``rows`` of a table, as a table."""
    pick = rows.tolist()
    return PlotTable(
        [table.codes[i] for i in pick],
        [table.names[i] for i in pick],
        [table.statuses[i] for i in pick],
        [table.land_uses[i] for i in pick],
        [table.zones[i] for i in pick],
        table.geoms[rows],
        table.area_m2[rows],
        table.area_mu[rows],
        table.gk_epsg[rows],
        [table.extras[i] for i in pick],
        {
            k: IndicatorValues(v.definition, v.lower[rows], v.upper[rows])
            for k, v in table.indicators.items()
        },
    )


def _measured(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For pairs of geometries whose interiors meet: the overlap in m² and its tolerance."""
    inter_m2, _ = geo.areas(shapely.intersection(a, b))
    a_m2, _ = geo.areas(a)
    b_m2, _ = geo.areas(b)
    return inter_m2, np.maximum(
        OVERLAP_TOLERANCE_M2, OVERLAP_TOLERANCE_RATIO * np.minimum(a_m2, b_m2)
    )


def _overlap(code: str, other: str, m2: float, lim: float, registry: bool) -> Problem:
    where_zh = "登记库中的" if registry else ""
    where_en = "registered plot " if registry else ""
    return Problem(
        code,
        _t(
            f"与{where_zh}地块 {other} 重叠 {m2:.1f} m²（容差 {lim:.1f} m²）",
            f"overlaps {where_en}{other} by {m2:.1f} m² (tolerance {lim:.1f} m²)",
        ),
    )


class _Stage:
    """The temporary tables of one streamed import (gone with its transaction or at the end)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.mark = "%s" if self.pg else "?"
        self.raw = conn.connection.driver_connection
        for name in ("import_codes", "import_hits", "import_chunk", "import_rtree"):
            self._run(
                f"DROP TABLE IF EXISTS temp.{name}"
                if not self.pg
                else f"DROP TABLE IF EXISTS {name}"
            )
        self._run("CREATE TEMP TABLE import_codes (code VARCHAR(64) PRIMARY KEY, feature INTEGER)")
        self._run("CREATE INDEX import_codes_feature ON import_codes (feature)")
        self._run(
            "CREATE TEMP TABLE import_hits (code VARCHAR(64), other VARCHAR(64), m2 FLOAT, lim FLOAT)"
        )
        self._run(
            "CREATE TEMP TABLE import_chunk (feature INTEGER PRIMARY KEY, code VARCHAR(64),"
            " minx FLOAT, miny FLOAT, maxx FLOAT, maxy FLOAT)"
        )
        if not self.pg:
            self._run(
                "CREATE VIRTUAL TABLE temp.import_rtree USING rtree(id, minx, maxx, miny, maxy)"
            )

    def _run(self, sql: str, rows: Sequence[Sequence[Any]] | None = None) -> list[Any]:
        cur = self.raw.cursor()
        try:
            if rows is None:
                cur.execute(sql)
            elif rows:
                cur.executemany(sql, rows)
            return cur.fetchall() if cur.description else []
        finally:
            cur.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        cur = self.raw.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchall()
        finally:
            cur.close()

    def earlier(self, codes: list[str]) -> dict[str, int]:
        """Which of ``codes`` an earlier batch had: code → its feature number."""
        found: dict[str, int] = {}
        for i in range(0, len(codes), 900):
            part = codes[i : i + 900]
            marks = ", ".join([self.mark] * len(part))
            for code, feature in self._query(
                f"SELECT code, feature FROM import_codes WHERE code IN ({marks})", part
            ):
                found[code] = feature
        return found

    def overlaps(
        self,
        codes: list[str],
        geoms: np.ndarray,
        features: np.ndarray,
        registry: PlotIndex | None,
    ) -> list[Problem]:
        """Overlaps of a batch's plots (not written yet) with the earlier batches' plots, and
        with the registry's (kept for the end: the file may replace that plot later)."""
        if not len(codes):
            return []
        bounds = shapely.bounds(geoms)
        m = self.mark
        self._run(
            f"INSERT INTO import_chunk VALUES ({m}, {m}, {m}, {m}, {m}, {m})",
            [
                (int(f), c, *map(float, b))
                for f, c, b in zip(features.tolist(), codes, bounds, strict=True)
            ],
        )
        if self.pg:
            # each batch envelope probes the GiST index (LATERAL … OFFSET 0 keeps that order;
            # the statistics lag the import, so sequential scans are ruled out, and JIT with them)
            self._run("SET LOCAL enable_seqscan = off")
            self._run("SET LOCAL jit = off")
            rows = self._run(
                "SELECT c.feature, l.code, ST_AsBinary(l.geometry), i.code IS NOT NULL"
                " FROM import_chunk c CROSS JOIN LATERAL (SELECT code, geometry FROM landplots"
                " WHERE geometry && ST_MakeEnvelope(c.minx, c.miny, c.maxx, c.maxy, 4490)"
                " AND code <> c.code OFFSET 0) l"
                " LEFT JOIN import_codes i ON i.code = l.code"
            )
            self._run("SET LOCAL enable_seqscan TO DEFAULT")
            self._run("SET LOCAL jit TO DEFAULT")
        else:
            rows = self._run(
                # CROSS JOIN fixes the order: each batch envelope probes the R*Tree
                "SELECT c.feature, l.code, l.geometry, 1 FROM import_chunk c"
                " CROSS JOIN import_rtree r ON r.minx <= c.maxx AND r.maxx >= c.minx"
                " AND r.miny <= c.maxy AND r.maxy >= c.miny"
                " CROSS JOIN import_codes i ON i.feature = r.id"
                " CROSS JOIN landplots l ON l.code = i.code"
            )
        self._run("DELETE FROM import_chunk")
        position = {int(f): k for k, f in enumerate(features.tolist())}
        left = [position[r[0]] for r in rows]
        others = [r[1] for r in rows]
        from_file = [bool(r[3]) for r in rows]
        other_geoms = shapely.from_wkb([bytes(r[2]) for r in rows]) if rows else np.zeros(0)
        if registry is not None and len(registry):  # SQLite: the registry as it was before
            a, b = registry.tree.query(geoms, predicate="intersects")
            keep = registry.codes[b] != np.asarray(codes, dtype=object)[a]
            a, b = a[keep], b[keep]
            left += a.tolist()
            others += registry.codes[b].tolist()
            from_file += [False] * len(a)
            other_geoms = np.concatenate([other_geoms, registry.geoms[b]])
        if not left:
            return []
        li = np.asarray(left)
        mine = geoms[li]
        inside = shapely.relate_pattern(mine, other_geoms, "T********")
        problems: list[Problem] = []
        hits = []
        if inside.any():
            idx = np.flatnonzero(inside)
            m2, lim = _measured(mine[idx], other_geoms[idx])
            for k, area, tol in zip(idx.tolist(), m2.tolist(), lim.tolist(), strict=True):
                if area <= tol:
                    continue
                code, other = codes[left[k]], others[k]
                if from_file[k]:
                    problems.append(_overlap(code, other, area, tol, False))
                else:
                    hits.append((code, other, area, tol))
        self._run(f"INSERT INTO import_hits VALUES ({m}, {m}, {m}, {m})", hits)
        return problems

    def add(self, codes: list[str], geoms: np.ndarray, features: np.ndarray) -> None:
        """Record a written batch: its codes and (SQLite) its envelopes."""
        m = self.mark
        self._run(
            f"INSERT INTO import_codes VALUES ({m}, {m})",
            list(zip(codes, features.tolist(), strict=True)),
        )
        if not self.pg and len(codes):
            b = shapely.bounds(geoms)
            self._run(
                "INSERT INTO import_rtree VALUES (?, ?, ?, ?, ?)",
                [
                    (int(f), float(x[0]), float(x[2]), float(x[1]), float(x[3]))
                    for f, x in zip(features.tolist(), b, strict=True)
                ],
            )

    def registry_problems(self) -> list[Problem]:
        """Overlaps with registry plots that the file does not replace."""
        rows = self._run(
            "SELECT code, other, m2, lim FROM import_hits"
            " WHERE other NOT IN (SELECT code FROM import_codes) ORDER BY code, other"
        )
        return [_overlap(c, o, a, t, True) for c, o, a, t in rows]

    def drop(self) -> None:
        for name in ("import_codes", "import_hits", "import_chunk", "import_rtree"):
            self._run(
                f"DROP TABLE IF EXISTS temp.{name}"
                if not self.pg
                else f"DROP TABLE IF EXISTS {name}"
            )


def _duplicate(code: str, before: int, now: int) -> Problem:
    return Problem(
        code,
        _t(
            f"编码重复（第 {before}, {now} 个要素）",
            f"duplicate code: 2 features (#{before}, #{now})",
        ),
    )


def _estimate(path: str | Path, layer: str | None) -> int:
    """Roughly how many features the layer holds (for progress only)."""
    import pyogrio

    p = Path(path)
    if p.suffix.lower() in (".geojson", ".json"):
        return max(1, p.stat().st_size // 400)
    try:
        return max(1, int(pyogrio.read_info(p, layer=layer)["features"]))
    except Exception:
        return 1


def import_plots(
    session: Session,
    path: str | Path,
    layer: str | None,
    encoding: str | None,
    zones: list[Zone],
    problems: list[Problem],
    progress: Progress | None,
    required: Sequence[str],
    write_zones: Callable[[Session, list[Zone]], tuple[int, int, int]],
    write_plots: Callable[[Session, PlotTable], tuple[int, int]],
) -> tuple[int, int, int, int, int]:
    """Import the plots layer (and the file's ``zones``, written first) in batches.  Returns
    (plots new, plots updated, zones new, zones updated, assessments).

    Raises
    ------
    ImportRefused
        Listing every problem of the file (those in ``problems`` already, e.g. of its zones,
        and every plot's); nothing is written.
    GisFileError
        The file cannot be read.
    """
    from landplots import gis_io

    source = str(path)
    begin_write(session)
    merged = list(
        {**{z.code: z for z in all_zones(session)}, **{z.code: z for z in zones}}.values()
    )
    context = ZoneContext(merged)
    registry = snapshot(session).index if is_sqlite(session) else None  # before any write
    expected = _estimate(path, layer)
    savepoint = session.begin_nested()
    stage: _Stage | None = None
    try:
        zones_new = zones_updated = assessments = 0
        if zones and not problems:
            zones_new, zones_updated, assessments = write_zones(session, zones)
        stage = _Stage(session.connection())
        plots_new = plots_updated = seen = 0
        for frame in gis_io.read_batches(path, layer, encoding, BATCH):
            first = seen + 1
            table, found = parse_plots(frame, context, None, required, first)
            seen += len(table)
            problems += found
            usable = usable_geometries(table.geoms)
            blank = [i for i, z in enumerate(table.zones) if not z and usable[i]]
            if blank and merged:
                for i, z in zip(blank, zone_of_points(merged, table.geoms[blank]), strict=True):
                    table.zones[i] = z
            earlier = stage.earlier([c for c in table.codes if c])
            keep = usable.copy()
            firsts: set[str] = set()
            for i, c in enumerate(table.codes):
                if not c or c in firsts:
                    keep[i] = False
                    continue
                firsts.add(c)
                if c in earlier:
                    problems.append(_duplicate(c, earlier[c], first + i))
                    keep[i] = False
            rows = np.flatnonzero(keep)
            part = take(table, rows)
            features = rows + first
            problems += find_overlaps(part.codes, part.geoms)
            problems += stage.overlaps(part.codes, part.geoms, features, registry)
            if len(part):
                new, updated = write_plots(session, part)
                plots_new, plots_updated = plots_new + new, plots_updated + updated
            stage.add(part.codes, part.geoms, features)
            if progress is not None:
                progress(
                    min(0.95, 0.05 + 0.9 * seen / expected),
                    _t(
                        f"校验并写入（{seen:,} 个要素）",
                        f"validating and writing ({seen:,} features)",
                    ),
                )
        problems += stage.registry_problems()
        if problems:
            raise ImportRefused(problems, source)
        stage.drop()
        bump_registry(session)
        session.flush()
        savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    return plots_new, plots_updated, zones_new, zones_updated, assessments


__all__ = ["BATCH", "import_plots", "take", "usable_geometries"]
