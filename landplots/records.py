"""From attribute tables to validated plots and zones, column by column.

A GIS file is a table: one row per feature, a geometry and attributes.  :func:`parse_plots`
reads such a table (a GeoDataFrame already in EPSG:4490, see :mod:`landplots.gis_io`) into a
:class:`PlotTable` — columnar, so that 100,000 plots validate in about a second — and collects
*every* problem of the file before refusing it (:class:`~landplots.errors.ImportRefused`), each
naming its culprit: the plot's code, else ``#n`` (the feature's 1-based number).

Recognised columns (case-insensitive; Chinese headers accepted too):

========== ============================================================================
code       地块编码 (required, unique)
name       地块名称 (default: the code)
status     储备 / 挂牌 / 已出让 / 已开工 / 已竣工 / 已达产 or reserve / listed / sold / started /
           completed / producing (default: listed)
land_use   用地性质, e.g. 工业用地 (M1)
zone       片区编码 (or its name); empty: the zone that holds the plot, if any
indicators a JSON object ``{"tax_per_mu": {"lower": 30, "unit": "万元/亩·年"}, …}`` (GeoJSON)
<s>_lo     lower bound of the indicator whose short code is ``<s>`` (also ``<key>_lo``,
           ``<key>_lower``, ``<key>_min``)
<s>_hi     upper bound (also ``<key>_hi``, ``<key>_upper``, ``<key>_max``)
<s>_u      unit, checked when given (also ``<key>_unit``)
<key>      one value: the bound of the indicator's direction (``tax_per_mu = 30`` → ≥ 30)
========== ============================================================================

``area_m2``, ``area_mu``, ``gk_epsg`` and ``status_zh`` are computed and ignored on input;
any other column is kept as an extra attribute and written back on export.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from i18n import Text
from landplots import geometry as geo
from landplots.errors import IndicatorError, LandplotsError, Problem
from landplots.indicators import (
    Catalogue,
    IndicatorDefinition,
    indicator_from_value,
    normalize_unit,
    parse_definition,
)
from landplots.model import (
    Indicator,
    Plot,
    PlotStatus,
    RegionalAssessment,
    Zone,
    parse_status,
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
_FIELD = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)_(?P<field>lo|hi|lower|upper|min|max|u|unit)$")
_BOUND_FIELDS = {"lo": "lower", "lower": "lower", "min": "lower", "hi": "upper", "upper": "upper"}
_BOUND_FIELDS["max"] = "upper"

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


# --- helpers --------------------------------------------------------------------------------


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def _text(v: Any) -> str:
    if _blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _texts(values: np.ndarray) -> list[str]:
    """:func:`_text` over a column, fast for the usual column of strings."""
    return [v.strip() if type(v) is str else _text(v) for v in values.tolist()]


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


def _resolve_columns(columns: Iterable[str]) -> dict[str, str]:
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


# --- plots ----------------------------------------------------------------------------------


@dataclass
class _IndicatorSource:
    key: str
    lower: list[tuple[str, np.ndarray]] = field(default_factory=list)  # (column, values)
    upper: list[tuple[str, np.ndarray]] = field(default_factory=list)
    unit: list[tuple[str, np.ndarray]] = field(default_factory=list)
    bare: list[tuple[str, np.ndarray]] = field(default_factory=list)


def _numeric(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float array (NaN where blank) and a mask of non-blank values that are not numbers."""
    try:  # the common case: a numeric column (NaN for blanks)
        out = values.astype(np.float64)
        if not any(isinstance(v, bool | str) for v in values[: min(len(values), 50)]):
            return out, np.zeros(len(values), dtype=bool)
    except (TypeError, ValueError):
        pass
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if _blank(v):
            continue
        if isinstance(v, bool):
            bad[i] = True
            continue
        if isinstance(v, int | float | np.integer | np.floating):
            out[i] = float(v)
            continue
        try:
            out[i] = float(str(v).strip())
        except ValueError:
            bad[i] = True
    return out, bad


