"""What the approvals use cases need from other packages, as protocols they implement.

Approvals is below the plot registry (:mod:`landplots` imports approvals, never the other way):
the registry's answer comes in through :class:`PlotAssessments`, wired by the composition root
(the app factory, the CLI, the demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from approvals.project import AssessmentCoverage


class PlotAssessments(Protocol):
    """The regional assessments (区域评价) covering a plot, valid on a day: those of the plot's
    zone, as the planner's :class:`~approvals.project.AssessmentCoverage`.  Raises the registry's
    not-found error for an unknown plot."""

    def __call__(
        self, session: Session, plot_code: str, on: date | None = None
    ) -> Sequence[AssessmentCoverage]: ...
