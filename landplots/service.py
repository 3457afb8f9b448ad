"""Use cases of the standard-plot registry over a database session (the unit of work).

The CLI, the HTTP API (OGC API – Features) and the demo call these; the caller commits.  Writes
call :func:`storage.engine.begin_write` first.

One query interface, two engines:

- **SQLite** (embedded default, no SpatiaLite): geometries are WKB; spatial predicates are
  answered by an in-process :class:`~landplots.index.PlotIndex` (shapely STRtree) cached per
  database and rebuilt lazily when the registry's version token changes.  Every write sets a
  fresh random token in ``landplot_registry`` in the same transaction, so any thread or process
  sees a change at its next query (one primary-key read) and never trusts an index built from a
  rolled-back write.  Attribute filters run in SQL over the index's candidates.
- **PostgreSQL + PostGIS**: the same questions as SQL over the GiST index (``ST_Intersects``
  with its implicit ``&&``, ``ST_Contains``, ``ST_CoveredBy``, KNN ``<->``).

Nearest-N ranks by metres (Gauss–Krüger zone of the query point) on both engines: planar
lon/lat candidates are fetched, ranked in metres, and the candidate pool grows until no plot
outside it can be nearer (a degree is at least 60 km anywhere in China).
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Double,
    LargeBinary,
    String,
    bindparam,
    delete,
    exists,
    func,
    literal_column,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from approvals.project import AssessmentCoverage
from i18n import Text
from landplots import geometry as geo
from landplots.errors import (
    ImportRefused,
    LandplotsError,
    PlotNotFound,
    Problem,
    QueryError,
    ZoneNotFound,
)
from landplots.index import PlotIndex
from landplots.indicators import STANDARD, Catalogue
from landplots.model import (
    Indicator,
    Milestone,
    Plot,
    PlotStatus,
    RegionalAssessment,
    Zone,
    parse_status,
)
from landplots.orm import (
    AssessmentRow,
    PlotIndicatorRow,
    PlotRow,
    RegistryStateRow,
    ZoneRow,
)
from landplots.records import (
    PlotTable,
    ZoneContext,
    find_overlaps,
    parse_plots,
    parse_zones,
    zone_of_points,
)
from storage.base import utcnow
from storage.engine import begin_write

#: Metres per degree, at least, anywhere in China (longitude degree at 54°N ≈ 65 km).
MIN_METRES_PER_DEGREE = 60_000.0

Progress = Callable[[float, Text], None]


# --- registry version and the in-process index ----------------------------------------------


@dataclass
class _Snapshot:
    token: str
    index: PlotIndex
    zones: list[Zone]

    def zone(self, code: str) -> Zone | None:
        for z in self.zones:
            if z.code == code:
                return z
        return None


_CACHE: dict[str, _Snapshot] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_TOKEN_SQL = text("SELECT token FROM landplot_registry WHERE id = 1")


def registry_token(session: Session) -> str:
    """The registry's current version token ('' before the first write)."""
    return session.connection().execute(_TOKEN_SQL).scalar() or ""


