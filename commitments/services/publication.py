"""What is published (公示): the public list of commitments and each plot's compliance on the map."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commitments.model import Status
from commitments.orm import CheckpointRow, CommitmentRow, VerdictRow
from commitments.services.queries import PUBLISHED_STATES, commitment_summary, document_of


def public_list(session: Session, lang: str = "zh") -> list[dict[str, Any]]:
    """公示: every published commitment (signed and counter-signed), newest first."""
    rows = session.scalars(
        select(CommitmentRow)
        .where(CommitmentRow.status.in_(PUBLISHED_STATES))
        .order_by(CommitmentRow.published_on.desc(), CommitmentRow.id.desc())
    )
    out = []
    for c in rows:
        doc = document_of(c)
        out.append(
            {
                **commitment_summary(c, lang),
                "indicators": [
                    {
                        "key": t["key"],
                        "name": (t["name_en"] or t["name"]) if lang == "en" else t["name"],
                        "lower": t["lower"],
                        "upper": t["upper"],
                        "unit": t["unit"],
                        "milestone": t["milestone"],
                    }
                    for t in doc["indicators"]
                ],
                "enterprise_key": c.enterprise_key,
                "enterprise_signature": c.enterprise_signature,
                "administration_key": c.admin_key,
                "administration_signature": c.admin_signature,
                "acceptance_seq": c.acceptance_seq,
            }
        )
    return out


#: Worst first: the colour a plot gets on the regulator's map when its indicators differ.
_SEVERITY = (Status.NOT_MET, Status.OVERDUE, Status.PARTIALLY_MET, Status.MET, Status.SCHEDULED)


def plot_compliance(session: Session, lang: str = "zh") -> dict[str, dict[str, Any]]:
    """Plot code → how its published commitment is kept, for the map (履约着色): the worst of
    each indicator's latest verdict and of any overdue checkpoint; ``scheduled`` before the
    first inspection.  Three queries, whatever the number of plots."""
    rows = session.execute(
        select(CommitmentRow.id, CommitmentRow.plot_code, CommitmentRow.number).where(
            CommitmentRow.status.in_(PUBLISHED_STATES)
        )
    ).all()
    states: dict[int, set[Status]] = {cid: set() for cid, _, _ in rows}
    latest: dict[tuple[int, str], str] = {}
    for cid, key, status in session.execute(
        select(VerdictRow.commitment_id, VerdictRow.key, VerdictRow.status).order_by(VerdictRow.id)
    ):
        latest[(cid, key)] = status
    for (cid, _), status in latest.items():
        if cid in states:
            states[cid].add(Status(status))
    for (cid,) in session.execute(
        select(CheckpointRow.commitment_id).where(CheckpointRow.status == Status.OVERDUE.value)
    ):
        if cid in states:
            states[cid].add(Status.OVERDUE)
    out: dict[str, dict[str, Any]] = {}
    for cid, plot, number in rows:
        found = states[cid] or {Status.SCHEDULED}
        worst = next(s for s in _SEVERITY if s in found)
        out[plot] = {
            "status": worst.value,
            "label": f"{number} {worst.text(lang)}",
            "commitment": cid,
        }
    return out
