"""What the readers of attribute tables share: the columnar :class:`PlotTable`, the zones a
file may refer to, cell helpers, and the geometry and overlap checks.

The readers are :mod:`landplots.plot_records` (plots) and :mod:`landplots.zone_records` (zones
and their regional assessments).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from i18n import Text
from landplots import geometry as geo
from landplots.errors import Problem
from landplots.indicators import (
    Catalogue,
    IndicatorDefinition,
)
from landplots.model import (
    Indicator,
    Plot,
    PlotStatus,
    Zone,
)

BASE_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "plot_code", "plotcode", "dkbh", "地块编码", "地块编号", "编码", "编号"),
    "name": ("name", "plot_name", "plotname", "dkmc", "地块名称", "名称"),
    "status": ("status", "state", "zt", "地块状态", "状态"),
    "land_use": ("land_use", "landuse", "use", "tdyt", "用地性质", "土地用途", "用途"),
    "zone": ("zone", "zone_code", "zonecode", "所属片区", "片区", "园区", "所属园区"),
    "indicators": ("indicators", "指标"),
}
DERIVED_COLUMNS = frozenset({"area_m2", "area_mu", "gk_epsg", "status_zh", "fid", "ogc_fid"})
FIELD_PATTERN = re.compile(
    r"^(?P<base>[a-z][a-z0-9_]*?)_(?P<field>lo|hi|lower|upper|min|max|u|unit)$"
)
BOUND_FIELDS = {"lo": "lower", "lower": "lower", "min": "lower", "hi": "upper", "upper": "upper"}
BOUND_FIELDS["max"] = "upper"


#: Tolerance for overlapping plots: digitising slivers below it are accepted.
OVERLAP_TOLERANCE_M2 = 1.0
OVERLAP_TOLERANCE_RATIO = 0.001


def _t(zh: str, en: str) -> Text:
    return Text(zh, en)


@dataclass
class IndicatorValues:
    """One indicator key across the table: bounds per row (NaN: absent), units as written."""

    definition: IndicatorDefinition
    lower: np.ndarray
    upper: np.ndarray

    def present(self) -> np.ndarray:
        return ~(np.isnan(self.lower) & np.isnan(self.upper))


@dataclass
class PlotTable:
    """Validated plots as columns (row ``i`` is one plot)."""

    codes: list[str]
    names: list[str]
    statuses: list[PlotStatus]
    land_uses: list[str]
    zones: list[str]
    geoms: np.ndarray
    area_m2: np.ndarray
    area_mu: np.ndarray
    gk_epsg: np.ndarray
    extras: list[dict[str, Any]]
    indicators: dict[str, IndicatorValues] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.codes)

    def row_indicators(self, i: int) -> tuple[Indicator, ...]:
        out = []
        for key, v in self.indicators.items():
            lo, hi = v.lower[i], v.upper[i]
            if math.isnan(lo) and math.isnan(hi):
                continue
            d = v.definition
            out.append(
                Indicator(
                    key,
                    d.name,
                    d.unit,
                    None if math.isnan(lo) else float(lo),
                    None if math.isnan(hi) else float(hi),
                    d.milestone,
                )
            )
        return tuple(out)

    def plot(self, i: int) -> Plot:
        return Plot(
            code=self.codes[i],
            name=self.names[i],
            geometry=self.geoms[i],
            status=self.statuses[i],
            land_use=self.land_uses[i],
            zone=self.zones[i],
            indicators=self.row_indicators(i),
            area_m2=float(self.area_m2[i]),
            area_mu=float(self.area_mu[i]),
            gk_epsg=int(self.gk_epsg[i]),
            extra=self.extras[i],
        )

    def plots(self) -> list[Plot]:
        return [self.plot(i) for i in range(len(self))]

    @classmethod
    def from_plots(cls, plots: Sequence[Plot], catalogue: Catalogue | None = None) -> PlotTable:
        """The columns of existing plots (for export).  Definitions (short codes) come from
        ``catalogue``; a key it lacks gets one from the plot's own indicator."""
        catalogue = catalogue or Catalogue()
        n = len(plots)
        table = cls(
            [p.code for p in plots],
            [p.name for p in plots],
            [p.status for p in plots],
            [p.land_use for p in plots],
            [p.zone for p in plots],
            np.array([p.geometry for p in plots], dtype=object),
            np.array([p.area_m2 for p in plots], dtype=np.float64),
            np.array([p.area_mu for p in plots], dtype=np.float64),
            np.array([p.gk_epsg for p in plots], dtype=np.int64),
            [dict(p.extra) for p in plots],
        )
        for i, p in enumerate(plots):
            for ind in p.indicators:
                v = table.indicators.get(ind.key)
                if v is None:
                    d = catalogue.get(ind.key) or IndicatorDefinition(
                        ind.key, ind.name, ind.key, ind.unit, "range", ind.milestone, ind.key[:7]
                    )
                    v = table.indicators[ind.key] = IndicatorValues(
                        d, np.full(n, np.nan), np.full(n, np.nan)
                    )
                if ind.lower is not None:
                    v.lower[i] = ind.lower
                if ind.upper is not None:
                    v.upper[i] = ind.upper
        return table