class _Bounds:
    """The indicator bounds read so far, per key and side, with the column each came from (to
    name both when two columns contradict each other)."""

    def __init__(self, n: int, culprit: list[str], problems: list[Problem]) -> None:
        self.n = n
        self.culprit = culprit
        self.problems = problems
        self.lower: dict[str, np.ndarray] = {}
        self.upper: dict[str, np.ndarray] = {}
        self.origin: dict[tuple[str, str], np.ndarray] = {}
        self.units: dict[str, list[Any]] = {}  # units as written, per key and row

    def arrays(self, key: str, side: str) -> tuple[np.ndarray, np.ndarray]:
        table = self.lower if side == "lower" else self.upper
        if key not in table:
            table[key] = np.full(self.n, np.nan)
            self.origin[(key, side)] = np.full(self.n, None, dtype=object)
        return table[key], self.origin[(key, side)]

    def conflict(
        self, key: str, side: str, i: int, old: float, new: float, where: Any, column: str
    ) -> None:
        self.problems.append(
            Problem(
                self.culprit[i],
                _t(
                    f"{key}：{where} 与 {column} 给出的{'下限' if side == 'lower' else '上限'}不一致（{old:g} ≠ {new:g}）",
                    f"{key}: {where} and {column} give contradictory {side} bounds ({old:g} ≠ {new:g})",
                ),
            )
        )

    def put(self, key: str, side: str, i: int, value: float, column: str) -> None:
        arr, where = self.arrays(key, side)
        if not math.isnan(arr[i]) and arr[i] != value:
            self.conflict(key, side, i, arr[i], value, where[i], column)
            return
        arr[i] = value
        where[i] = column

    def put_indicator(self, key: str, i: int, ind: Indicator, column: str) -> None:
        if ind.lower is not None:
            self.put(key, "lower", i, ind.lower, column)
        if ind.upper is not None:
            self.put(key, "upper", i, ind.upper, column)

    def put_column(self, key: str, side: str, values: np.ndarray, column: str) -> None:
        """A whole column at once (flat attribute tables)."""
        arr, where = self.arrays(key, side)
        given = ~np.isnan(values)
        clash = given & ~np.isnan(arr) & (arr != values)
        for i in np.flatnonzero(clash):
            self.conflict(key, side, int(i), arr[i], values[i], where[i], column)
        take = given & ~clash
        arr[take] = values[take]
        where[take] = column

    def put_unit(self, key: str, i: int, unit: Any) -> None:
        self.units.setdefault(key, [None] * self.n)[i] = unit


@dataclass
class _PlotFrame:
    """The table being read: its attribute columns as arrays, the file's column for each base
    field, the indicators known (standard and the zones'), and the problems found so far."""

    n: int
    columns: list[str]
    col: dict[str, np.ndarray]
    base: dict[str, str]
    catalogue: Catalogue
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def of(cls, frame: Any, context: ZoneContext) -> _PlotFrame:
        columns = [c for c in frame.columns if c != frame.geometry.name]
        col = {c: frame[c].to_numpy(dtype=object) for c in columns}
        return cls(len(frame), columns, col, _resolve_columns(columns), context.catalogue())

    def values(self, canon: str) -> np.ndarray:
        c = self.base.get(canon)
        return self.col[c] if c else np.full(self.n, None, dtype=object)


def _read_codes(f: _PlotFrame) -> tuple[list[str], list[str]]:
    """The plots' codes and each row's culprit (its code, else ``#n``): every code present and
    unique."""
    codes = _texts(f.values("code"))
    culprit = [c or f"#{i + 1}" for i, c in enumerate(codes)]
    if "code" not in f.base:
        f.problems.append(
            Problem(
                "",
                _t(
                    "缺少地块编码列 code（或 地块编码）",
                    "no plot code column 'code' (or 地块编码)",
                ),
            )
        )
    else:
        for i in (i for i, c in enumerate(codes) if not c):
            f.problems.append(Problem(culprit[i], _t("缺少地块编码", "has no plot code")))
    dup = Counter(c for c in codes if c)
    for c, k in dup.items():
        if k > 1:
            rows = [str(i + 1) for i, x in enumerate(codes) if x == c][:5]
            f.problems.append(
                Problem(
                    c,
                    _t(
                        f"编码重复 {k} 次（第 {', '.join(rows)} 个要素）",
                        f"duplicate code: {k} features (#{', #'.join(rows)})",
                    ),
                )
            )
    return codes, culprit


def _read_statuses(f: _PlotFrame, culprit: list[str]) -> list[PlotStatus]:
    """Each plot's status (default 挂牌 listed); an unknown word is a problem."""
    statuses: list[PlotStatus] = []
    status_cache: dict[str, PlotStatus | LandplotsError] = {}
    for i, word in enumerate(_texts(f.values("status"))):
        if not word:
            statuses.append(PlotStatus.LISTED)
            continue
        s = status_cache.get(word)
        if s is None:
            try:
                s = parse_status(word)
            except LandplotsError as e:
                s = e
            status_cache[word] = s
        if isinstance(s, LandplotsError):
            f.problems.append(Problem(culprit[i], s.message))
            statuses.append(PlotStatus.LISTED)
        else:
            statuses.append(s)
    return statuses


