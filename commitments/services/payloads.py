"""What each kind of ledger entry says (承诺书, acceptance, checkpoint, inspection, verdict,
consequence), built from the working rows: when appending and again when verifying.
"""

from __future__ import annotations

from typing import Any

from commitments import signing
from commitments.canonical import FORMAT_VERSION
from commitments.model import ACCEPTANCE_TYPE
from commitments.orm import CheckpointRow, CommitmentRow, ConsequenceRow, InspectionRow, VerdictRow

# payload projections: the same function writes an entry's payload and checks the row later


def commitment_payload(c: CommitmentRow) -> dict[str, Any]:
    return {
        "number": c.number,
        "document_sha256": c.document_sha256,
        "signature": {
            "alg": signing.ALGORITHM,
            "key": c.enterprise_key,
            "value": c.enterprise_signature,
        },
    }


def acceptance_statement(c: CommitmentRow) -> dict[str, Any]:
    """What the administration signs when it accepts a commitment."""
    return {
        "type": ACCEPTANCE_TYPE,
        "v": FORMAT_VERSION,
        "number": c.number,
        "document_sha256": c.document_sha256,
        "enterprise_key": c.enterprise_key,
        "enterprise_signature": c.enterprise_signature,
        "accepted_on": c.published_on.isoformat() if c.published_on else None,
    }


def acceptance_payload(c: CommitmentRow) -> dict[str, Any]:
    return {
        "statement": acceptance_statement(c),
        "signature": {"alg": signing.ALGORITHM, "key": c.admin_key, "value": c.admin_signature},
    }


def checkpoint_payload(cp: CheckpointRow, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "checkpoint": cp.id,
        "milestone": cp.milestone,
        "attempt": cp.attempt,
        "keys": list(cp.keys),
        "due_on": cp.due_on.isoformat(),
        "basis": cp.basis,
    }


def inspection_payload(i: InspectionRow, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "inspection": i.id,
        "checkpoint": i.checkpoint_id,
        "inspected_on": i.inspected_on.isoformat(),
        "inspector": i.inspector,
        "figures": dict(i.figures),
        "evidence": list(i.evidence),
    }


def verdict_payload(v: VerdictRow, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "verdict": v.id,
        "checkpoint": v.checkpoint_id,
        "inspection": v.inspection_id,
        "key": v.key,
        "status": v.status,
        "value": v.value,
        "shortfall": v.shortfall,
        "decided_on": v.decided_on.isoformat(),
    }


def consequence_payload(c: ConsequenceRow, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "consequence": c.id,
        "verdict": c.verdict_id,
        "code": c.code,
        "amount_wan": c.amount_wan,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "credit_record": c.credit_record,
        "land_recovery": c.land_recovery,
        "recheck_checkpoint": c.recheck_checkpoint_id,
        "decided_on": c.decided_on.isoformat(),
    }