@dataclass(frozen=True)
class ZoneContext:
    """What the plots of a file may refer to: known zones (registry and the same file)."""

    zones: Sequence[Zone] = ()

    def catalogue(self) -> Catalogue:
        return Catalogue(d for z in self.zones for d in z.indicator_definitions)

    def code_of(self) -> dict[str, str]:
        """Zone code or name → code."""
        out = {z.name: z.code for z in self.zones if z.name}
        out.update({z.code: z.code for z in self.zones})
        return out


def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def cell_text(v: Any) -> str:
    if is_blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def column_texts(values: np.ndarray) -> list[str]:
    """:func:`cell_text` over a column, fast for the usual column of strings."""
    return [v.strip() if type(v) is str else cell_text(v) for v in values.tolist()]


def json_safe(v: Any) -> Any:
    """A value fit for a JSON document (numpy scalars, dates, NaN → None)."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, datetime | date):
        return v.isoformat()
    if hasattr(v, "isoformat"):  # pandas Timestamp
        return v.isoformat()
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, Mapping):
        return {str(k): json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple | np.ndarray):
        return [json_safe(x) for x in v]
    return str(v)


def resolve_columns(columns: Iterable[str]) -> dict[str, str]:
    """Canonical base field → the file's column."""
    lower = {c.lower().strip(): c for c in columns}
    out: dict[str, str] = {}
    for canon, aliases in BASE_ALIASES.items():
        for a in aliases:
            if a in lower:
                out[canon] = lower[a]
                break
    return out


def check_geometries(codes: Sequence[str], geoms: np.ndarray) -> list[Problem]:
    """Type, emptiness, validity (with shapely's reason) and CGCS2000 extent of each geometry.

    Precondition: geometries are in EPSG:4490 (lon/lat).
    """
    problems: list[Problem] = []
    missing = np.array([g is None for g in geoms], dtype=bool)
    types = shapely.get_type_id(geoms)
    for i in np.flatnonzero(missing | shapely.is_empty(geoms)):
        problems.append(Problem(codes[i], _t("没有几何图形", "has no geometry")))
    bad_type = ~missing & ~np.isin(types, (3, 6)) & ~shapely.is_empty(geoms)
    for i in np.flatnonzero(bad_type):
        kind = shapely.get_type_id(geoms[i])
        name = geoms[i].geom_type if geoms[i] is not None else str(kind)
        problems.append(
            Problem(
                codes[i],
                _t(
                    f"几何类型为 {name}，应为 Polygon 或 MultiPolygon",
                    f"geometry is a {name}, not a Polygon or MultiPolygon",
                ),
            )
        )
    ok = ~missing & ~bad_type & ~shapely.is_empty(geoms)
    valid = np.zeros(len(geoms), dtype=bool)
    valid[ok] = shapely.is_valid(geoms[ok])
    for i in np.flatnonzero(ok & ~valid):
        reason = shapely.is_valid_reason(geoms[i])
        problems.append(
            Problem(
                codes[i],
                _t(f"几何图形无效：{reason}", f"invalid geometry: {reason}"),
            )
        )
    outside = np.zeros(len(geoms), dtype=bool)
    outside[ok & valid] = geo.outside_china(geoms[ok & valid])
    for i in np.flatnonzero(outside):
        minx, miny = shapely.bounds(geoms[i])[:2]
        problems.append(
            Problem(
                codes[i],
                _t(
                    f"坐标 ({minx:.6g}, {miny:.6g}) 超出 CGCS2000 经纬度范围：坐标系错误或经纬度颠倒？",
                    f"coordinates ({minx:.6g}, {miny:.6g}) lie outside CGCS2000 lon/lat: "
                    "wrong CRS, or swapped axes?",
                ),
            )
        )
    return problems


