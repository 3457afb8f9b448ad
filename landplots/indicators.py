"""The standard indicator catalogue of 标准地 (控制性指标) and the validation of indicator bounds.

Every standard key has a Chinese name, a unit, a direction (``min``: the contract fixes a lower
bound, ≥; ``max``: an upper bound, ≤; ``range``: either or both) and the milestone at which it
is checked: 对标验收 at completion (investment intensity, plot ratio, building density, green
ratio, height) or 达产复核 after the initial operating period (tax per mu, energy and emission
value added, R&D ratio).  Zones may add their own keys (:class:`IndicatorDefinition` with
``zone`` set).

Flat attribute tables (Shapefile: 10-character field names) carry an indicator as
``<short>_lo``, ``<short>_hi`` and ``<short>_u`` (unit), with the ``short`` code of the table
below; see the README's "Standard plots" section.

>>> STANDARD["tax_per_mu"].name, STANDARD["tax_per_mu"].unit
('亩均税收', '万元/亩·年')
>>> normalize_unit("万元/亩/年")
'万元/亩·年'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from landplots.errors import IndicatorError
from landplots.model import Indicator, Milestone

Direction = Literal["min", "max", "range"]


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    """What an indicator key means: name, unit, direction, milestone, flat-table short code."""

    key: str
    name: str
    name_en: str
    unit: str
    direction: Direction
    milestone: Milestone
    short: str
    required: bool = False
    zone: str = ""  # empty for the standard catalogue; the zone's code for a zone's own key

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "name_en": self.name_en,
            "unit": self.unit,
            "direction": self.direction,
            "milestone": self.milestone.value,
            "short": self.short,
            "required": self.required,
        }


A, P = Milestone.ACCEPTANCE, Milestone.PRODUCTION

#: The standard catalogue, in the order of a land contract (Cixi template first).
STANDARD: dict[str, IndicatorDefinition] = {
    d.key: d
    for d in (
        IndicatorDefinition(
            "investment_intensity",
            "固定资产投资强度",
            "fixed-asset investment intensity",
            "万元/亩",
            "min",
            A,
            "inv",
            True,
        ),
        IndicatorDefinition("plot_ratio", "容积率", "plot ratio", "", "range", A, "far", True),
        IndicatorDefinition(
            "tax_per_mu", "亩均税收", "tax per mu", "万元/亩·年", "min", P, "tax", True
        ),
        IndicatorDefinition(
            "energy_value_added",
            "单位能耗增加值",
            "value added per unit of energy",
            "万元/吨标煤",
            "min",
            P,
            "energy",
        ),
        IndicatorDefinition(
            "emission_value_added",
            "单位排放增加值",
            "value added per unit of emissions",
            "万元/吨",
            "min",
            P,
            "emis",
        ),
        IndicatorDefinition(
            "rd_ratio", "研发经费占比", "R&D spending / main revenue", "%", "min", P, "rd"
        ),
        IndicatorDefinition(
            "value_added_per_mu", "亩均增加值", "value added per mu", "万元/亩·年", "min", P, "va"
        ),
        IndicatorDefinition(
            "building_density", "建筑密度", "building density", "%", "range", A, "density"
        ),
        IndicatorDefinition("green_ratio", "绿地率", "green ratio", "%", "range", A, "green"),
        IndicatorDefinition("height", "建筑高度", "building height", "m", "max", A, "height"),
    )
}

#: The contract's core (投资强度, 容积率, 亩均税收): required by ``onetrip plots import --strict``;
#: by default a plot needs at least one indicator.
REQUIRED_KEYS: tuple[str, ...] = tuple(k for k, d in STANDARD.items() if d.required)

#: Known units: canonical form → (Chinese, English) description.
UNITS: dict[str, tuple[str, str]] = {
    "万元/亩": ("万元每亩", "10k CNY per mu"),
    "万元/亩·年": ("万元每亩每年", "10k CNY per mu per year"),
    "万元/吨标煤": ("万元每吨标准煤", "10k CNY per tonne of coal equivalent"),
    "万元/吨": ("万元每吨", "10k CNY per tonne"),
    "吨标煤/万元": ("吨标准煤每万元", "tonnes of coal equivalent per 10k CNY"),
    "%": ("百分比", "percent"),
    "": ("无量纲", "dimensionless"),
    "m": ("米", "metre"),
    "m²": ("平方米", "square metre"),
    "亩": ("亩", "mu"),
    "万元": ("万元", "10k CNY"),
    "万元/人": ("万元每人", "10k CNY per person"),
    "人": ("人", "persons"),
    "个": ("个", "count"),
    "年": ("年", "years"),
}

_ALIASES: dict[str, str] = {
    "万元每亩": "万元/亩",
    "万元/亩/年": "万元/亩·年",
    "万元/(亩·年)": "万元/亩·年",
    "万元/（亩·年）": "万元/亩·年",
    "万元/亩.年": "万元/亩·年",
    "万元/亩•年": "万元/亩·年",
    "万元/亩*年": "万元/亩·年",
    "万元/亩年": "万元/亩·年",
    "万元/亩・年": "万元/亩·年",
    "万元/吨标准煤": "万元/吨标煤",
    "万元/tce": "万元/吨标煤",
    "万元/t": "万元/吨",
    "tce/万元": "吨标煤/万元",
    "％": "%",
    "percent": "%",
    "—": "",
    "-": "",
    "无": "",
    "无量纲": "",
    "1": "",
    "米": "m",
    "平方米": "m²",
    "m2": "m²",
    "㎡": "m²",
}


def normalize_unit(unit: Any) -> str:
    """The canonical form of a unit, or raise :class:`IndicatorError` naming it.

    Whitespace is ignored; ``None`` is the empty (dimensionless) unit.
    """
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return ""
    text = re.sub(r"\s+", "", str(unit))
    if text in UNITS:
        return text
    if text in _ALIASES:
        return _ALIASES[text]
    low = text.lower()
    if low in _ALIASES:
        return _ALIASES[low]
    raise IndicatorError(f"未知单位 '{unit}'", f"unknown unit '{unit}'")


class Catalogue:
    """The definitions in force for a plot: the standard ones plus its zone's own keys."""

    def __init__(self, extra: Iterable[IndicatorDefinition] = ()) -> None:
        self.by_key: dict[str, IndicatorDefinition] = dict(STANDARD)
        for d in extra:
            self.by_key.setdefault(d.key, d)
        self.by_short: dict[str, IndicatorDefinition] = {d.short: d for d in self.by_key.values()}

    def get(self, key: str) -> IndicatorDefinition | None:
        return self.by_key.get(key)

    def required(self) -> list[str]:
        return [k for k, d in self.by_key.items() if d.required]


