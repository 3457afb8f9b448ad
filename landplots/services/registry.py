"""The registry's plots and zones: loading them (one statement whatever the count), a plot's
zone and its regional assessments, extents, deletion."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    String,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from approvals.ports import PlotAssessments, PlotFacts
from approvals.project import AssessmentCoverage
from landplots.errors import PlotNotFound, ZoneNotFound
from landplots.indicators import STANDARD
from landplots.model import Indicator, Milestone, Plot, PlotStatus, Zone
from landplots.orm import PlotIndicatorRow, PlotRow, ZoneRow
from landplots.services.index_cache import bump_registry, is_sqlite, snapshot
from landplots.zone_records import zone_of_points
from storage.engine import begin_write


def chunks(items: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
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


def plots_from_rows(rows: Sequence[Any]) -> list[Plot]:
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
    return plots_from_rows([rows[k] for k in order])


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
    if is_sqlite(session):
        idx = snapshot(session).index
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


def all_zones(session: Session) -> list[Zone]:
    """Every zone with its assessments, in code order."""
    if is_sqlite(session):
        return list(snapshot(session).zones)
    return [z.to_domain() for z in session.scalars(select(ZoneRow).order_by(ZoneRow.code))]


def get_zone(session: Session, code: str) -> Zone:
    """One zone.  Raises :class:`ZoneNotFound`."""
    row = session.get(ZoneRow, code)
    if row is None:
        raise ZoneNotFound(code)
    return row.to_domain()


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


#: Where a plot file records who bought the plot (受让人), by name or credit code.
BUYER_KEYS = ("buyer", "受让人", "受让单位", "buyer_credit_code")


def plot_facts(session: Session, plot_code: str) -> PlotFacts | None:
    """What filing checks about a plot: status, zone, area and the recorded buyer (None when
    no plot has that code)."""
    found = get_plots(session, [plot_code])
    if not found:
        return None
    plot = found[0]
    buyer = next((str(plot.extra[k]) for k in BUYER_KEYS if plot.extra.get(k)), "")
    return PlotFacts(
        code=plot.code,
        status=plot.status.value,
        status_zh=plot.status.text("zh"),
        status_en=plot.status.text("en"),
        zone=plot.zone,
        area_mu=float(plot.area_mu),
        buyer=buyer,
    )


class _RegistryPort:
    """The registry as approvals' port (:class:`approvals.ports.PlotAssessments`)."""

    def __call__(
        self, session: Session, plot_code: str, on: date | None = None
    ) -> tuple[AssessmentCoverage, ...]:
        return assessments_for_plot(session, plot_code, on)

    def facts(self, session: Session, plot_code: str) -> PlotFacts | None:
        return plot_facts(session, plot_code)


#: The registry as approvals' port (:class:`approvals.ports.PlotAssessments`), wired into filing
#: by the composition root: landplots depends on approvals, never the other way.
PLOT_ASSESSMENTS: PlotAssessments = _RegistryPort()


def delete_plots(session: Session, codes: Sequence[str]) -> int:
    """Remove plots by code; returns how many existed."""
    begin_write(session)
    n = 0
    for batch in chunks(list(codes)):
        n += session.execute(delete(PlotRow).where(PlotRow.code.in_(batch))).rowcount  # type: ignore[attr-defined]
    bump_registry(session)
    session.flush()
    return n
