"""Searching the registry: one query interface (:class:`PlotQuery`), two engines.

- **SQLite**: spatial predicates on the in-process STRtree (:mod:`.index_cache`), attribute
  filters in SQL over the index's candidates.
- **PostgreSQL + PostGIS**: the same questions as SQL over the GiST index (``ST_Intersects``
  with its implicit ``&&``, ``ST_Contains``, ``ST_CoveredBy``, KNN ``<->``).

Nearest-N ranks by metres (Gauss–Krüger zone of the query point) on both engines: planar
lon/lat candidates are fetched, ranked in metres, and the candidate pool grows until no plot
outside it can be nearer (a degree is at least 60 km anywhere in China).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Double,
    LargeBinary,
    bindparam,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session

from landplots import geometry as geo
from landplots.errors import LandplotsError, QueryError, ZoneNotFound
from landplots.index import PlotIndex
from landplots.indicators import STANDARD
from landplots.model import Plot, PlotStatus, Zone, parse_status
from landplots.orm import PlotIndicatorRow, PlotRow, ZoneRow
from landplots.services.index_cache import is_sqlite, snapshot
from landplots.services.registry import all_zones, get_plots, plots_from_rows

#: Metres per degree, at least, anywhere in China (longitude degree at 54°N ≈ 65 km).
MIN_METRES_PER_DEGREE = 60_000.0

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "=": operator.eq,
}


_FILTER = re.compile(
    r"^\s*(?P<key>[A-Za-z][A-Za-z0-9_]*)(?:\.(?P<bound>lower|upper|lo|hi|min|max))?\s*"
    r"(?P<op>>=|<=|==|=|>|<|≥|≤)\s*(?P<value>[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$"
)


@dataclass(frozen=True, slots=True)
class IndicatorFilter:
    """A condition on one bound of an indicator: ``tax_per_mu.lower >= 25``.

    A plot without that indicator (or without that bound) does not match.
    """

    key: str
    bound: Literal["lower", "upper"]
    op: str
    value: float

    @classmethod
    def parse(cls, expression: str) -> IndicatorFilter:
        """Parse ``key[.lower|.upper] OP number``; without a bound, the indicator's direction
        decides (``tax_per_mu >= 25`` is its lower bound).

        Raises
        ------
        QueryError
            Naming the expression: bad syntax, an unknown standard key without a bound, a range
            indicator without a bound.
        """
        m = _FILTER.match(expression)
        if not m:
            raise QueryError(
                f"无法解析指标条件 '{expression}'（示例：tax_per_mu.lower>=25）",
                f"cannot parse the indicator condition '{expression}' "
                "(example: tax_per_mu.lower>=25)",
            )
        key = m["key"]
        word = m["bound"]
        if word is None:
            d = STANDARD.get(key)
            if d is None or d.direction == "range":
                raise QueryError(
                    f"指标条件 '{expression}'：请写明 {key}.lower 或 {key}.upper",
                    f"indicator condition '{expression}': say {key}.lower or {key}.upper",
                )
            bound = "lower" if d.direction == "min" else "upper"
        else:
            bound = "lower" if word in ("lower", "lo", "min") else "upper"
        op = {"==": "=", "≥": ">=", "≤": "<="}.get(m["op"], m["op"])
        return cls(key, bound, op, float(m["value"]))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.key}.{self.bound}{self.op}{self.value:g}"


@dataclass(frozen=True)
class PlotQuery:
    """A query on plots; every given condition must hold.

    ``bbox`` is ``(minx, miny, maxx, maxy)`` in lon/lat (``minx > maxx`` crosses the
    antimeridian); ``intersects`` a geometry; ``contains`` a point the plot must contain;
    ``within_zone`` a zone code (the plot lies wholly inside the zone's geometry); ``near`` a
    point with ``nearest`` the number of plots wanted (nearest first, in metres); ``status``,
    ``zone`` (the plot's zone code attribute), ``land_use`` and ``indicators`` filter
    attributes.  Results are in code order (or by distance), then ``offset``/``limit``.
    """

    bbox: tuple[float, float, float, float] | None = None
    intersects: BaseGeometry | None = None
    contains: BaseGeometry | None = None
    within_zone: str | None = None
    near: BaseGeometry | None = None
    nearest: int = 0
    status: tuple[PlotStatus, ...] = ()
    zone: str | None = None
    land_use: str | None = None
    indicators: tuple[IndicatorFilter, ...] = ()
    limit: int | None = None
    offset: int = 0

    @property
    def has_attributes(self) -> bool:
        return bool(self.status or self.zone is not None or self.land_use or self.indicators)


@dataclass(frozen=True)
class PlotSearch:
    """Codes of the page of matching plots, how many matched in all, and for a nearest query
    the distances in metres."""

    codes: list[str]
    number_matched: int
    distances_m: list[float] | None = None


def _check_query(q: PlotQuery) -> None:
    if q.bbox is not None:
        minx, miny, maxx, maxy = q.bbox
        if not all(math.isfinite(v) for v in q.bbox):
            raise QueryError("bbox 含非数值", "bbox has a non-finite number")
        if miny > maxy:
            raise QueryError(
                f"bbox 的南边界 {miny} 大于北边界 {maxy}",
                f"bbox: the southern bound {miny} exceeds the northern bound {maxy}",
            )
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise QueryError(
                "bbox 超出经纬度范围（经度 −180…180，纬度 −90…90，顺序为 经度,纬度）",
                "bbox outside lon/lat range (lon −180…180, lat −90…90, order lon,lat)",
            )
    if q.near is not None and q.nearest <= 0:
        raise QueryError("nearest 应为正整数", "nearest must be a positive integer")
    if (q.limit is not None and q.limit < 0) or q.offset < 0:
        raise QueryError("limit 与 offset 不能为负", "limit and offset must not be negative")
    for g, name in ((q.contains, "contains"), (q.near, "near")):
        if g is not None and g.geom_type != "Point":
            raise QueryError(f"{name} 应为一个点", f"{name} must be a point")


def _bbox_geometry(bbox: tuple[float, float, float, float]) -> BaseGeometry:
    minx, miny, maxx, maxy = bbox
    if minx <= maxx:
        return shapely.box(minx, miny, maxx, maxy)
    return shapely.MultiPolygon(
        [shapely.box(minx, miny, 180, maxy), shapely.box(-180, miny, maxx, maxy)]
    )


def _attribute_conditions(q: PlotQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if q.status:
        conds.append(PlotRow.status.in_([s.value for s in q.status]))
    if q.zone is not None:
        conds.append(PlotRow.zone_code == q.zone)
    if q.land_use:
        conds.append(PlotRow.land_use == q.land_use)
    for f in q.indicators:
        col = PlotIndicatorRow.lower if f.bound == "lower" else PlotIndicatorRow.upper
        conds.append(
            exists().where(
                PlotIndicatorRow.plot_code == PlotRow.code,
                PlotIndicatorRow.key == f.key,
                _OPS[f.op](col, f.value),
            )
        )
    return conds


def search_plots(session: Session, q: PlotQuery) -> PlotSearch:
    """Plots matching the query: a page of codes and the number matched.

    Raises
    ------
    QueryError
        A malformed query (bbox bounds, a non-point ``contains``/``near``, negative paging).
    ZoneNotFound
        ``within_zone`` names no zone.
    """
    _check_query(q)
    if is_sqlite(session):
        return _search_memory(session, q)
    return _search_postgis(session, q)


def _page(items: Sequence[Any] | np.ndarray, q: PlotQuery) -> Any:
    end = None if q.limit is None else q.offset + q.limit
    return items[q.offset : end]


def _search_memory(session: Session, q: PlotQuery) -> PlotSearch:
    snap = snapshot(session)
    idx = snap.index
    positions: np.ndarray | None = None

    def narrow(found: np.ndarray) -> None:
        nonlocal positions
        positions = found if positions is None else np.intersect1d(positions, found, True)

    if q.bbox is not None:
        narrow(idx.intersects(_bbox_geometry(q.bbox)))
    if q.intersects is not None:
        narrow(idx.intersects(q.intersects))
    if q.contains is not None:
        narrow(idx.containing(q.contains))
    if q.within_zone is not None:
        zone = snap.zone(q.within_zone)
        if zone is None:
            raise ZoneNotFound(q.within_zone)
        narrow(idx.covered_by(zone.geometry))
    if q.has_attributes:
        stmt = select(PlotRow.code).where(*_attribute_conditions(q))
        if positions is not None:
            if not len(positions):
                return PlotSearch([], 0, [] if q.near is not None else None)
            stmt = stmt.where(
                PlotRow.code.in_(
                    select(literal_column("value")).select_from(func.json_each(bindparam("codes")))
                )
            )
            found = session.execute(stmt, {"codes": json.dumps(idx.codes[positions].tolist())})
        else:
            found = session.execute(stmt)
        codes = sorted(r[0] for r in found)
        pos = (
            np.searchsorted(idx.codes, np.asarray(codes, dtype=object))
            if codes
            else np.zeros(0, np.int64)
        )
        positions = pos.astype(np.int64)
    if q.near is not None:
        return _nearest_memory(idx, q, positions)
    if positions is None:
        total = len(idx)
        page = _page(np.arange(total), q)
    else:
        total = len(positions)
        page = _page(positions, q)
    return PlotSearch(idx.codes[page].tolist(), total)


def _rank_metric(
    point: BaseGeometry,
    n: int,
    fetch: Callable[[int], tuple[list[str], np.ndarray, np.ndarray, bool]],
) -> tuple[list[str], list[float]]:
    """Nearest ``n`` by metres from planar candidates: ``fetch(k)`` gives the ``k`` nearest in
    lon/lat (codes, geometries, degree distances, whether that is all there is)."""
    k = max(4 * n, n + 16)
    while True:
        codes, geoms, planar, exhausted = fetch(k)
        if not codes:
            return [], []
        metres = geo.metric_distances(point, geoms)
        order = np.lexsort((np.asarray(codes, dtype=object), metres))[:n]
        chosen_m = metres[order]
        if exhausted or len(order) < n:
            break
        if chosen_m[-1] <= planar[-1] * MIN_METRES_PER_DEGREE:
            break
        k *= 4
    return [codes[i] for i in order], [float(x) for x in chosen_m]


def _nearest_memory(idx: PlotIndex, q: PlotQuery, positions: np.ndarray | None) -> PlotSearch:
    point = q.near
    assert point is not None

    def fetch(k: int) -> tuple[list[str], np.ndarray, np.ndarray, bool]:
        if positions is None:
            pos, d = idx.nearest_candidates(point, k)
            exhausted = len(pos) >= len(idx)
        else:
            d_all = shapely.distance(point, idx.geoms[positions])
            order = np.lexsort((positions, d_all))[:k]
            pos, d = positions[order], d_all[order]
            exhausted = len(pos) >= len(positions)
        return idx.codes[pos].tolist(), idx.geoms[pos], d, exhausted

    codes, metres = _rank_metric(point, q.nearest, fetch)
    return PlotSearch(_page(codes, q), len(codes), _page(metres, q))


def _geom_param(g: BaseGeometry, name: str) -> Any:
    return func.ST_GeomFromWKB(
        bindparam(name, shapely.to_wkb(g), type_=LargeBinary), geo.STORAGE_EPSG
    )


def _spatial_conditions_pg(session: Session, q: PlotQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    g = PlotRow.geometry
    if q.bbox is not None:
        minx, miny, maxx, maxy = q.bbox
        if minx <= maxx:
            conds.append(
                func.ST_Intersects(
                    g, func.ST_MakeEnvelope(minx, miny, maxx, maxy, geo.STORAGE_EPSG)
                )
            )
        else:
            conds.append(func.ST_Intersects(g, _geom_param(_bbox_geometry(q.bbox), "bbox_geom")))
    if q.intersects is not None:
        conds.append(func.ST_Intersects(g, _geom_param(q.intersects, "intersects_geom")))
    if q.contains is not None:
        conds.append(func.ST_Contains(g, _geom_param(q.contains, "contains_geom")))
    if q.within_zone is not None:
        if session.get(ZoneRow, q.within_zone) is None:
            raise ZoneNotFound(q.within_zone)
        zone_geom = (
            select(ZoneRow.__table__.c.geometry)
            .where(ZoneRow.__table__.c.code == q.within_zone)
            .scalar_subquery()
        )
        conds.append(func.ST_CoveredBy(g, zone_geom))
    return conds


_BBOX_PG = (
    "SELECT code FROM landplots"
    " WHERE geometry && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490)"
    " AND ST_Intersects(geometry, ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490))"
    " ORDER BY code"
)


_BBOX_PAGE_PG = (
    "SELECT code, count(*) OVER () FROM landplots"
    " WHERE geometry && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490)"
    " AND ST_Intersects(geometry, ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490))"
    " ORDER BY code LIMIT %(limit)s OFFSET %(offset)s"
)


def _search_postgis(session: Session, q: PlotQuery) -> PlotSearch:
    conn = session.connection()
    if (
        q.bbox is not None
        and q.bbox[0] <= q.bbox[2]
        and q.intersects is None
        and q.contains is None
        and q.within_zone is None
        and q.near is None
        and not q.has_attributes
    ):  # the common map request: one indexed statement, prepared once
        minx, miny, maxx, maxy = (float(v) for v in q.bbox)
        params: dict[str, Any] = {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
        # straight to the session's psycopg connection (same transaction): prepared by the
        # driver after a few runs, no result wrapping — this is the hot path of map clients
        with conn.connection.driver_connection.cursor() as cur:
            if q.limit is None and not q.offset:
                cur.execute(_BBOX_PG, params)
                codes = [r[0] for r in cur.fetchall()]
                return PlotSearch(codes, len(codes))
            params.update(limit=q.limit, offset=q.offset)
            cur.execute(_BBOX_PAGE_PG, params)
            rows = cur.fetchall()
            if rows or not q.offset:
                return PlotSearch([r[0] for r in rows], int(rows[0][1]) if rows else 0)
    conds = _spatial_conditions_pg(session, q) + _attribute_conditions(q)
    if q.near is not None:
        return _nearest_postgis(session, q, conds)
    if q.limit is None and not q.offset:
        codes = (
            conn.execute(
                select(PlotRow.__table__.c.code).where(*conds).order_by(PlotRow.__table__.c.code)
            )
            .scalars()
            .all()
        )
        return PlotSearch(list(codes), len(codes))
    stmt = select(PlotRow.code, func.count().over()).where(*conds).order_by(PlotRow.code)
    if q.offset:
        stmt = stmt.offset(q.offset)
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    rows = conn.execute(stmt).all()
    if rows:
        return PlotSearch([r[0] for r in rows], int(rows[0][1]))
    total = conn.execute(select(func.count()).select_from(PlotRow).where(*conds)).scalar_one()
    return PlotSearch([], int(total))


def _nearest_postgis(
    session: Session, q: PlotQuery, conds: list[ColumnElement[bool]]
) -> PlotSearch:
    point = q.near
    assert point is not None
    pt = func.ST_SetSRID(
        func.ST_MakePoint(float(shapely.get_x(point)), float(shapely.get_y(point))),
        geo.STORAGE_EPSG,
    )
    dist = PlotRow.geometry.op("<->", return_type=Double)(pt)

    def fetch(k: int) -> tuple[list[str], np.ndarray, np.ndarray, bool]:
        rows = session.execute(
            select(PlotRow.code, func.ST_AsBinary(PlotRow.geometry), dist)
            .where(*conds)
            .order_by(dist, PlotRow.code)
            .limit(k)
        ).all()
        geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.zeros(0, object)
        return [r[0] for r in rows], geoms, np.array([float(r[2]) for r in rows]), len(rows) < k

    codes, metres = _rank_metric(point, q.nearest, fetch)
    return PlotSearch(_page(codes, q), len(codes), _page(metres, q))


def raw_bbox_sql() -> str:
    """The bbox query as plain PostGIS SQL with psycopg placeholders (the benchmark's
    reference; the service's own bbox path runs exactly this)."""
    return _BBOX_PG


_BBOX_PAGE_PLOTS_PG = (
    "WITH page AS ("
    " SELECT code, count(*) OVER () AS matched FROM landplots"
    " WHERE geometry && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490)"
    " AND ST_Intersects(geometry, ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4490))"
    " ORDER BY code LIMIT %(limit)s OFFSET %(offset)s)"
    " SELECT p.code, p.name, p.status, p.land_use, p.zone_code, ST_AsBinary(p.geometry),"
    " p.area_m2, p.area_mu, p.gk_epsg, p.extra,"
    " (SELECT json_agg(json_build_array(i.key, i.name, i.unit, i.lower, i.upper, i.milestone))"
    "  FROM landplot_indicators i WHERE i.plot_code = p.code),"
    " page.matched"
    " FROM page JOIN landplots p ON p.code = page.code ORDER BY p.code"
)


def find_plots(session: Session, q: PlotQuery) -> tuple[list[Plot], int]:
    """The page of plots matching ``q`` and the number matched (what a map client asks).

    On PostGIS a plain bbox page is one statement (search, count, plots and indicators);
    otherwise :func:`search_plots` then :func:`get_plots`.  Raises as :func:`search_plots`.
    """
    _check_query(q)
    if (
        not is_sqlite(session)
        and q.bbox is not None
        and q.bbox[0] <= q.bbox[2]
        and q.limit is not None
        and q.intersects is None
        and q.contains is None
        and q.within_zone is None
        and q.near is None
        and not q.has_attributes
    ):
        minx, miny, maxx, maxy = (float(v) for v in q.bbox)
        params = {
            "minx": minx,
            "miny": miny,
            "maxx": maxx,
            "maxy": maxy,
            "limit": q.limit,
            "offset": q.offset,
        }
        with session.connection().connection.driver_connection.cursor() as cur:
            cur.execute(_BBOX_PAGE_PLOTS_PG, params)
            rows = cur.fetchall()
        if rows or not q.offset:
            return plots_from_rows(rows), int(rows[0][11]) if rows else 0
    found = search_plots(session, q)
    return get_plots(session, found.codes), found.number_matched


def search_zones(
    session: Session,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    intersects: BaseGeometry | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Zone], int]:
    """Zones touching a bbox and/or a geometry, in code order: a page and the number matched."""
    if bbox is not None:
        _check_query(PlotQuery(bbox=bbox))
    if is_sqlite(session):
        zones = all_zones(session)
        shapes = [
            g for g in (None if bbox is None else _bbox_geometry(bbox), intersects) if g is not None
        ]
        hits = [z for z in zones if all(shapely.intersects(z.geometry, s) for s in shapes)]
    else:
        stmt = select(ZoneRow).order_by(ZoneRow.code)
        if bbox is not None:
            stmt = stmt.where(
                func.ST_Intersects(ZoneRow.geometry, _geom_param(_bbox_geometry(bbox), "zb"))
            )
        if intersects is not None:
            stmt = stmt.where(func.ST_Intersects(ZoneRow.geometry, _geom_param(intersects, "zi")))
        hits = [z.to_domain() for z in session.scalars(stmt)]
    end = None if limit is None else offset + limit
    return hits[offset:end], len(hits)


def parse_statuses(values: Iterable[str]) -> tuple[PlotStatus, ...]:
    """Statuses from keys or Chinese labels (comma-separated values allowed).

    Raises :class:`QueryError` naming an unknown status."""
    out = []
    for v in values:
        for word in str(v).split(","):
            if not word.strip():
                continue
            try:
                out.append(parse_status(word))
            except LandplotsError as e:
                raise QueryError(e.message.zh, e.message.en) from None
    return tuple(out)
