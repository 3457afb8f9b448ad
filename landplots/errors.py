"""Errors of the standard-plot registry (标准地, 片区, 区域评价, 指标, GIS files).

One family, rooted at :class:`LandplotsError`; every message names the culprit (the plot code,
the zone, the indicator key, the file) in Chinese and English.  Each specific error is also one of
the kinds of :mod:`i18n`, which is what the adapters map (``api/errors.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from i18n import Invalid, Lang, LocalizedError, Malformed, NotFound, Text


class LandplotsError(LocalizedError):
    """Base of the landplots error family."""


class GeometryError(LandplotsError, Malformed):
    """A geometry is unusable: wrong type, empty, invalid, outside the CGCS2000 area."""


class IndicatorError(LandplotsError, Invalid):
    """An indicator is malformed: unknown key or unit, no bound, lower bound above the upper."""


class NotFoundError(LandplotsError, NotFound):
    """A plot or zone code names nothing in the registry."""


class PlotNotFound(NotFoundError):
    """No plot has that code (地块不存在)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"地块 '{code}' 不存在", f"no plot '{code}' in the registry")


class ZoneNotFound(NotFoundError):
    """No zone has that code (片区不存在)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"片区 '{code}' 不存在", f"no zone '{code}' in the registry")


class QueryError(LandplotsError, Malformed):
    """A query is malformed (a bbox with three numbers, an unknown indicator, a bad operator)."""


class GisFileError(LandplotsError, Malformed):
    """A GIS file cannot be read or written (missing, unknown format, unreadable layer)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a file: the culprit (a plot or zone code, or a row) and what is wrong."""

    culprit: str
    text: Text

    def __call__(self, lang: Lang = "zh") -> str:
        return f"{self.culprit}: {self.text(lang)}" if self.culprit else self.text(lang)


class ImportRefused(LandplotsError, Invalid):
    """The whole file was refused; nothing was written.

    ``problems`` lists every finding, each naming its culprit; the message names the first few
    (and how many more there are) on one line.
    """

    MAX_NAMED = 5

    def __init__(self, problems: Sequence[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        shown = self.problems[: self.MAX_NAMED]
        more = len(self.problems) - len(shown)
        zh = "；".join(p("zh") for p in shown)
        en = "; ".join(p("en") for p in shown)
        super().__init__(
            f"{where}文件被拒绝，未写入任何内容（{len(self.problems)} 处问题）：{zh}"
            + (f"；另有 {more} 处" if more else ""),
            f"{where}file refused, nothing written ({len(self.problems)} problems): {en}"
            + (f"; and {more} more" if more else ""),
        )

    @property
    def culprits(self) -> list[str]:
        return [p.culprit for p in self.problems]
