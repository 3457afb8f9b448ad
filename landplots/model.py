"""The standard-plot registry as plain values: plots (标准地), indicators (控制指标), zones (片区)
and their regional assessments (区域评价).

Geometries are shapely polygons in CGCS2000 (EPSG:4490, lon/lat); areas are computed in the
Gauss–Krüger 3° zone of each plot's longitude (:mod:`landplots.geometry`).  No database, no web
framework here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry

from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES
from approvals.project import AssessmentCoverage
from landplots.errors import LandplotsError


class PlotStatus(StrEnum):
    """Where a plot is in its life (地块状态)."""

    RESERVE = "reserve"  # 储备
    LISTED = "listed"  # 挂牌
    SOLD = "sold"  # 已出让
    STARTED = "started"  # 已开工
    COMPLETED = "completed"  # 已竣工
    PRODUCING = "producing"  # 已达产

    @property
    def label(self) -> str:
        return STATUS_LABELS[self][0]

    def text(self, lang: str = "zh") -> str:
        zh, en = STATUS_LABELS[self]
        return en if lang == "en" else zh


STATUS_LABELS: dict[PlotStatus, tuple[str, str]] = {
    PlotStatus.RESERVE: ("储备", "reserve"),
    PlotStatus.LISTED: ("挂牌", "listed for sale"),
    PlotStatus.SOLD: ("已出让", "sold"),
    PlotStatus.STARTED: ("已开工", "construction started"),
    PlotStatus.COMPLETED: ("已竣工", "completed"),
    PlotStatus.PRODUCING: ("已达产", "in full production"),
}

_STATUS_BY_WORD = {
    **{s.value: s for s in PlotStatus},
    **{zh: s for s, (zh, _en) in STATUS_LABELS.items()},
    "出让": PlotStatus.SOLD,
    "开工": PlotStatus.STARTED,
    "竣工": PlotStatus.COMPLETED,
    "达产": PlotStatus.PRODUCING,
}


def parse_status(value: Any) -> PlotStatus:
    """A status from its key (``listed``) or its Chinese label (``挂牌``).

    Raises
    ------
    LandplotsError
        Naming the value and the accepted ones.
    """
    word = str(value).strip()
    status = _STATUS_BY_WORD.get(word) or _STATUS_BY_WORD.get(word.lower())
    if status is None:
        allowed = " / ".join(f"{s.value} {s.label}" for s in PlotStatus)
        raise LandplotsError(
            f"未知的地块状态 '{word}'（可选：{allowed}）",
            f"unknown plot status '{word}' (one of: {allowed})",
        )
    return status


class Milestone(StrEnum):
    """When an indicator is checked against the enterprise's results."""

    ACCEPTANCE = "acceptance"  # 对标验收: at completion (竣工)
    PRODUCTION = "production"  # 达产复核: after the initial operating period (e.g. 3 years)

    def text(self, lang: str = "zh") -> str:
        zh, en = MILESTONE_LABELS[self]
        return en if lang == "en" else zh


MILESTONE_LABELS: dict[Milestone, tuple[str, str]] = {
    Milestone.ACCEPTANCE: ("对标验收", "benchmark acceptance at completion"),
    Milestone.PRODUCTION: ("达产复核", "production review after the operating period"),
}


@dataclass(frozen=True, slots=True)
class Indicator:
    """One performance standard of a plot (控制指标): bounds with a unit, checked at a milestone.

    Invariant (checked by :func:`landplots.indicators.make_indicator`): at least one bound,
    ``lower <= upper`` when both are given, a known unit.
    """

    key: str
    name: str
    unit: str
    lower: float | None = None
    upper: float | None = None
    milestone: Milestone = Milestone.ACCEPTANCE

    def admits(self, value: float) -> bool:
        """Whether a measured value meets the standard."""
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value <= self.upper
        )

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.lower is not None and self.upper is not None:
            return f"{self.name} {_num(self.lower)}–{_num(self.upper)}{unit}"
        if self.lower is not None:
            return f"{self.name} ≥ {_num(self.lower)}{unit}"
        return f"{self.name} ≤ {_num(self.upper)}{unit}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "unit": self.unit,
            "lower": self.lower,
            "upper": self.upper,
            "milestone": self.milestone.value,
        }


def _num(x: float | None) -> str:
    return "" if x is None else (f"{x:g}")


@dataclass(frozen=True, slots=True)
class Plot:
    """A standard plot (标准地) with its performance standards fixed before sale.

    ``geometry`` is a valid Polygon or MultiPolygon in EPSG:4490; ``area_m2``/``area_mu`` come
    from :func:`landplots.geometry.areas` (Gauss–Krüger 3° zone ``gk_epsg``); ``zone`` is the
    code of its zone (片区), possibly empty; ``extra`` keeps the file's other attributes.
    """

    code: str
    name: str
    geometry: BaseGeometry
    status: PlotStatus = PlotStatus.LISTED
    land_use: str = ""
    zone: str = ""
    indicators: tuple[Indicator, ...] = ()
    area_m2: float = 0.0
    area_mu: float = 0.0
    gk_epsg: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def indicator(self, key: str) -> Indicator | None:
        for i in self.indicators:
            if i.key == key:
                return i
        return None


@dataclass(frozen=True, slots=True)
class RegionalAssessment:
    """A regional assessment (区域评价) done by a zone for every plot in it.

    ``type`` is one of the seven of 浙政办发〔2018〕73号 (``energy``, ``environment``, ``flood``,
    ``soil_water``, ``water_resources``, ``mineral``, ``geohazard``).
    """

    type: str
    name: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    conclusions: str = ""
    constraints: str = ""
    reference: str = ""

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def type_name(self) -> str:
        return REGIONAL_ASSESSMENT_TYPES.get(self.type, (self.type, self.type))[0]

    def coverage(self, zone_name: str) -> AssessmentCoverage:
        """The planner's view of this assessment (``source="zone"``)."""
        return AssessmentCoverage(
            type=self.type,
            name=self.name,
            reference=self.reference,
            zone=zone_name,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            source="zone",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "type_name": self.type_name,
            "name": self.name,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "conclusions": self.conclusions,
            "constraints": self.constraints,
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone (片区 / 园区) with its regional assessments and the indicator keys it adds."""

    code: str
    name: str
    geometry: BaseGeometry
    assessments: tuple[RegionalAssessment, ...] = ()
    indicator_definitions: tuple[Any, ...] = ()  # landplots.indicators.IndicatorDefinition
    area_m2: float = 0.0
    area_mu: float = 0.0

    def valid_assessments(self, on: date | None) -> tuple[RegionalAssessment, ...]:
        return tuple(a for a in self.assessments if on is None or a.is_valid_on(on))
