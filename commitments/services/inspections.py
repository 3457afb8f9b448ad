"""Inspections (核查) and verdicts: the regulator's figures and evidence, the verdicts, the
consequences from the ladder and the re-check after rectification.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from approvals.calendar import WorkCalendar
from approvals.orm import BlobRow
from commitments import evaluation as ev
from commitments.errors import (
    CommitmentAccessDenied,
    CommitmentNotFound,
    CommitmentStateError,
    InspectionError,
)
from commitments.model import BREACHES, Status
from commitments.orm import (
    CheckpointRow,
    CommitmentRow,
    ConsequenceRow,
    InspectionRow,
    RegulatorTaskRow,
    VerdictRow,
)
from commitments.services.credit import record_breaches
from commitments.services.ledger_store import append, seal
from commitments.services.payloads import (
    checkpoint_payload,
    consequence_payload,
    inspection_payload,
    verdict_payload,
)
from commitments.services.queries import PUBLISHED_STATES, document_of, terms_of
from storage.audit import record

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _evidence(session: Session, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Evidence documents as ``{"name", "sha256", "size"}``; content given in base64 is stored
    once by its hash (the same blobs as the workflow's materials)."""
    out = []
    for i, item in enumerate(items):
        name = str(item.get("name") or "").strip()
        if not name or len(name) > 200:
            raise InspectionError(
                f"证据 #{i + 1}：缺少名称", f"evidence #{i + 1}: a name is required"
            )
        content = item.get("content_base64")
        if content:
            try:
                data = base64.b64decode(str(content), validate=True)
            except (binascii.Error, ValueError):
                raise InspectionError(
                    f"证据 {name}：content_base64 不是 base64",
                    f"evidence {name}: content_base64 is not base64",
                ) from None
            if len(data) > MAX_EVIDENCE_BYTES:
                raise InspectionError(f"证据 {name} 超过 20 MB", f"evidence {name} exceeds 20 MB")
            digest = hashlib.sha256(data).hexdigest()
            given = str(item.get("sha256") or digest).lower()
            if given != digest:
                raise InspectionError(
                    f"证据 {name}：给出的 sha256 与内容不符",
                    f"evidence {name}: the sha256 given does not match its content",
                )
            if session.get(BlobRow, digest) is None:
                session.add(BlobRow(sha256=digest, size=len(data), content=data))
            out.append({"name": name, "sha256": digest, "size": len(data)})
            continue
        digest = str(item.get("sha256") or "").lower()
        if not _SHA256.match(digest):
            raise InspectionError(
                f"证据 {name}：需要文件内容（content_base64）或其 SHA-256（64 位十六进制）",
                f"evidence {name}: give its content (content_base64) or its SHA-256 (64 hex digits)",
            )
        size = item.get("size")
        out.append(
            {"name": name, "sha256": digest, "size": int(size) if isinstance(size, int) else None}
        )
    return out


@dataclass
class InspectionResult:
    inspection: InspectionRow
    verdicts: list[VerdictRow]
    consequences: list[ConsequenceRow]
    recheck: CheckpointRow | None


