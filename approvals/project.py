"""A project as the planner sees it: its answers to the questionnaire and the regional
assessments (区域评价) that cover its plot.

The document form (``onetrip plan --project P.json``)::

    {
      "name": "年产5万台智能装备制造项目",
      "start_date": "2026-03-02",
      "attributes": {"industry": "equipment", "land_source": "standard", "investment": 50000},
      "regional_assessments": ["energy", "environment"],    # or objects, see below
      "durations": {"E-CONSTRUCT-ABOVE": 240}               # the project's own figures
    }

``durations`` overrides the typical duration of the catalogue's enterprise and intermediary
activities (in each activity's own unit, calendar or working days); review items keep their
committed limits.

Top-level keys other than the reserved ones are read as attributes too, so a flat
``{"hazardous": false}`` works.  A regional assessment may be given as its type or as an object
``{"type", "name", "reference", "zone", "valid_from", "valid_to"}``; the plots registry supplies
such objects from the plot's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from approvals.catalog_schema import REGIONAL_ASSESSMENT_TYPES
from approvals.errors import ProjectError

RESERVED_KEYS = frozenset(
    {
        "name",
        "code",
        "start_date",
        "attributes",
        "regional_assessments",
        "plot",
        "description",
        "enterprise",
        "durations",
    }
)


@dataclass(frozen=True, slots=True)
class AssessmentCoverage:
    """A valid regional assessment (区域评价) of the zone the project's plot lies in."""

    type: str
    name: str = ""
    reference: str = ""
    zone: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    source: str = (
        "attributes"  # "attributes" (declared by the applicant) or "zone" (from the plot registry)
    )

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def describe(self) -> tuple[str, str]:
        """(zh, en) description used as the reason of a waiver."""
        zh_type, en_type = REGIONAL_ASSESSMENT_TYPES.get(self.type, (self.type, self.type))
        zh = zh_type + (f"《{self.name}》" if self.name else "")
        en = en_type + (f" '{self.name}'" if self.name else "")
        if self.zone:
            zh, en = f"{self.zone}{zh}", f"{en} of zone {self.zone}"
        if self.reference:
            zh, en = f"{zh}（{self.reference}）", f"{en} ({self.reference})"
        if self.valid_to:
            zh, en = f"{zh}，有效期至 {self.valid_to}", f"{en}, valid to {self.valid_to}"
        return zh, en


@dataclass(frozen=True)
class Project:
    """What the planner needs of a project."""

    attributes: Mapping[str, Any] = field(default_factory=dict)
    assessments: tuple[AssessmentCoverage, ...] = ()
    name: str = ""
    code: str = ""
    start_date: date | None = None
    plot: str | None = None
    #: activity code → the project's own duration (企业/中介活动), in the activity's unit
    durations: Mapping[str, int] = field(default_factory=dict)

    def covered_by(self, assessment_type: str, on: date | None = None) -> AssessmentCoverage | None:
        """The first assessment of that type valid on ``on`` (any when ``on`` is None)."""
        for a in self.assessments:
            if a.type == assessment_type and (on is None or a.is_valid_on(on)):
                return a
        return None


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ProjectError(
            f"{where}：'{value}' 不是 YYYY-MM-DD 格式的日期",
            f"{where}: '{value}' is not a YYYY-MM-DD date",
        ) from None


def parse_assessment(raw: Any, where: str) -> AssessmentCoverage:
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, Mapping):
        raise ProjectError(
            f"{where}：应为区域评价类型或对象", f"{where}: must be an assessment type or an object"
        )
    kind = raw.get("type")
    if kind not in REGIONAL_ASSESSMENT_TYPES:
        allowed = ", ".join(REGIONAL_ASSESSMENT_TYPES)
        raise ProjectError(
            f"{where}.type：未知的区域评价类型 '{kind}'（可选：{allowed}）",
            f"{where}.type: unknown regional assessment type '{kind}' (one of: {allowed})",
        )
    valid_from = (
        _parse_date(raw["valid_from"], f"{where}.valid_from") if raw.get("valid_from") else None
    )
    valid_to = _parse_date(raw["valid_to"], f"{where}.valid_to") if raw.get("valid_to") else None
    if valid_from and valid_to and valid_to < valid_from:
        raise ProjectError(f"{where}：有效期结束早于开始", f"{where}: valid_to precedes valid_from")
    return AssessmentCoverage(
        kind,
        str(raw.get("name", "")),
        str(raw.get("reference", "")),
        str(raw.get("zone", "")),
        valid_from,
        valid_to,
        str(raw.get("source", "attributes")),
    )


def parse_project(doc: Any, source: str = "project") -> Project:
    """Build a :class:`Project` from its document form.

    Raises
    ------
    ProjectError
        Naming the field: not an object, attributes not an object, a malformed date, an unknown
        regional assessment type.
    """
    if not isinstance(doc, Mapping):
        raise ProjectError(
            f"{source}：项目必须是一个 JSON 对象", f"{source}: a project must be a JSON object"
        )
    attrs_raw = doc.get("attributes", {})
    if not isinstance(attrs_raw, Mapping):
        raise ProjectError(
            f"{source}：attributes 必须是对象", f"{source}: 'attributes' must be an object"
        )
    attributes = {k: v for k, v in doc.items() if k not in RESERVED_KEYS}
    attributes.update(attrs_raw)
    raw_assessments = doc.get("regional_assessments") or []
    if not isinstance(raw_assessments, list):
        raise ProjectError(
            f"{source}：regional_assessments 必须是列表",
            f"{source}: 'regional_assessments' must be a list",
        )
    assessments = tuple(
        parse_assessment(a, f"regional_assessments[{i}]") for i, a in enumerate(raw_assessments)
    )
    start = _parse_date(doc["start_date"], "start_date") if doc.get("start_date") else None
    plot = doc.get("plot")
    if plot is not None and not isinstance(plot, str):
        raise ProjectError(f"{source}：plot 应为地块编码", f"{source}: 'plot' must be a plot code")
    durations = doc.get("durations") or {}
    if not isinstance(durations, Mapping) or not all(
        isinstance(k, str) and type(v) is int and 0 <= v <= 10000 for k, v in durations.items()
    ):
        raise ProjectError(
            f"{source}：durations 应为 {{活动编码: 天数}}（0–10000 的整数）",
            f"{source}: 'durations' must be an object {{activity code: days}} (integers 0–10000)",
        )
    return Project(
        attributes=attributes,
        assessments=assessments,
        name=str(doc.get("name", "")),
        code=str(doc.get("code", "")),
        start_date=start,
        plot=plot,
        durations=dict(durations),
    )