def _indicator_columns(f: _PlotFrame) -> tuple[dict[str, _IndicatorSource], list[str]]:
    """The columns that carry indicators (bare key, ``_lo``/``_hi``/``_u`` fields) by key, and
    the other columns (kept as extra attributes).  A bound column of an unknown indicator is a
    problem."""
    sources: dict[str, _IndicatorSource] = {}
    extra_columns: list[str] = []
    used = set(f.base.values())
    for c in f.columns:
        if c in used:
            continue
        low = c.lower().strip()
        if low in DERIVED_COLUMNS:
            continue
        d = f.catalogue.get(low)
        if d is not None:
            sources.setdefault(d.key, _IndicatorSource(d.key)).bare.append((c, f.col[c]))
            continue
        m = _FIELD.match(low)
        if m:
            d = f.catalogue.get(m["base"]) or f.catalogue.by_short.get(m["base"])
            fld = m["field"]
            if d is not None:
                src = sources.setdefault(d.key, _IndicatorSource(d.key))
                if fld in ("u", "unit"):
                    src.unit.append((c, f.col[c]))
                elif _BOUND_FIELDS[fld] == "lower":
                    src.lower.append((c, f.col[c]))
                else:
                    src.upper.append((c, f.col[c]))
                continue
            if fld in ("lo", "hi", "lower", "upper"):
                f.problems.append(
                    Problem(
                        "",
                        _t(
                            f"列 {c}：未知指标 '{m['base']}'（既非标准指标，也未由片区定义）",
                            f"column {c}: unknown indicator '{m['base']}' (neither standard "
                            "nor defined by a zone)",
                        ),
                    )
                )
                continue
        extra_columns.append(c)
    return sources, extra_columns


def _read_indicator_columns(
    f: _PlotFrame, sources: dict[str, _IndicatorSource], bounds: _Bounds
) -> None:
    """Bounds and units from flat columns: numeric bound columns, unit columns, and bare
    values (``tax_per_mu = 30``: the bound of the indicator's direction)."""
    culprit = bounds.culprit
    for key, src in sources.items():
        d = f.catalogue.get(key)
        assert d is not None
        for side, cols in (("lower", src.lower), ("upper", src.upper)):
            for c, vals in cols:
                nums, bad = _numeric(vals)
                for i in np.flatnonzero(bad):
                    f.problems.append(
                        Problem(
                            culprit[i],
                            _t(
                                f"{key}：列 {c} 的值 '{vals[i]}' 不是数字",
                                f"{key}: '{vals[i]}' in column {c} is not a number",
                            ),
                        )
                    )
                bounds.put_column(key, side, nums, c)
        for _c, vals in src.unit:
            units = bounds.units.setdefault(key, [None] * f.n)  # a unit column names the key
            for i, v in enumerate(vals):
                if not _blank(v):
                    units[i] = v
        for c, vals in src.bare:
            for i, v in enumerate(vals):
                if _blank(v):
                    continue
                try:
                    ind = indicator_from_value(d, v)
                except IndicatorError as e:
                    f.problems.append(Problem(culprit[i], e.message))
                    continue
                bounds.put_indicator(key, i, ind, c)


def _nested_items(raw: Any) -> list[tuple[str, Any]] | Text:
    """The ``(key, spec)`` pairs of a nested ``indicators`` value (a JSON object or list, or its
    text), or the problem with it."""
    doc = raw
    if isinstance(raw, str):
        try:
            doc = json.loads(raw)
        except ValueError:
            return _t("indicators 不是合法的 JSON", "indicators is not valid JSON")
    if isinstance(doc, list):
        return [
            (str(entry["key"]), entry)
            if isinstance(entry, Mapping) and "key" in entry
            else ("?", entry)
            for entry in doc
        ]
    if isinstance(doc, Mapping):
        return [(str(k), v) for k, v in doc.items()]
    return _t("indicators 应为对象或列表", "indicators must be an object or a list")


