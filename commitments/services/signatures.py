"""Signing: the enterprise's signature on its 承诺书 and the administrator's counter-signature
(acceptance, 公示) that schedules the checkpoints.
"""

from __future__ import annotations

import base64
from datetime import date

from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from approvals.calendar import WorkCalendar
from commitments import signing
from commitments.canonical import canonical_bytes
from commitments.errors import CommitmentAccessDenied, CommitmentStateError, SignatureError
from commitments.orm import CommitmentRow, SigningKeyRow
from commitments.services.keys import platform_key
from commitments.services.ledger_store import append, seal
from commitments.services.monitoring import schedule_checkpoints
from commitments.services.payloads import (
    acceptance_payload,
    acceptance_statement,
    commitment_payload,
)
from commitments.services.queries import get_commitment
from storage.audit import record
from storage.base import utcnow


def submit_signature(
    session: Session, actor: Actor, commitment_id: int, key_fingerprint: str, signature_b64: str
) -> CommitmentRow:
    """The enterprise's signature over the commitment's canonical bytes.

    Raises
    ------
    CommitmentAccessDenied
        The actor is not the commitment's enterprise.
    CommitmentStateError
        It is signed already.
    SignatureError
        The key is not registered to this enterprise, or the signature does not verify.
    """
    c = get_commitment(session, actor, commitment_id)
    if not can(actor, Action.COMMITMENT_SIGN, c):
        raise CommitmentAccessDenied(
            "只有承诺企业本身可以签署承诺书",
            "only the committing enterprise may sign its commitment",
        )
    if c.status != "draft":
        raise CommitmentStateError(
            f"承诺书 {c.number} 已签署", f"commitment {c.number} is already signed"
        )
    key_row = session.get(SigningKeyRow, (key_fingerprint or "").strip().lower())
    if key_row is None or key_row.owner != "enterprise" or key_row.enterprise_id != c.enterprise_id:
        raise SignatureError(
            f"公钥 {key_fingerprint[:16]}… 未登记为本企业的签名密钥",
            f"key {key_fingerprint[:16]}… is not registered as this enterprise's signing key",
        )
    public = signing.load_public(key_row.public_key, key_row.fingerprint)
    raw = signing.decode_signature(signature_b64)
    if not public.verify(raw, c.document.encode()):
        raise SignatureError(
            f"签名无效：不是密钥 {key_row.fingerprint[:16]}… 对承诺书 {c.number} 规范字节的签名",
            f"the signature does not verify: not key {key_row.fingerprint[:16]}…'s signature of commitment {c.number}'s canonical bytes",
        )
    c.enterprise_key = key_row.fingerprint
    c.enterprise_signature = base64.b64encode(raw).decode()
    c.signed_at = utcnow()
    c.status = "signed"
    session.flush()
    entry = append(session, "commitment", c.number, commitment_payload(c))
    c.ledger_seq = entry.seq
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.sign",
        entity="commitment",
        entity_id=c.id,
        project_id=c.project_id,
        after={"number": c.number, "key": c.enterprise_key, "ledger": entry.seq},
    )
    seal(session)
    return c


def accept_commitment(
    session: Session, actor: Actor, commitment_id: int, today: date, calendar: WorkCalendar
) -> CommitmentRow:
    """The administration counter-signs its acceptance with the platform key; the commitment is
    published (公示) and its checkpoints are scheduled.

    Raises
    ------
    CommitmentAccessDenied
        The actor is not an administrator.
    CommitmentStateError
        The commitment is not signed, or is accepted already.
    """
    if not can(actor, Action.COMMITMENT_COUNTERSIGN):
        raise CommitmentAccessDenied(
            "只有管理员可以确认承诺书", "only administrators accept commitments"
        )
    c = get_commitment(session, actor, commitment_id)
    if c.status != "signed":
        raise CommitmentStateError(
            f"承诺书 {c.number} 状态为“{c.status}”，只有已签署、待确认的可以确认",
            f"commitment {c.number} is '{c.status}'; only a signed one awaiting acceptance can be accepted",
        )
    key = platform_key(session)
    c.published_on = today
    c.admin_key = key.fingerprint
    c.admin_signature = signing.sign(key.private, canonical_bytes(acceptance_statement(c)))
    c.status = "published"
    session.flush()
    entry = append(session, "acceptance", c.number, acceptance_payload(c))
    c.acceptance_seq = entry.seq
    schedule_checkpoints(session, c, calendar)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.accept",
        entity="commitment",
        entity_id=c.id,
        project_id=c.project_id,
        after={"number": c.number, "published_on": today.isoformat(), "ledger": entry.seq},
    )
    seal(session, key)
    return c