def _bump(session: Session) -> str:
    token = uuid.uuid4().hex
    res = session.execute(
        update(RegistryStateRow)
        .where(RegistryStateRow.id == 1)
        .values(version=RegistryStateRow.version + 1, token=token, updated_at=utcnow())
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        session.add(RegistryStateRow(id=1, version=1, token=token, updated_at=utcnow()))
        session.flush()
    return token


def _snapshot(session: Session) -> _Snapshot:
    """The in-process index for the session's SQLite database, rebuilt when the token moved."""
    token = registry_token(session)
    key = session.get_bind().url.render_as_string(hide_password=False)
    snap = _CACHE.get(key)
    if snap is not None and snap.token == token:
        return snap
    with _CACHE_LOCK:
        snap = _CACHE.get(key)
        if snap is not None and snap.token == token:
            return snap
        rows = session.execute(text("SELECT code, geometry FROM landplots")).all()
        codes = [r[0] for r in rows]
        geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.zeros(0, object)
        zones = [z.to_domain() for z in session.scalars(select(ZoneRow).order_by(ZoneRow.code))]
        snap = _Snapshot(token, PlotIndex.build(codes, geoms, token), zones)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = snap
        return snap


def forget_index(session: Session | None = None) -> None:
    """Drop cached indexes (all, or the session's database's)."""
    with _CACHE_LOCK:
        if session is None:
            _CACHE.clear()
        else:
            _CACHE.pop(session.get_bind().url.render_as_string(hide_password=False), None)


# --- queries --------------------------------------------------------------------------------

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
    if _is_sqlite(session):
        return _search_memory(session, q)
    return _search_postgis(session, q)


def _page(items: Sequence[Any] | np.ndarray, q: PlotQuery) -> Any:
    end = None if q.limit is None else q.offset + q.limit
    return items[q.offset : end]


def _search_memory(session: Session, q: PlotQuery) -> PlotSearch:
    snap = _snapshot(session)
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


# --- loading --------------------------------------------------------------------------------


def _chunks(items: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _member(column: Any, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the ``codes`` parameter, bound once (an array on PostgreSQL, a
    JSON array on SQLite) so that a page of 100 codes is one bind, not 100."""
    if dialect == "postgresql":
        return column == func.any(bindparam("codes", type_=ARRAY(String)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("codes")))
    )


@functools.cache
def _plot_statement(dialect: str, by_code: bool) -> Any:
    """The statement of :func:`get_plots`, built once per dialect: each plot with its
    indicators aggregated in a correlated subquery (the codes are one bind parameter)."""
    table = PlotRow.__table__
    itable = PlotIndicatorRow.__table__
    c, ic = table.c, itable.c
    wkb = (
        func.ST_AsBinary(c.geometry)
        if dialect == "postgresql"
        else type_coerce(c.geometry, LargeBinary)
    )
    fields = (ic.key, ic.name, ic.unit, ic.lower, ic.upper, ic.milestone)
    agg = (
        func.json_agg(func.json_build_array(*fields))
        if dialect == "postgresql"
        else func.json_group_array(func.json_array(*fields))
    )
    indicators = select(type_coerce(agg, String)).where(ic.plot_code == c.code).scalar_subquery()
    stmt = select(
        c.code,
        c.name,
        c.status,
        c.land_use,
        c.zone_code,
        wkb,
        c.area_m2,
        c.area_mu,
        c.gk_epsg,
        c.extra,
        indicators,
    )
    return stmt.where(_member(c.code, dialect)) if by_code else stmt


def _plots_from_rows(rows: Sequence[Any]) -> list[Plot]:
    """Plots from ``(code, name, status, land_use, zone, wkb, m2, mu, epsg, extra,
    indicators_json, …)`` rows, in row order."""
    if not rows:
        return []
    geoms = shapely.from_wkb([bytes(r[5]) for r in rows])
    milestones = {m.value: m for m in Milestone}
    out = []
    for r, geom in zip(rows, geoms, strict=True):
        code, name, status, land_use, zone, _, m2, mu, epsg, extra, raw = r[:11]
        inds = (
            sorted(
                (
                    Indicator(a, b, u, lo, hi, milestones[ms])
                    for a, b, u, lo, hi, ms in (json.loads(raw) if isinstance(raw, str) else raw)
                ),
                key=lambda i: _indicator_rank(i.key),
            )
            if raw
            else []
        )
        if isinstance(extra, str):
            extra = json.loads(extra)
        out.append(
            Plot(
                code=code,
                name=name,
                geometry=geom,
                status=_STATUS[status],
                land_use=land_use,
                zone=zone,
                indicators=tuple(inds),
                area_m2=m2,
                area_mu=mu,
                gk_epsg=epsg,
                extra=extra or {},
            )
        )
    return out


def get_plots(session: Session, codes: Sequence[str] | None = None) -> list[Plot]:
    """Plots by code, in the order given (all plots in code order when ``codes`` is None);
    unknown codes are skipped.  One statement whatever the count."""
    conn = session.connection()
    dialect = conn.dialect.name
    params: dict[str, Any] = {}
    if codes is not None:
        if not codes:
            return []
        params["codes"] = list(codes) if dialect == "postgresql" else json.dumps(list(codes))
    rows = {r[0]: r for r in conn.execute(_plot_statement(dialect, codes is not None), params)}
    order = sorted(rows) if codes is None else [k for k in codes if k in rows]
    return _plots_from_rows([rows[k] for k in order])


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
        not _is_sqlite(session)
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
            return _plots_from_rows(rows), int(rows[0][11]) if rows else 0
    found = search_plots(session, q)
    return get_plots(session, found.codes), found.number_matched


_STATUS = {s.value: s for s in PlotStatus}
_STD_ORDER = {k: i for i, k in enumerate(STANDARD)}


def _indicator_rank(key: str) -> tuple[int, str]:
    return (_STD_ORDER.get(key, len(_STD_ORDER)), key)


def get_plot(session: Session, code: str) -> Plot:
    """One plot.  Raises :class:`PlotNotFound`."""
    found = get_plots(session, [code])
    if not found:
        raise PlotNotFound(code)
    return found[0]


def count_plots(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(PlotRow)).scalar_one())


def plots_extent(session: Session) -> tuple[float, float, float, float] | None:
    """The lon/lat bounding box of all plots (None when there are none)."""
    if _is_sqlite(session):
        idx = _snapshot(session).index
        return idx.bounds if len(idx) else None
    row = session.execute(
        select(
            func.ST_XMin(func.ST_Extent(PlotRow.geometry)),
            func.ST_YMin(func.ST_Extent(PlotRow.geometry)),
            func.ST_XMax(func.ST_Extent(PlotRow.geometry)),
            func.ST_YMax(func.ST_Extent(PlotRow.geometry)),
        )
    ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


# --- zones ----------------------------------------------------------------------------------


def all_zones(session: Session) -> list[Zone]:
    """Every zone with its assessments, in code order."""
    if _is_sqlite(session):
        return list(_snapshot(session).zones)
    return [z.to_domain() for z in session.scalars(select(ZoneRow).order_by(ZoneRow.code))]


def get_zone(session: Session, code: str) -> Zone:
    """One zone.  Raises :class:`ZoneNotFound`."""
    row = session.get(ZoneRow, code)
    if row is None:
        raise ZoneNotFound(code)
    return row.to_domain()


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
    if _is_sqlite(session):
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


def zones_extent(session: Session) -> tuple[float, float, float, float] | None:
    zones = all_zones(session)
    if not zones:
        return None
    b = shapely.total_bounds(np.array([z.geometry for z in zones], dtype=object))
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def zone_of_plot(session: Session, plot: Plot) -> Zone | None:
    """The plot's zone: the one its ``zone`` attribute names, else the one holding it."""
    zones = all_zones(session)
    if plot.zone:
        for z in zones:
            if z.code == plot.zone:
                return z
    found = zone_of_points(zones, np.array([plot.geometry], dtype=object))[0]
    return next((z for z in zones if z.code == found), None)


def assessments_for_plot(
    session: Session, plot_code: str, on: date | None = None
) -> tuple[AssessmentCoverage, ...]:
    """The regional assessments (区域评价) of the plot's zone, valid on ``on`` (all when None),
    as the planner's :class:`~approvals.project.AssessmentCoverage` (``source="zone"``).

    Raises
    ------
    PlotNotFound
        No plot has that code.
    """
    plot = get_plot(session, plot_code)
    zone = zone_of_plot(session, plot)
    if zone is None:
        return ()
    return tuple(a.coverage(zone.name) for a in zone.valid_assessments(on))


# --- site screening -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenedZone:
    zone: Zone
    overlap_m2: float
    assessments: tuple[tuple[RegionalAssessment, bool], ...]  # (assessment, valid on the day)


@dataclass(frozen=True)
class ScreenedPlot:
    plot: Plot
    overlap_m2: float


@dataclass(frozen=True)
class SiteScreening:
    """What a candidate site touches: zones (with their assessments, valid or not on ``on``)
    and registered plots, each with the area of overlap."""

    on: date
    area_m2: float
    area_mu: float
    zones: list[ScreenedZone] = field(default_factory=list)
    plots: list[ScreenedPlot] = field(default_factory=list)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "area_m2": round(self.area_m2, 2),
            "area_mu": round(self.area_mu, 4),
            "zones": [
                {
                    "code": z.zone.code,
                    "name": z.zone.name,
                    "overlap_m2": round(z.overlap_m2, 2),
                    "assessments": [{**a.to_dict(), "valid": ok} for a, ok in z.assessments],
                }
                for z in self.zones
            ],
            "plots": [
                {
                    "code": p.plot.code,
                    "name": p.plot.name,
                    "status": p.plot.status.value,
                    "status_name": p.plot.status.text(lang),
                    "zone": p.plot.zone,
                    "area_mu": round(p.plot.area_mu, 4),
                    "overlap_m2": round(p.overlap_m2, 2),
                }
                for p in self.plots
            ],
        }


def _overlap_m2(site: BaseGeometry, geoms: Sequence[BaseGeometry]) -> list[float]:
    if not geoms:
        return []
    inter = shapely.intersection(site, np.array(geoms, dtype=object))
    m2 = np.zeros(len(geoms))
    nonempty = ~shapely.is_empty(inter)
    if nonempty.any():
        m2[nonempty], _ = geo.areas(inter[nonempty])
    return [float(x) for x in m2]


def screen_site(session: Session, site: BaseGeometry, on: date | None = None) -> SiteScreening:
    """Site screening (选址预审): the zones, regional assessments and plots a candidate polygon
    touches.

    Preconditions: ``site`` is a valid geometry in EPSG:4490 inside China.
    """
    on = on or date.today()
    zones, _ = search_zones(session, intersects=site)
    found = search_plots(session, PlotQuery(intersects=site))
    plots = get_plots(session, found.codes)
    site_m2 = geo.areas(np.array([site], dtype=object))[0][0] if site.area > 0 else 0.0
    zm2 = _overlap_m2(site, [z.geometry for z in zones])
    pm2 = _overlap_m2(site, [p.geometry for p in plots])
    return SiteScreening(
        on,
        float(site_m2),
        float(geo.mu_from_m2(site_m2)),
        [
            ScreenedZone(z, m2, tuple((a, a.is_valid_on(on)) for a in z.assessments))
            for z, m2 in zip(zones, zm2, strict=True)
        ],
        [ScreenedPlot(p, m2) for p, m2 in zip(plots, pm2, strict=True)],
    )


# --- import ---------------------------------------------------------------------------------


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
        :func:`landplots.records.parse_plots`; also overlaps with each other or with the
        registry's plots).  Nothing is written.
    GisFileError
        The file cannot be read.
    """
    from landplots import gis_io  # geopandas/pyogrio: only for files

    started = time.perf_counter()
    source = str(path)
    _report(progress, 0.0, "读取文件", "reading")
    layers = gis_io.plan_layers(path, layer)
    zones: list[Zone] = []
    problems: list[Problem] = []
    if layers.zones and layers.plots is None:
        return import_zones_file(session, path, layer=layers.zones, encoding=encoding)
    if layers.zones:
        rows = gis_io.read_table(path, layers.assessments) if layers.assessments else []
        zones, problems = parse_zones(gis_io.read_layer(path, layers.zones, encoding), rows)
    if layers.single:
        frame = gis_io.read_layer(path, None, encoding)
    else:
        frame = gis_io.read_layer(path, layers.plots, encoding) if layers.plots else None
    if frame is None and not layers.zones:
        raise ImportRefused(
            [Problem(source, Text("文件中没有图层", "the file has no layer"))], source
        )
    return _import(session, source, zones, problems, frame, progress, started, required)


def import_zones_file(
    session: Session,
    path: str | Path,
    *,
    assessments: str | Path | None = None,
    layer: str | None = None,
    encoding: str | None = None,
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
    source = str(path)
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
    if _is_sqlite(session):
        idx = _snapshot(session).index
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
        _report(progress, 0.15, "校验属性与指标", "validating attributes and indicators")
        n = len(frame)
        done = 0

        def tick(k: int) -> None:
            nonlocal done
            done += k
            _report(
                progress, 0.15 + 0.4 * min(done / max(n, 1), 1.0), "校验属性与指标", "validating"
            )

        table, plot_problems = parse_plots(
            frame, ZoneContext(list(merged.values())), tick, required
        )
        problems += plot_problems
        usable = np.array([g is not None and not g.is_empty for g in table.geoms], dtype=bool)
        if usable.any():
            usable[usable] = shapely.is_valid(table.geoms[usable]) & np.isin(
                shapely.get_type_id(table.geoms[usable]), (3, 6)
            )
            usable[usable] = ~geo.outside_china(table.geoms[usable])
        blank = [i for i, z in enumerate(table.zones) if not z and usable[i]]
        if blank and merged:
            found = zone_of_points(list(merged.values()), table.geoms[blank])
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
    if problems:
        raise ImportRefused(problems, source)
    _report(progress, 0.7, "写入登记库", "writing")
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
    plots_new = plots_updated = 0
    if table is not None and len(table):
        plots_new, plots_updated = _write_plots(session, table)
    _bump(session)
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


def _write_plots(session: Session, table: PlotTable) -> tuple[int, int]:
    """Replace the plots of the table's codes and insert the rest, in bulk (executemany on
    SQLite, COPY on PostgreSQL).  Returns (new, updated)."""
    codes = table.codes
    existing: set[str] = set()
    if session.execute(select(PlotRow.code).limit(1)).first() is not None:
        for batch in _chunks(codes):
            existing.update(session.scalars(select(PlotRow.code).where(PlotRow.code.in_(batch))))
    if existing:
        gone = sorted(existing)
        for batch in _chunks(gone):
            session.execute(delete(PlotIndicatorRow).where(PlotIndicatorRow.plot_code.in_(batch)))
            session.execute(delete(PlotRow).where(PlotRow.code.in_(batch)))
    now = utcnow()
    extras = [json.dumps(e, ensure_ascii=False) if e else "{}" for e in table.extras]
    statuses = [s.value for s in table.statuses]
    order = sorted(range(len(codes)), key=codes.__getitem__)  # primary-key order
    ind_rows: list[tuple[Any, ...]] = []
    for key, v in table.indicators.items():
        d = v.definition
        name, unit, milestone = d.name, d.unit, d.milestone.value
        lo = [None if math.isnan(x) else x for x in v.lower.tolist()]
        hi = [None if math.isnan(x) else x for x in v.upper.tolist()]
        for i in np.flatnonzero(v.present()).tolist():
            ind_rows.append((codes[i], key, name, unit, lo[i], hi[i], milestone))
    ind_rows.sort(key=operator.itemgetter(0, 1))  # primary-key order
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size = -131072")  # 128 MiB: bulk B-tree inserts
        stamp_value = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME form
        wkb = shapely.to_wkb(table.geoms)
        rows = [
            (
                codes[i],
                table.names[i],
                statuses[i],
                table.land_uses[i],
                table.zones[i],
                wkb[i],
                float(table.area_m2[i]),
                float(table.area_mu[i]),
                int(table.gk_epsg[i]),
                extras[i],
                stamp_value,
            )
            for i in order
        ]
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
    else:
        ewkb = shapely.to_wkb(
            shapely.set_srid(table.geoms, geo.STORAGE_EPSG), hex=True, include_srid=True
        )
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY landplots ({', '.join(_PLOT_COLUMNS)}) FROM STDIN") as copy:
                for i in order:
                    copy.write_row(
                        (
                            codes[i],
                            table.names[i],
                            statuses[i],
                            table.land_uses[i],
                            table.zones[i],
                            ewkb[i],
                            float(table.area_m2[i]),
                            float(table.area_mu[i]),
                            int(table.gk_epsg[i]),
                            extras[i],
                            now,
                        )
                    )
            if ind_rows:
                with cur.copy(
                    f"COPY landplot_indicators ({', '.join(_INDICATOR_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for r in ind_rows:
                        copy.write_row(r)
    return len(codes) - len(existing), len(existing)


def delete_plots(session: Session, codes: Sequence[str]) -> int:
    """Remove plots by code; returns how many existed."""
    begin_write(session)
    n = 0
    for batch in _chunks(list(codes)):
        n += session.execute(delete(PlotRow).where(PlotRow.code.in_(batch))).rowcount  # type: ignore[attr-defined]
    _bump(session)
    session.flush()
    return n


# --- export ---------------------------------------------------------------------------------


def export_plots(
    session: Session, path: str | Path, fmt: str | None = None, query: PlotQuery | None = None
) -> int:
    """Write the registry's plots (all, or those matching ``query``) to a GeoJSON, GeoPackage
    (with its zones and assessments) or Shapefile; returns how many."""
    from landplots import gis_io  # geopandas/pyogrio: only for files

    f = gis_io.format_of(path, fmt)
    codes = None if query is None else search_plots(session, query).codes
    plots = get_plots(session, codes)
    zones = all_zones(session)
    catalogue = Catalogue(d for z in zones for d in z.indicator_definitions)
    table = PlotTable.from_plots(plots, catalogue)
    gis_io.write_plots(table, path, f, zones if f == "gpkg" else ())
    return len(plots)


def export_zones(session: Session, path: str | Path, fmt: str | None = None) -> int:
    """Write every zone with its assessments and indicator definitions; returns how many."""
    from landplots import gis_io  # geopandas/pyogrio: only for files

    f = gis_io.format_of(path, fmt)
    zones = all_zones(session)
    gis_io.write_zones(zones, path, f)
    return len(zones)


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