def record_inspection(
    session: Session,
    actor: Actor,
    checkpoint_id: int,
    figures: Mapping[str, Any],
    evidence: Sequence[Mapping[str, Any]],
    today: date,
    calendar: WorkCalendar,
    note: str = "",
) -> InspectionResult:
    """A regulator's inspection at a checkpoint: the raw figures and the evidence; the verdicts
    are computed, the consequences selected from the commitment's ladder, and a re-check is
    scheduled at the end of the rectification period.

    Raises
    ------
    CommitmentAccessDenied
        The actor is not a regulator.
    CommitmentStateError
        The checkpoint is closed already, or the commitment is not published.
    InspectionError
        A figure is unknown or not a non-negative number, the figures do not allow computing an
        indicator, or evidence is malformed or missing.
    """
    if not can(actor, Action.INSPECTION_RECORD):
        raise CommitmentAccessDenied(
            "只有监管人员可以录入检查结果", "only regulators record inspections"
        )
    cp, c = _open_checkpoint(session, checkpoint_id)
    doc = document_of(c)
    terms_all = terms_of(session, c.id)
    own_keys = [t.key for t in terms_all if t.key not in ev.DERIVATIONS]
    values = ev.check_figures(figures, own_keys)
    if not evidence:
        raise InspectionError("至少需要一份证据材料", "at least one evidence document is required")
    ev_items = _evidence(session, evidence)
    terms = [t for t in terms_all if t.key in cp.keys]
    verdicts = ev.evaluate(
        terms, values, float(doc["plot"]["area_mu"]), float(doc["plot"]["area_m2"])
    )
    inspection = InspectionRow(
        checkpoint_id=cp.id,
        commitment_id=c.id,
        inspected_on=today,
        inspector=actor.username,
        figures=values,
        evidence=ev_items,
        note=note[:2000],
        ledger_seq=0,
    )
    session.add(inspection)
    session.flush()
    inspection.ledger_seq = append(
        session, "inspection", c.number, inspection_payload(inspection, c.number)
    ).seq
    vrows, crows, recheck = judge(session, c, cp, inspection, verdicts, today, calendar)
    task = session.scalar(select(RegulatorTaskRow).where(RegulatorTaskRow.checkpoint_id == cp.id))
    if task is not None:
        task.status, task.done_on = "done", today
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.inspect",
        entity="checkpoint",
        entity_id=cp.id,
        project_id=c.project_id,
        after={
            "number": c.number,
            "verdicts": {v.key: v.status for v in vrows},
            "consequences": [r.code for r in crows],
        },
    )
    seal(session)
    return InspectionResult(inspection, vrows, crows, recheck)


def _open_checkpoint(session: Session, checkpoint_id: int) -> tuple[CheckpointRow, CommitmentRow]:
    """The checkpoint to inspect and its commitment: still scheduled, and published."""
    cp = session.get(CheckpointRow, checkpoint_id)
    if cp is None:
        raise CommitmentNotFound(
            f"检查点 {checkpoint_id} 不存在", f"checkpoint {checkpoint_id} not found"
        )
    c = session.get(CommitmentRow, cp.commitment_id)
    assert c is not None
    if cp.status != Status.SCHEDULED.value:
        raise CommitmentStateError(
            f"检查点 {checkpoint_id} 已有结论（{cp.status}）",
            f"checkpoint {checkpoint_id} is already decided ({cp.status})",
        )
    if c.status not in PUBLISHED_STATES:
        raise CommitmentStateError(
            f"承诺书 {c.number} 尚未公示", f"commitment {c.number} is not published yet"
        )
    return cp, c


def judge(
    session: Session,
    c: CommitmentRow,
    cp: CheckpointRow,
    inspection: InspectionRow | None,
    verdicts: Sequence[ev.Verdict],
    today: date,
    calendar: WorkCalendar,
) -> tuple[list[VerdictRow], list[ConsequenceRow], CheckpointRow | None]:
    """Store the checkpoint's verdicts, the consequences the ladder selects and the re-check
    after rectification (ledger entries in that order); close the checkpoint and update the
    commitment's status."""
    vrows, decided = _verdicts(session, c, cp, inspection, verdicts, today, calendar)
    recheck = _recheck(session, c, cp, decided)
    crows = _consequences(session, c, decided, recheck, today)
    record_breaches(session, c, vrows, decided, today)  # 信用记录 of each breach (联合奖惩)
    statuses = [Status(v.status) for v in vrows]
    if all(s == Status.MET for s in statuses):
        cp.status = Status.MET.value
    elif all(s == Status.OVERDUE for s in statuses):
        cp.status = Status.OVERDUE.value
    elif any(s == Status.NOT_MET for s in statuses) or any(s == Status.OVERDUE for s in statuses):
        cp.status = Status.NOT_MET.value
    else:
        cp.status = Status.PARTIALLY_MET.value
    cp.closed_on = today
    session.flush()
    _update_status(session, c)
    return vrows, crows, recheck


