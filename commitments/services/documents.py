"""The PDF documents: the commitment letter and the compliance report."""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commitments.model import Status
from commitments.orm import CommitmentRow, ConsequenceRow, LedgerEntryRow, VerdictRow
from commitments.services.grading import grades
from commitments.services.queries import PUBLISHED_STATES, document_of


def letter_pdf(session: Session, c: CommitmentRow) -> bytes:
    """The commitment letter of ``c`` (see :func:`commitments.documents.commitment_letter`)."""
    from commitments.documents import commitment_letter

    entry = session.get(LedgerEntryRow, c.ledger_seq) if c.ledger_seq else None
    return commitment_letter(
        document_of(c),
        document_sha256=c.document_sha256,
        enterprise_signature={
            "key": c.enterprise_key,
            "at": c.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            if c.signed_at
            else None,
        }
        if c.enterprise_key
        else None,
        administration_signature={
            "key": c.admin_key,
            "at": c.published_on.isoformat() if c.published_on else None,
        }
        if c.admin_key
        else None,
        ledger={"seq": entry.seq, "leaf_hash": entry.leaf_hash} if entry else None,
    )


def compliance_data(session: Session, zone_code: str) -> dict[str, Any]:
    """What a zone's compliance report shows: its published commitments with their verdicts,
    the share of checks met per indicator, and the graded enterprises.

    Raises
    ------
    landplots.errors.ZoneNotFound
        No zone has that code.
    """
    from landplots.services.registry import get_zone

    zone = get_zone(session, zone_code)
    rows = session.scalars(
        select(CommitmentRow)
        .where(CommitmentRow.zone_code == zone_code, CommitmentRow.status.in_(PUBLISHED_STATES))
        .order_by(CommitmentRow.number)
    ).all()
    consequences = {
        k.verdict_id: k.code
        for k in session.scalars(
            select(ConsequenceRow).where(ConsequenceRow.commitment_id.in_([c.id for c in rows]))
        )
    }
    commitments = []
    tally: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for c in rows:
        doc = document_of(c)
        for t in doc["indicators"]:
            names.setdefault(t["key"], t["name"])
        verdicts = []
        for v in session.scalars(
            select(VerdictRow).where(VerdictRow.commitment_id == c.id).order_by(VerdictRow.id)
        ):
            verdicts.append(
                {
                    "key": v.key,
                    "name": names.get(v.key, v.key),
                    "status": v.status,
                    "value": v.value,
                    "consequence": consequences.get(v.id),
                }
            )
            met, total = tally.setdefault(v.key, [0, 0])
            tally[v.key] = [met + (v.status == Status.MET.value), total + 1]
        commitments.append(
            {
                "number": c.number,
                "enterprise": doc["enterprise"]["name"],
                "plot": c.plot_code,
                "status": c.status,
                "verdicts": verdicts,
            }
        )
    attainment = [(names.get(k, k), met / total) for k, (met, total) in tally.items() if total]
    graded = [
        {
            "enterprise": g.enterprise,
            "number": g.commitment.number,
            "total": round(g.score.total, 1),
            "grade": g.score.grade,
            "parts": {k: round(v, 2) for k, v in g.score.parts.items()},
        }
        for g in grades(session, zone_code)
    ]
    return {
        "zone": {"code": zone.code, "name": zone.name},
        "commitments": commitments,
        "attainment": attainment,
        "graded": graded,
    }


def compliance_pdf(session: Session, zone_code: str, today: date) -> bytes:
    from commitments.documents import compliance_report

    data = compliance_data(session, zone_code)
    return compliance_report(
        data["zone"], data["commitments"], data["attainment"], data["graded"], today.isoformat()
    )
