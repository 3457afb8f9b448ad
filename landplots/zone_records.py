"""Zones from attribute tables: codes, names, geometries, their regional assessments (区域评价,
embedded or from a separate table) and their own indicator definitions; and which zone holds a
point."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES
from i18n import Text
from landplots import geometry as geo
from landplots.errors import IndicatorError, LandplotsError, Problem
from landplots.indicators import (
    IndicatorDefinition,
    parse_definition,
)
from landplots.model import (
    RegionalAssessment,
    Zone,
)
from landplots.records import BASE_ALIASES, cell_text, check_geometries, is_blank


def _t(zh: str, en: str) -> Text:
    return Text(zh, en)


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
    kind = cell_text(raw.get("type"))
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
        if is_blank(v):
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
        cell_text(raw.get("name")),
        valid_from,
        valid_to,
        cell_text(raw.get("conclusions")),
        cell_text(raw.get("constraints")),
        cell_text(raw.get("reference")),
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
        if is_blank(raw):
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
        z = cell_text(r.get("zone") or r.get("zone_code") or r.get("片区"))
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
    if is_blank(raw):
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

    codes = [cell_text(v) for v in column(*BASE_ALIASES["code"], "zone", "zone_code")]
    culprit = _zone_codes(codes, problems)
    names = [
        cell_text(v) or codes[i] for i, v in enumerate(column(*BASE_ALIASES["name"], "zone_name"))
    ]
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
