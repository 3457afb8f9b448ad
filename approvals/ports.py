"""What the approvals use cases need from other packages, as protocols they implement.

Approvals is below the plot registry (:mod:`landplots` imports approvals, never the other way):
the registry's answer comes in through :class:`PlotAssessments`, wired by the composition root
(the app factory, the CLI, the demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from approvals.project import AssessmentCoverage


@dataclass(frozen=True, slots=True)
class PlotFacts:
    """What filing checks about a standard plot (标准地): its sale status (``listed`` = 挂牌,
    ``reserve`` = 储备, ``sold`` = 已出让, ...), its label in both languages, its zone and area,
    and the buyer (受让人) when the registry records one (name or 统一社会信用代码)."""

    code: str
    status: str
    status_zh: str
    status_en: str
    zone: str
    area_mu: float
    buyer: str = ""


class PlotAssessments(Protocol):
    """The regional assessments (区域评价) covering a plot, valid on a day: those of the plot's
    zone, as the planner's :class:`~approvals.project.AssessmentCoverage`.  Raises the registry's
    not-found error for an unknown plot.  :meth:`facts` gives the plot itself (None when no plot
    has the code), which filing checks before planning."""

    def __call__(
        self, session: Session, plot_code: str, on: date | None = None
    ) -> Sequence[AssessmentCoverage]: ...

    def facts(self, session: Session, plot_code: str) -> PlotFacts | None: ...