def find_overlaps(
    codes: Sequence[str],
    geoms: np.ndarray,
    other_codes: Sequence[str] = (),
    other_geoms: np.ndarray | None = None,
    tolerance_m2: float = OVERLAP_TOLERANCE_M2,
    tolerance_ratio: float = OVERLAP_TOLERANCE_RATIO,
) -> list[Problem]:
    """Plots whose interiors overlap another plot by more than the tolerance.

    Compares the file's plots with each other and with ``other_*`` (the registry's plots that
    the file does not replace).  The overlap is measured in m² (GK zone of the pair) and
    accepted up to ``max(tolerance_m2, tolerance_ratio × the smaller plot)``: shared edges and
    digitising slivers pass.  Precondition: valid polygons in EPSG:4490.
    """
    n = len(geoms)
    if other_geoms is None:
        other_geoms = np.zeros(0, dtype=object)
    all_geoms = np.concatenate([geoms, other_geoms]) if len(other_geoms) else geoms
    all_codes = list(codes) + list(other_codes)
    if n == 0:
        return []
    tree = shapely.STRtree(all_geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = (right != left) & ((right >= n) | (right > left))
    left, right = left[keep], right[keep]
    if not len(left):
        return []
    interior = shapely.relate_pattern(geoms[left], all_geoms[right], "T********")
    left, right = left[interior], right[interior]
    problems = []
    if not len(left):
        return problems
    inter = shapely.intersection(geoms[left], all_geoms[right])
    inter_m2, _ = geo.areas(inter)
    a_m2, _ = geo.areas(geoms[left])
    b_m2, _ = geo.areas(all_geoms[right])
    limit = np.maximum(tolerance_m2, tolerance_ratio * np.minimum(a_m2, b_m2))
    for li, ri, m2, lim in zip(left, right, inter_m2, limit, strict=True):
        if m2 <= lim:
            continue
        other = all_codes[ri]
        where_zh = "登记库中的" if ri >= n else ""
        where_en = "registered plot " if ri >= n else ""
        problems.append(
            Problem(
                codes[li],
                _t(
                    f"与{where_zh}地块 {other} 重叠 {m2:.1f} m²（容差 {lim:.1f} m²）",
                    f"overlaps {where_en}{other} by {m2:.1f} m² (tolerance {lim:.1f} m²)",
                ),
            )
        )
    return problems


def geometry_of(value: Any) -> BaseGeometry:
    """A shapely geometry from WKT, GeoJSON text or a GeoJSON mapping (lon/lat, EPSG:4490).

    Raises
    ------
    GeometryError
        When the value is none of those, or the geometry is empty or invalid.
    """
    from landplots.errors import GeometryError

    try:
        if isinstance(value, BaseGeometry):
            g = value
        elif isinstance(value, Mapping):
            g = shapely.geometry.shape(value.get("geometry", value))
        else:
            text = str(value).strip()
            if text.startswith("{"):
                doc = json.loads(text)
                if doc.get("type") == "FeatureCollection":
                    gs = [shapely.geometry.shape(f["geometry"]) for f in doc["features"]]
                    g = shapely.union_all(gs)
                else:
                    g = shapely.geometry.shape(doc.get("geometry", doc))
            else:
                g = shapely.from_wkt(text)
    except Exception as e:
        raise GeometryError(
            f"无法解析几何图形（应为 WKT 或 GeoJSON）：{e}",
            f"cannot read the geometry (WKT or GeoJSON expected): {e}",
        ) from None
    if g is None or g.is_empty:
        raise GeometryError("几何图形为空", "the geometry is empty")
    if not g.is_valid:
        reason = shapely.is_valid_reason(g)
        raise GeometryError(f"几何图形无效：{reason}", f"invalid geometry: {reason}")
    return g
