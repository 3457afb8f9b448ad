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
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from i18n import Text
from landplots import geometry as geo
from landplots.errors import IndicatorError, LandplotsError, Problem
from landplots.indicators import (
    Catalogue,
    IndicatorDefinition,
    indicator_from_value,
    normalize_unit,
)
from landplots.model import (
    Indicator,
    PlotStatus,
    parse_status,
)
from landplots.records import (
    BOUND_FIELDS,
    DERIVED_COLUMNS,
    FIELD_PATTERN,
    IndicatorValues,
    PlotTable,
    ZoneContext,
    check_geometries,
    column_texts,
    is_blank,
    json_safe,
    resolve_columns,
)

#: Plots of a file that refer to no known zone.
_NO_ZONES = ZoneContext()


def _t(zh: str, en: str) -> Text:
    return Text(zh, en)


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
        if is_blank(v):
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
    first: int = 1  # the feature number of the first row (a file read in batches)

    @classmethod
    def of(cls, frame: Any, context: ZoneContext, first: int = 1) -> _PlotFrame:
        columns = [c for c in frame.columns if c != frame.geometry.name]
        col = {c: frame[c].to_numpy(dtype=object) for c in columns}
        return cls(
            len(frame), columns, col, resolve_columns(columns), context.catalogue(), first=first
        )

    def values(self, canon: str) -> np.ndarray:
        c = self.base.get(canon)
        return self.col[c] if c else np.full(self.n, None, dtype=object)


def _read_codes(f: _PlotFrame) -> tuple[list[str], list[str]]:
    """The plots' codes and each row's culprit (its code, else ``#n``): every code present and
    unique."""
    codes = column_texts(f.values("code"))
    culprit = [c or f"#{i + f.first}" for i, c in enumerate(codes)]
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
            rows = [str(i + f.first) for i, x in enumerate(codes) if x == c][:5]
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
    for i, word in enumerate(column_texts(f.values("status"))):
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
        m = FIELD_PATTERN.match(low)
        if m:
            d = f.catalogue.get(m["base"]) or f.catalogue.by_short.get(m["base"])
            fld = m["field"]
            if d is not None:
                src = sources.setdefault(d.key, _IndicatorSource(d.key))
                if fld in ("u", "unit"):
                    src.unit.append((c, f.col[c]))
                elif BOUND_FIELDS[fld] == "lower":
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
                for i in np.flatnonzero(bad).tolist():
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
                if not is_blank(v):
                    units[i] = v
        for c, vals in src.bare:
            for i, v in enumerate(vals):
                if is_blank(v):
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
    if is_blank(spec) or (
        isinstance(spec, Mapping)
        and not any(
            not is_blank(spec.get(k)) for k in ("lower", "upper", "min", "max", "lo", "hi", "value")
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
        if is_blank(raw):
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
                if not is_blank(u):
                    bounds.put_unit(d.key, i, u)


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
    context: ZoneContext = _NO_ZONES,
    progress: Callable[[int], None] | None = None,
    required: Sequence[str] = (),
    first: int = 1,
) -> tuple[PlotTable, list[Problem]]:
    """Read and validate a table of plots (``first``: the feature number of its first row, when
    it is one batch of a longer file).

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
    f = _PlotFrame.of(frame, context, first)
    n = f.n
    codes, culprit = _read_codes(f)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    f.problems.extend(check_geometries(culprit, geoms))
    if progress:
        progress(n // 4)
    names = [v or codes[i] for i, v in enumerate(column_texts(f.values("name")))]
    land_uses = column_texts(f.values("land_use"))
    statuses = _read_statuses(f, culprit)
    # zones: a code, a name, or empty (located later by the service)
    zone_codes = context.code_of()
    zones = [zone_codes.get(z, z) for z in column_texts(f.values("zone"))]
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