def _to_float(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise IndicatorError(f"{what} 不是数字：{value}", f"{what} is not a number: {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        if not math.isfinite(value):
            raise IndicatorError(f"{what} 不是有限数值", f"{what} is not finite")
        return float(value)
    text = str(value).strip().replace("，", ",")
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise IndicatorError(
            f"{what} 不是数字：'{value}'", f"{what} is not a number: '{value}'"
        ) from None


def make_indicator(
    definition: IndicatorDefinition,
    lower: Any = None,
    upper: Any = None,
    unit: Any = None,
) -> Indicator:
    """Validate bounds and unit against the definition and build the :class:`Indicator`.

    Preconditions: ``definition`` comes from a :class:`Catalogue`.  ``unit`` may be omitted
    (the definition's unit is meant); if given it must be a known unit equal to the
    definition's.

    Raises
    ------
    IndicatorError
        Naming the key: no bound at all, a non-numeric or negative bound, ``lower > upper``, an
        unknown unit, a unit that is not the indicator's, or a bound the direction forbids
        being alone (an upper bound only for a ``min`` indicator).
    """
    key, name = definition.key, definition.name
    if _given(unit):
        try:
            canonical = normalize_unit(unit)
        except IndicatorError:
            raise IndicatorError(
                f"{key}（{name}）：未知单位 '{unit}'（应为 '{definition.unit or '无量纲'}'）",
                f"{key} ({definition.name_en}): unknown unit '{unit}' "
                f"(expected '{definition.unit or 'dimensionless'}')",
            ) from None
        if canonical != definition.unit:
            raise IndicatorError(
                f"{key}（{name}）：单位 '{unit}' 与指标单位 '{definition.unit or '无量纲'}' 不符",
                f"{key} ({definition.name_en}): unit '{unit}' is not the indicator's unit "
                f"'{definition.unit or 'dimensionless'}'",
            )
    lo = _to_float(lower, f"{key}.lower")
    hi = _to_float(upper, f"{key}.upper")
    if lo is None and hi is None:
        raise IndicatorError(
            f"{key}（{name}）：缺少指标值（下限或上限）",
            f"{key} ({definition.name_en}): missing value (no lower or upper bound)",
        )
    for bound, label in ((lo, "lower"), (hi, "upper")):
        if bound is not None and bound < 0:
            raise IndicatorError(
                f"{key}（{name}）：{label} 为负数 {bound:g}",
                f"{key} ({definition.name_en}): negative {label} bound {bound:g}",
            )
    if lo is not None and hi is not None and lo > hi:
        raise IndicatorError(
            f"{key}（{name}）：下限 {lo:g} 大于上限 {hi:g}，指标自相矛盾",
            f"{key} ({definition.name_en}): lower bound {lo:g} exceeds upper bound {hi:g}",
        )
    if definition.direction == "min" and lo is None:
        raise IndicatorError(
            f"{key}（{name}）：该指标为下限指标（≥），缺少下限",
            f"{key} ({definition.name_en}): a minimum (≥) indicator needs a lower bound",
        )
    if definition.direction == "max" and hi is None:
        raise IndicatorError(
            f"{key}（{name}）：该指标为上限指标（≤），缺少上限",
            f"{key} ({definition.name_en}): a maximum (≤) indicator needs an upper bound",
        )
    return Indicator(key, name, definition.unit, lo, hi, definition.milestone)


def _given(unit: Any) -> bool:
    """A unit was written (``None``, NaN and blank mean "the indicator's own unit")."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return False
    return not (isinstance(unit, str) and unit.strip() == "")


_RANGE = re.compile(r"^\s*([0-9.]+)\s*(?:-|–|—|~|～|至)\s*([0-9.]+)\s*$")


def indicator_from_value(
    definition: IndicatorDefinition, value: Any, unit: Any = None
) -> Indicator:
    """An indicator given as one value: a number fills the bound of the indicator's direction
    (``tax_per_mu: 30`` means ≥ 30); a range indicator takes ``"1.2-2.5"`` or ``[1.2, 2.5]``;
    an object takes ``lower``/``upper``/``unit`` (also ``min``/``max``, ``lo``/``hi``).

    Raises
    ------
    IndicatorError
        See :func:`make_indicator`; also a bare number for a range indicator (ambiguous).
    """
    if isinstance(value, Mapping):
        v = {str(k).lower(): x for k, x in value.items()}
        lower = _first(v, "lower", "min", "lo", "下限")
        upper = _first(v, "upper", "max", "hi", "上限")
        u = _first(v, "unit", "u", "单位")
        if "value" in v and lower is None and upper is None:
            return indicator_from_value(definition, v["value"], u if u is not None else unit)
        return make_indicator(definition, lower, upper, u if u is not None else unit)
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise IndicatorError(
                f"{definition.key}：区间应为 [下限, 上限]",
                f"{definition.key}: a range must be [lower, upper]",
            )
        return make_indicator(definition, value[0], value[1], unit)
    if isinstance(value, str):
        m = _RANGE.match(value)
        if m:
            return make_indicator(definition, m.group(1), m.group(2), unit)
    if definition.direction == "range":
        raise IndicatorError(
            f"{definition.key}（{definition.name}）：单个数值含义不明，请给出下限/上限或区间",
            f"{definition.key} ({definition.name_en}): a single number is ambiguous for a range "
            "indicator; give lower/upper or a range",
        )
    if definition.direction == "min":
        return make_indicator(definition, value, None, unit)
    return make_indicator(definition, None, value, unit)


def _first(d: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in d and d[k] is not None and not (isinstance(d[k], float) and math.isnan(d[k])):
            return d[k]
    return None


_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SHORT = re.compile(r"^[a-z][a-z0-9]{0,6}$")


def parse_definition(raw: Mapping[str, Any], zone: str, where: str) -> IndicatorDefinition:
    """A zone's own indicator key from its document form
    ``{"key", "name", "unit", "direction", "milestone", "short", "name_en", "required"}``.

    Raises
    ------
    IndicatorError
        Naming the zone and field: a malformed key, a key of the standard catalogue, an unknown
        unit, direction or milestone, a short code that does not fit a Shapefile field.
    """
    key = str(raw.get("key", "")).strip()
    if not _KEY.match(key):
        raise IndicatorError(
            f"{where}：指标键 '{key}' 应为小写字母、数字和下划线",
            f"{where}: indicator key '{key}' must be lower-case letters, digits and underscores",
        )
    if key in STANDARD:
        raise IndicatorError(
            f"{where}：'{key}' 是标准指标，片区不能重新定义",
            f"{where}: '{key}' is a standard indicator; a zone cannot redefine it",
        )
    name = str(raw.get("name") or key)
    try:
        unit = normalize_unit(raw.get("unit"))
    except IndicatorError:
        raise IndicatorError(
            f"{where}（{key}）：未知单位 '{raw.get('unit')}'",
            f"{where} ({key}): unknown unit '{raw.get('unit')}'",
        ) from None
    direction = str(raw.get("direction") or "min")
    if direction not in ("min", "max", "range"):
        raise IndicatorError(
            f"{where}（{key}）：direction 应为 min / max / range",
            f"{where} ({key}): direction must be min, max or range",
        )
    try:
        milestone = Milestone(str(raw.get("milestone") or "acceptance"))
    except ValueError:
        raise IndicatorError(
            f"{where}（{key}）：milestone 应为 acceptance（对标验收）或 production（达产复核）",
            f"{where} ({key}): milestone must be acceptance or production",
        ) from None
    short = str(raw.get("short") or key)
    if not _SHORT.match(short):
        raise IndicatorError(
            f"{where}（{key}）：short '{short}' 应为不超过 7 个字符的小写字母数字（Shapefile 字段名）",
            f"{where} ({key}): short '{short}' must be at most 7 lower-case letters or digits "
            "(Shapefile field names)",
        )
    if short in {d.short for d in STANDARD.values()}:
        raise IndicatorError(
            f"{where}（{key}）：short '{short}' 已被标准指标使用",
            f"{where} ({key}): short '{short}' is taken by a standard indicator",
        )
    return IndicatorDefinition(
        key,
        name,
        str(raw.get("name_en") or key),
        unit,
        direction,  # type: ignore[arg-type]
        milestone,
        short,
        bool(raw.get("required", False)),
        zone,
    )