def _nested_problem(catalogue: Catalogue, key: str, spec: Any) -> Text | None:
    """Why a nested indicator cannot be read: unknown, or without any value."""
    d = catalogue.get(key) or catalogue.by_short.get(key)
    if d is None:
        return _t(
            f"未知指标 '{key}'（既非标准指标，也未由片区定义）",
            f"unknown indicator '{key}' (neither standard nor defined by a zone)",
        )
    if _blank(spec) or (
        isinstance(spec, Mapping)
        and not any(
            not _blank(spec.get(k)) for k in ("lower", "upper", "min", "max", "lo", "hi", "value")
        )
    ):
        return _t(
            f"{d.key}（{d.name}）：缺少指标值（下限或上限）",
            f"{d.key} ({d.name_en}): missing value (no lower or upper bound)",
        )
    return None


def _read_nested_indicators(f: _PlotFrame, bounds: _Bounds) -> None:
    """Bounds and units from the ``indicators`` column (GeoJSON objects, or JSON text in any
    format)."""
    if "indicators" not in f.base:
        return
    culprit = bounds.culprit
    for i, raw in enumerate(f.col[f.base["indicators"]]):
        if _blank(raw):
            continue
        items = _nested_items(raw)
        if isinstance(items, Text):
            f.problems.append(Problem(culprit[i], items))
            continue
        for key, spec in items:
            problem = _nested_problem(f.catalogue, key, spec)
            if problem is not None:
                f.problems.append(Problem(culprit[i], problem))
                continue
            d = f.catalogue.get(key) or f.catalogue.by_short.get(key)
            assert d is not None
            try:
                ind = indicator_from_value(d, spec)
            except IndicatorError as e:
                f.problems.append(Problem(culprit[i], e.message))
                continue
            bounds.put_indicator(d.key, i, ind, "indicators")
            if isinstance(spec, Mapping):
                u = spec.get("unit", spec.get("u"))
                if not _blank(u):
                    bounds.put_unit(d.key, i, u)


def _check_units(
    d: IndicatorDefinition,
    units: list[Any],
    present: np.ndarray,
    culprit: list[str],
    problems: list[Problem],
) -> None:
    """Each unit written must be the indicator's; a unit without a value is a problem."""
    verdict: dict[str, Text | None] = {}
    for i, u in enumerate(units):
        if u is None:
            continue
        word = str(u)
        if word not in verdict:
            verdict[word] = _unit_problem(d, u)
        if verdict[word] is not None:
            problems.append(Problem(culprit[i], verdict[word]))  # type: ignore[arg-type]
        elif not present[i]:
            problems.append(
                Problem(
                    culprit[i],
                    _t(
                        f"{d.key}（{d.name}）：缺少指标值（下限或上限）",
                        f"{d.key} ({d.name_en}): missing value (no lower or upper bound)",
                    ),
                )
            )


def _check_bounds(
    d: IndicatorDefinition,
    lo: np.ndarray,
    hi: np.ndarray,
    present: np.ndarray,
    culprit: list[str],
    problems: list[Problem],
) -> None:
    """lower ≤ upper, no negative bound, and the bound the indicator's direction needs."""
    key = d.key
    with np.errstate(invalid="ignore"):
        for i in np.flatnonzero(lo > hi):
            problems.append(
                Problem(
                    culprit[i],
                    _t(
                        f"{key}（{d.name}）：下限 {lo[i]:g} 大于上限 {hi[i]:g}，指标自相矛盾",
                        f"{key} ({d.name_en}): lower bound {lo[i]:g} exceeds upper bound {hi[i]:g}",
                    ),
                )
            )
        for i in np.flatnonzero((lo < 0) | (hi < 0)):
            problems.append(
                Problem(
                    culprit[i],
                    _t(f"{key}（{d.name}）：指标值为负数", f"{key} ({d.name_en}): negative bound"),
                )
            )
    if d.direction == "min":
        for i in np.flatnonzero(present & np.isnan(lo)):
            problems.append(
                Problem(
                    culprit[i],
                    _t(
                        f"{key}（{d.name}）：该指标为下限指标（≥），缺少下限",
                        f"{key} ({d.name_en}): a minimum (≥) indicator needs a lower bound",
                    ),
                )
            )
    elif d.direction == "max":
        for i in np.flatnonzero(present & np.isnan(hi)):
            problems.append(
                Problem(
                    culprit[i],
                    _t(
                        f"{key}（{d.name}）：该指标为上限指标（≤），缺少上限",
                        f"{key} ({d.name_en}): a maximum (≤) indicator needs an upper bound",
                    ),
                )
            )


