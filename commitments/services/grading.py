"""Grading (评级) the enterprises' published commitments with each zone's grading policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from commitments import evaluation as ev
from commitments.grading import Score, score
from commitments.orm import CheckpointRow, CommitmentRow, InspectionRow
from commitments.services.drafting import zone_policy
from commitments.services.queries import PUBLISHED_STATES, document_of
from landplots.model import Milestone


@dataclass(frozen=True)
class Graded:
    commitment: CommitmentRow
    enterprise: str
    score: Score
    on: date


def grades(
    session: Session, zone: str | None = None, enterprise_id: int | None = None
) -> list[Graded]:
    """亩均论英雄 for each published commitment with a production inspection: the latest such
    inspection's figures over the plot's area, scored with the zone's grading policy (of one
    zone, or one enterprise's commitments, when given)."""
    q = select(CommitmentRow).where(CommitmentRow.status.in_(PUBLISHED_STATES))
    if zone:
        q = q.where(CommitmentRow.zone_code == zone)
    if enterprise_id is not None:
        q = q.where(CommitmentRow.enterprise_id == enterprise_id)
    out = []
    for c in session.scalars(q.order_by(CommitmentRow.id)):
        inspection = session.scalar(
            select(InspectionRow)
            .join(CheckpointRow, InspectionRow.checkpoint_id == CheckpointRow.id)
            .where(
                InspectionRow.commitment_id == c.id,
                CheckpointRow.milestone == Milestone.PRODUCTION.value,
            )
            .order_by(InspectionRow.id.desc())
            .limit(1)
        )
        if inspection is None:
            continue
        doc = document_of(c)
        values = ev.per_mu_values(
            {k: float(v) for k, v in inspection.figures.items()},
            float(doc["plot"]["area_mu"]),
            float(doc["plot"]["area_m2"]),
        )
        _, grading = zone_policy(session, c.zone_code)
        out.append(
            Graded(c, doc["enterprise"]["name"], score(values, grading), inspection.inspected_on)
        )
    out.sort(key=lambda g: -g.score.total)
    return out