def _verdicts(
    session: Session,
    c: CommitmentRow,
    cp: CheckpointRow,
    inspection: InspectionRow | None,
    verdicts: Sequence[ev.Verdict],
    today: date,
    calendar: WorkCalendar,
) -> tuple[list[VerdictRow], list[tuple[VerdictRow, ev.Consequence]]]:
    """The verdicts' rows (each appended to the ledger) and the consequence each one draws."""
    from commitments.model import ConsequenceRule

    doc = document_of(c)
    ladder = [ConsequenceRule.from_dict(r) for r in doc["consequences"]]
    area_mu = float(doc["plot"]["area_mu"])
    land_price = float(doc["land_price_wan"])
    vrows: list[VerdictRow] = []
    decided: list[tuple[VerdictRow, ev.Consequence]] = []
    for v in verdicts:
        row = VerdictRow(
            commitment_id=c.id,
            checkpoint_id=cp.id,
            inspection_id=inspection.id if inspection else None,
            key=v.key,
            status=v.status.value,
            value=None if v.value is None else round(v.value, 6),
            shortfall=round(v.shortfall, 6),
            decided_on=today,
            ledger_seq=0,
        )
        session.add(row)
        session.flush()
        row.ledger_seq = append(session, "verdict", c.number, verdict_payload(row, c.number)).seq
        vrows.append(row)
        consequence = ev.consequence_for(
            v,
            cp.attempt,
            ladder,
            area_mu=area_mu,
            land_price=land_price,
            decided_on=today,
            calendar=calendar,
        )
        if consequence is not None:
            decided.append((row, consequence))
    return vrows, decided


def _recheck(
    session: Session,
    c: CommitmentRow,
    cp: CheckpointRow,
    decided: list[tuple[VerdictRow, ev.Consequence]],
) -> CheckpointRow | None:
    """One re-check of every breached indicator that has a rectification period, at the
    latest deadline (none when no consequence has one)."""
    deadlines = [
        k.deadline for _, k in decided if k.deadline is not None and not k.rule.land_recovery
    ]
    if not deadlines:
        return None
    recheck = CheckpointRow(
        commitment_id=c.id,
        milestone=cp.milestone,
        attempt=cp.attempt + 1,
        keys=[r.key for r, k in decided if k.deadline is not None and not k.rule.land_recovery],
        due_on=max(deadlines),
        basis="rectification",
        status=Status.SCHEDULED.value,
    )
    session.add(recheck)
    session.flush()
    recheck.ledger_seq = append(
        session, "checkpoint", c.number, checkpoint_payload(recheck, c.number)
    ).seq
    return recheck


def _consequences(
    session: Session,
    c: CommitmentRow,
    decided: list[tuple[VerdictRow, ev.Consequence]],
    recheck: CheckpointRow | None,
    today: date,
) -> list[ConsequenceRow]:
    """The consequences' rows, each appended to the ledger."""
    crows: list[ConsequenceRow] = []
    for vrow, k in decided:
        crow = ConsequenceRow(
            commitment_id=c.id,
            verdict_id=vrow.id,
            code=k.rule.code,
            amount_wan=round(k.amount, 2),
            deadline=k.deadline,
            credit_record=k.rule.credit_record,
            land_recovery=k.rule.land_recovery,
            recheck_checkpoint_id=recheck.id if recheck and vrow.key in recheck.keys else None,
            decided_on=today,
            ledger_seq=0,
        )
        session.add(crow)
        session.flush()
        crow.ledger_seq = append(
            session, "consequence", c.number, consequence_payload(crow, c.number)
        ).seq
        crows.append(crow)
    return crows


def _update_status(session: Session, c: CommitmentRow) -> None:
    """Published while checks are open and nothing is breached; breached when the latest verdict
    of an indicator is a breach; fulfilled when every check is closed and every latest verdict met."""
    latest: dict[str, str] = {}
    for v in session.scalars(
        select(VerdictRow).where(VerdictRow.commitment_id == c.id).order_by(VerdictRow.id)
    ):
        latest[v.key] = v.status
    open_checks = session.scalar(
        select(func.count())
        .select_from(CheckpointRow)
        .where(CheckpointRow.commitment_id == c.id, CheckpointRow.status == Status.SCHEDULED.value)
    )
    if any(Status(s) in BREACHES for s in latest.values()):
        c.status = "breached"
    elif open_checks:
        c.status = "published"
    else:
        c.status = "fulfilled"