def _check_zone_indicator(
    d: IndicatorDefinition,
    present: np.ndarray,
    zones: list[str],
    custom_by_zone: dict[str, set[str]],
    culprit: list[str],
    problems: list[Problem],
) -> None:
    """A zone's own indicator applies to that zone's plots only."""
    for i in np.flatnonzero(present):
        if d.key not in custom_by_zone.get(zones[i], ()):
            problems.append(
                Problem(
                    culprit[i],
                    _t(
                        f"指标 {d.key} 由片区 {d.zone} 定义，不适用于片区 '{zones[i] or '（无）'}' 的地块",
                        f"indicator {d.key} is defined by zone {d.zone}, not for a plot in "
                        f"zone '{zones[i] or '(none)'}'",
                    ),
                )
            )


def _checked_indicators(
    f: _PlotFrame, bounds: _Bounds, zones: list[str], context: ZoneContext
) -> dict[str, IndicatorValues]:
    """Every indicator read, checked per key (vectorised): units, bounds, zone."""
    n, culprit = f.n, bounds.culprit
    custom_by_zone: dict[str, set[str]] = defaultdict(set)
    for z in context.zones:
        for d in z.indicator_definitions:
            custom_by_zone[z.code].add(d.key)
    indicators: dict[str, IndicatorValues] = {}
    for key in dict.fromkeys([*bounds.lower, *bounds.upper, *bounds.units]):
        d = f.catalogue.get(key)
        assert d is not None
        lo = bounds.lower.get(key, np.full(n, np.nan))
        hi = bounds.upper.get(key, np.full(n, np.nan))
        present = ~(np.isnan(lo) & np.isnan(hi))
        units = bounds.units.get(key)
        if units is not None:
            _check_units(d, units, present, culprit, f.problems)
        _check_bounds(d, lo, hi, present, culprit, f.problems)
        if d.zone:
            _check_zone_indicator(d, present, zones, custom_by_zone, culprit, f.problems)
        indicators[key] = IndicatorValues(d, lo, hi)
    return indicators


def _check_required(
    f: _PlotFrame,
    indicators: dict[str, IndicatorValues],
    zones: list[str],
    culprit: list[str],
    context: ZoneContext,
    required: Sequence[str],
) -> None:
    """At least one indicator (a standard plot's standards are fixed before sale); ``required``
    (e.g. the core three, ``--strict``) and a zone's own required keys."""
    n = f.n
    required_std = list(required)
    required_by_zone = {
        z.code: required_std + [d.key for d in z.indicator_definitions if d.required]
        for z in context.zones
    }
    present_by_key = {k: v.present() for k, v in indicators.items()}
    any_present = np.zeros(n, dtype=bool)
    for v in present_by_key.values():
        any_present |= v
    flagged = {p.culprit for p in f.problems}
    nowhere = np.zeros(n, dtype=bool)
    for i in range(n):
        if not any_present[i] and culprit[i] not in flagged:
            f.problems.append(
                Problem(
                    culprit[i],
                    _t(
                        "缺少控制指标（标准地须在出让前明确指标，如 investment_intensity、plot_ratio、tax_per_mu）",
                        "missing indicators (a standard plot's indicators are fixed before sale, "
                        "e.g. investment_intensity, plot_ratio, tax_per_mu)",
                    ),
                )
            )
            continue
        need = required_by_zone.get(zones[i], required_std)
        missing = [k for k in need if not present_by_key.get(k, nowhere)[i]]
        if missing:
            labels_zh = "、".join(f"{k}（{f.catalogue.get(k).name}）" for k in missing)  # type: ignore[union-attr]
            labels_en = ", ".join(missing)
            f.problems.append(
                Problem(
                    culprit[i],
                    _t(f"缺少必备指标 {labels_zh}", f"missing required indicators: {labels_en}"),
                )
            )


def _extras(f: _PlotFrame, extra_columns: list[str]) -> list[dict[str, Any]]:
    """The other columns' values per row, as JSON values (blank ones left out)."""
    extras: list[dict[str, Any]] = [{} for _ in range(f.n)]
    for c in extra_columns:
        for i, v in enumerate(f.col[c]):
            sv = json_safe(v)
            if sv is not None:
                extras[i][c] = sv
    return extras


def _areas(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area (m²) and Gauss–Krüger EPSG of each usable geometry (0 for the others)."""
    n = len(geoms)
    area_m2 = np.zeros(n)
    epsgs = np.zeros(n, dtype=np.int64)
    usable = np.array([g is not None for g in geoms], dtype=bool)
    if usable.any():
        usable[usable] = (
            shapely.is_valid(geoms[usable])
            & np.isin(shapely.get_type_id(geoms[usable]), (3, 6))
            & ~geo.outside_china(geoms[usable])
        )
        if usable.any():
            area_m2[usable], epsgs[usable] = geo.areas(geoms[usable])
    return area_m2, epsgs


def parse_plots(
    frame: Any,
    context: ZoneContext = ZoneContext(),
    progress: Callable[[int], None] | None = None,
    required: Sequence[str] = (),
) -> tuple[PlotTable, list[Problem]]:
    """Read and validate a table of plots.

    Preconditions: ``frame`` is a GeoDataFrame (or anything with ``columns``, ``__getitem__``
    and ``geometry``) whose geometries are in EPSG:4490 (lon/lat).

    Returns the table of the rows and the list of problems; the caller refuses the file when
    that list is not empty.  Checks: code present and unique; geometry type, validity (shapely's
    reason), extent; status known; each indicator known (standard or of the plot's zone), with a
    known unit equal to the indicator's, a bound, no negative bound, lower ≤ upper, the bound
    its direction needs; at least one indicator, and those of ``required`` (e.g.
    :data:`~landplots.indicators.REQUIRED_KEYS`) and of the plot's zone.  Overlaps need the
    registry and are checked by the service (:func:`find_overlaps`).
    """
    f = _PlotFrame.of(frame, context)
    n = f.n
    codes, culprit = _read_codes(f)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    f.problems.extend(check_geometries(culprit, geoms))
    if progress:
        progress(n // 4)
    names = [v or codes[i] for i, v in enumerate(_texts(f.values("name")))]
    land_uses = _texts(f.values("land_use"))
    statuses = _read_statuses(f, culprit)
    # zones: a code, a name, or empty (located later by the service)
    zone_codes = context.code_of()
    zones = [zone_codes.get(z, z) for z in _texts(f.values("zone"))]
    sources, extra_columns = _indicator_columns(f)
    bounds = _Bounds(n, culprit, f.problems)
    _read_indicator_columns(f, sources, bounds)
    _read_nested_indicators(f, bounds)
    if progress:
        progress(n // 4)
    indicators = _checked_indicators(f, bounds, zones, context)
    _check_required(f, indicators, zones, culprit, context, required)
    extras = _extras(f, extra_columns)
    area_m2, epsgs = _areas(geoms)
    if progress:
        progress(n // 4)
    table = PlotTable(
        codes,
        names,
        statuses,
        land_uses,
        zones,
        geoms,
        area_m2,
        np.asarray(geo.mu_from_m2(area_m2)),
        epsgs,
        extras,
        indicators,
    )
    return table, f.problems


def _unit_problem(d: IndicatorDefinition, unit: Any) -> Text | None:
    try:
        canonical = normalize_unit(unit)
    except IndicatorError:
        return _t(
            f"{d.key}（{d.name}）：未知单位 '{unit}'（应为 '{d.unit or '无量纲'}'）",
            f"{d.key} ({d.name_en}): unknown unit '{unit}' (expected '{d.unit or 'dimensionless'}')",
        )
    if canonical != d.unit:
        return _t(
            f"{d.key}（{d.name}）：单位 '{unit}' 与指标单位 '{d.unit or '无量纲'}' 不符",
            f"{d.key} ({d.name_en}): unit '{unit}' is not the indicator's unit "
            f"'{d.unit or 'dimensionless'}'",
        )
    return None


# --- zones ----------------------------------------------------------------------------------

ASSESSMENT_FIELDS = (
    "type",
    "name",
    "valid_from",
    "valid_to",
    "conclusions",
    "constraints",
    "reference",
)


def parse_assessment_row(raw: Mapping[str, Any], where: str) -> RegionalAssessment:
    """A regional assessment from ``{type, name, valid_from, valid_to, conclusions,
    constraints, reference}``; ``type`` may be the key (``energy``) or the Chinese name
    (``区域能评``).

    Raises
    ------
    LandplotsError
        Naming ``where``: an unknown type, a malformed date, valid_to before valid_from.
    """
    from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES

    kind = _text(raw.get("type"))
    by_name = {zh: k for k, (zh, _en) in REGIONAL_ASSESSMENT_TYPES.items()}
    kind = by_name.get(kind, kind)
    if kind not in REGIONAL_ASSESSMENT_TYPES:
        allowed = ", ".join(f"{k} {zh}" for k, (zh, _en) in REGIONAL_ASSESSMENT_TYPES.items())
        raise LandplotsError(
            f"{where}：未知的区域评价类型 '{kind}'（可选：{allowed}）",
            f"{where}: unknown regional assessment type '{kind}' (one of: {allowed})",
        )

    def day(name: str) -> date | None:
        v = raw.get(name)
        if _blank(v):
            return None
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, date):
            return v
        if hasattr(v, "date") and callable(v.date):  # pandas Timestamp
            return v.date()
        try:
            return date.fromisoformat(str(v).strip()[:10])
        except ValueError:
            raise LandplotsError(
                f"{where}.{name}：'{v}' 不是 YYYY-MM-DD 格式的日期",
                f"{where}.{name}: '{v}' is not a YYYY-MM-DD date",
            ) from None

    valid_from, valid_to = day("valid_from"), day("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise LandplotsError(
            f"{where}：有效期结束 {valid_to} 早于开始 {valid_from}",
            f"{where}: valid_to {valid_to} precedes valid_from {valid_from}",
        )
    return RegionalAssessment(
        kind,
        _text(raw.get("name")),
        valid_from,
        valid_to,
        _text(raw.get("conclusions")),
        _text(raw.get("constraints")),
        _text(raw.get("reference")),
    )


def _zone_codes(codes: list[str], problems: list[Problem]) -> list[str]:
    """Each row's culprit (its code, else ``#n``); every code present and unique."""
    culprit = [c or f"#{i + 1}" for i, c in enumerate(codes)]
    for i, c in enumerate(codes):
        if not c:
            problems.append(Problem(culprit[i], _t("缺少片区编码", "has no zone code")))
    for c, k in Counter(c for c in codes if c).items():
        if k > 1:
            problems.append(
                Problem(c, _t(f"片区编码重复 {k} 次", f"duplicate zone code ({k} features)"))
            )
    return culprit


def _embedded_assessments(
    raws: np.ndarray,
    codes: list[str],
    culprit: list[str],
    by_zone: dict[str, list[RegionalAssessment]],
    problems: list[Problem],
) -> None:
    """Assessments given in the zones' own ``assessments`` column (a JSON list)."""
    for i, raw in enumerate(raws):
        if _blank(raw):
            continue
        doc = raw
        if isinstance(raw, str):
            try:
                doc = json.loads(raw)
            except ValueError:
                problems.append(
                    Problem(
                        culprit[i],
                        _t("assessments 不是合法的 JSON", "assessments is not valid JSON"),
                    )
                )
                continue
        if not isinstance(doc, list):
            problems.append(
                Problem(culprit[i], _t("assessments 应为列表", "assessments must be a list"))
            )
            continue
        for j, a in enumerate(doc):
            try:
                if not isinstance(a, Mapping):
                    a = {"type": a}
                by_zone[codes[i]].append(parse_assessment_row(a, f"assessments[{j}]"))
            except LandplotsError as e:
                problems.append(Problem(culprit[i], e.message))


def _table_assessments(
    assessments: Sequence[Mapping[str, Any]],
    known: set[str],
    by_zone: dict[str, list[RegionalAssessment]],
    problems: list[Problem],
) -> None:
    """Assessments from a separate table, each row naming its zone (which must be in the file)."""
    for j, row in enumerate(assessments):
        r = {str(k).lower(): v for k, v in row.items()}
        z = _text(r.get("zone") or r.get("zone_code") or r.get("片区"))
        where = f"assessments[{j}]"
        if z not in known:
            problems.append(
                Problem(
                    z or where,
                    _t(
                        f"{where}：片区 '{z}' 不在文件中", f"{where}: zone '{z}' is not in the file"
                    ),
                )
            )
            continue
        try:
            by_zone[z].append(parse_assessment_row(r, where))
        except LandplotsError as e:
            problems.append(Problem(z, e.message))


def _zone_definitions(
    raw: Any,
    code: str,
    culprit: str,
    defs_by_key: dict[str, IndicatorDefinition],
    problems: list[Problem],
) -> list[IndicatorDefinition]:
    """A zone's own indicator definitions (a JSON list); one key must mean the same in every
    zone of the file."""
    defs: list[IndicatorDefinition] = []
    if _blank(raw):
        return defs
    doc = raw
    if isinstance(raw, str):
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
    if not isinstance(doc, list):
        problems.append(
            Problem(
                culprit,
                _t(
                    "indicator_definitions 应为 JSON 列表",
                    "indicator_definitions must be a JSON list",
                ),
            )
        )
        return defs
    for j, entry in enumerate(doc):
        try:
            if not isinstance(entry, Mapping):
                raise IndicatorError(
                    f"indicator_definitions[{j}] 应为对象",
                    f"indicator_definitions[{j}] must be an object",
                )
            d = parse_definition(entry, code, f"indicator_definitions[{j}]")
        except IndicatorError as e:
            problems.append(Problem(culprit, e.message))
            continue
        prior = defs_by_key.get(d.key)
        if prior and (prior.unit, prior.direction, prior.short) != (d.unit, d.direction, d.short):
            problems.append(
                Problem(
                    culprit,
                    _t(
                        f"指标 {d.key} 与片区 {prior.zone} 的定义不一致",
                        f"indicator {d.key} differs from its definition in zone {prior.zone}",
                    ),
                )
            )
            continue
        defs_by_key.setdefault(d.key, d)
        defs.append(d)
    return defs


def _zone_areas(geoms: np.ndarray) -> np.ndarray:
    """Area (m²) of each valid zone geometry inside China (0 for the others)."""
    area_m2 = np.zeros(len(geoms))
    ok = np.array([g is not None for g in geoms], dtype=bool)
    if ok.any():
        ok[ok] = shapely.is_valid(geoms[ok]) & ~geo.outside_china(geoms[ok])
        if ok.any():
            area_m2[ok], _ = geo.areas(geoms[ok])
    return area_m2


def parse_zones(
    frame: Any, assessments: Sequence[Mapping[str, Any]] = ()
) -> tuple[list[Zone], list[Problem]]:
    """Read and validate zones: ``code``, ``name``, optional ``assessments`` (a JSON list) and
    ``indicator_definitions`` (a JSON list of :func:`~landplots.indicators.parse_definition`
    documents); ``assessments`` rows (with a ``zone`` column) come from a separate table.

    Preconditions: geometries in EPSG:4490.
    """
    problems: list[Problem] = []
    n = len(frame)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    lower = {c.lower().strip(): c for c in columns}

    def column(*names: str) -> np.ndarray:
        for name in names:
            if name in lower:
                return frame[lower[name]].to_numpy(dtype=object)
        return np.full(n, None, dtype=object)

    codes = [_text(v) for v in column(*BASE_ALIASES["code"], "zone", "zone_code")]
    culprit = _zone_codes(codes, problems)
    names = [_text(v) or codes[i] for i, v in enumerate(column(*BASE_ALIASES["name"], "zone_name"))]
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    problems += check_geometries(culprit, geoms)
    by_zone: dict[str, list[RegionalAssessment]] = defaultdict(list)
    _embedded_assessments(column("assessments", "区域评价"), codes, culprit, by_zone, problems)
    _table_assessments(assessments, set(codes), by_zone, problems)
    defs_by_key: dict[str, IndicatorDefinition] = {}
    area_m2 = _zone_areas(geoms)
    zones: list[Zone] = []
    for i, raw in enumerate(column("indicator_definitions", "indicator_defs", "ind_defs")):
        defs = _zone_definitions(raw, codes[i], culprit[i], defs_by_key, problems)
        zones.append(
            Zone(
                codes[i],
                names[i],
                geoms[i],
                tuple(by_zone.get(codes[i], ())),
                tuple(defs),
                float(area_m2[i]),
                float(geo.mu_from_m2(area_m2[i])),
            )
        )
    return zones, problems


def zone_of_points(zones: Sequence[Zone], geoms: np.ndarray) -> list[str]:
    """For each geometry, the code of the zone holding its representative point ('' if none).

    When zones overlap, the first in ``zones`` order wins.
    """
    if not len(zones) or not len(geoms):
        return [""] * len(geoms)
    zgeoms = np.array([z.geometry for z in zones], dtype=object)
    tree = shapely.STRtree(zgeoms)
    pts = shapely.point_on_surface(geoms)
    src, dst = tree.query(pts, predicate="within")
    out = [""] * len(geoms)
    best: dict[int, int] = {}
    for s, d in zip(src.tolist(), dst.tolist(), strict=True):
        if s not in best or d < best[s]:
            best[s] = d
    for s, d in best.items():
        out[s] = zones[d].code
    return out


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
