"""Reading commitments: who sees which (an enterprise its own; regulators and
administrators all), the document and terms of one, its summary and full detail, and the
project dates the drafting and the monitoring read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, Owned, can
from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow, StepRow
from commitments.errors import CommitmentError, CommitmentNotFound
from commitments.model import COMPLETION_STEPS, IndicatorTerm, Status
from commitments.orm import (
    CheckpointRow,
    CommitmentRow,
    ConsequenceRow,
    InspectionRow,
    RegulatorTaskRow,
    SigningKeyRow,
    TermRow,
    VerdictRow,
)
from landplots.model import Milestone
from storage.paging import PageOf, Paging, fetch_page, search_clause

PUBLISHED_STATES = ("published", "fulfilled", "breached")


# --- visibility ----------------------------------------------------------------------------------


def visible_query(actor: Actor):
    """Regulators and administrators read every commitment; an enterprise its own."""
    q = select(CommitmentRow)
    if not can(actor, Action.COMMITMENT_READ):
        return q.where(False)
    if can(actor, Action.COMMITMENT_READ, Owned()):  # unscoped: every commitment
        return q
    return q.where(CommitmentRow.enterprise_id == (actor.enterprise_id or -1))


#: The sort keys of a list of commitments and their columns.
COMMITMENT_SORTS: dict[str, Any] = {
    "number": CommitmentRow.number,
    "status": CommitmentRow.status,
    "zone": CommitmentRow.zone_code,
    "plot": CommitmentRow.plot_code,
    "created_at": CommitmentRow.created_at,
    "published_on": CommitmentRow.published_on,
}


def commitment_page(
    session: Session,
    actor: Actor,
    paging: Paging,
    *,
    zone: str | None = None,
    status: str | None = None,
) -> PageOf:
    """One page of the commitments ``actor`` sees, searched by number or plot, filtered by zone
    and status (one statement: the page with its count)."""
    q = visible_query(actor)
    if zone:
        q = q.where(CommitmentRow.zone_code == zone)
    if status:
        q = q.where(CommitmentRow.status == status)
    match = search_clause(paging.q, CommitmentRow.number, CommitmentRow.plot_code)
    if match is not None:
        q = q.where(match)
    return fetch_page(session, q, paging, COMMITMENT_SORTS, tiebreak=CommitmentRow.id)


def get_commitment(session: Session, actor: Actor, commitment_id: int) -> CommitmentRow:
    """The commitment if the actor may see it; otherwise not found (its existence is not told)."""
    row = session.scalar(visible_query(actor).where(CommitmentRow.id == commitment_id))
    if row is None:
        raise CommitmentNotFound(
            f"承诺书 {commitment_id} 不存在", f"commitment {commitment_id} not found"
        )
    return row


def get_by_number(session: Session, number: str) -> CommitmentRow:
    row = session.scalar(select(CommitmentRow).where(CommitmentRow.number == number))
    if row is None:
        raise CommitmentNotFound(f"承诺书 {number} 不存在", f"commitment {number} not found")
    return row


def document_of(row: CommitmentRow) -> dict[str, Any]:
    return json.loads(row.document)


def terms_of(session: Session, commitment_id: int) -> list[IndicatorTerm]:
    from landplots.indicators import STANDARD

    order = {k: i for i, k in enumerate(STANDARD)}
    rows = session.scalars(select(TermRow).where(TermRow.commitment_id == commitment_id))
    return sorted(
        (r.to_domain() for r in rows), key=lambda t: (order.get(t.key, len(order)), t.key)
    )


# --- the project's dates (drafting and monitoring) ------------------------------------------------


def project_completion(
    session: Session, project: ProjectRow, calendar: WorkCalendar
) -> tuple[date, str]:
    """The project's completion (竣工验收备案): its actual date when done, else its forecast."""
    steps = {
        s.code: s for s in session.scalars(select(StepRow).where(StepRow.project_id == project.id))
    }
    for code in COMPLETION_STEPS:
        s = steps.get(code)
        if s is None:
            continue
        if s.status == "done" and s.actual_end:
            return s.actual_end, "actual"
        if s.forecast_ef is not None and s.forecast_es is not None:
            seq = calendar.sequence(project.filed_on)
            return seq.date_of(max(s.forecast_ef - 1, s.forecast_es)), "forecast"
    if project.status == "completed" and project.predicted_finish:
        return project.predicted_finish, "actual"
    return project.predicted_finish or project.baseline_finish, "forecast"


def production_start(project: ProjectRow, completion: date) -> date:
    raw = (project.attributes or {}).get("production_start") or (project.form or {}).get(
        "production_start"
    )
    if raw:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise CommitmentError(
                f"项目 {project.code} 的投产日期 production_start '{raw}' 不是 YYYY-MM-DD",
                f"project {project.code}: production_start '{raw}' is not YYYY-MM-DD",
            ) from None
    return completion


# --- reading -------------------------------------------------------------------------------------


def commitment_summary(c: CommitmentRow, lang: str = "zh") -> dict[str, Any]:
    from commitments.model import COMMITMENT_STATES

    doc = document_of(c)
    zh, en = COMMITMENT_STATES.get(c.status, (c.status, c.status))
    return {
        "id": c.id,
        "number": c.number,
        "status": c.status,
        "status_name": en if lang == "en" else zh,
        "project": doc["project"],
        "enterprise": {"id": c.enterprise_id, "name": doc["enterprise"]["name"]},
        "plot": c.plot_code,
        "zone": c.zone_code,
        "published_on": c.published_on.isoformat() if c.published_on else None,
        "document_sha256": c.document_sha256,
        "ledger_seq": c.ledger_seq,
    }


def commitment_detail(session: Session, c: CommitmentRow, lang: str = "zh") -> dict[str, Any]:
    """Everything about one commitment: the document, signatures, checkpoints with verdicts and
    consequences, and the ledger entries."""
    doc = document_of(c)
    keys = {r.fingerprint: r for r in session.scalars(select(SigningKeyRow))}
    cps = session.scalars(
        select(CheckpointRow).where(CheckpointRow.commitment_id == c.id).order_by(CheckpointRow.id)
    ).all()
    verdicts = session.scalars(
        select(VerdictRow).where(VerdictRow.commitment_id == c.id).order_by(VerdictRow.id)
    ).all()
    consequences = {
        k.verdict_id: k
        for k in session.scalars(select(ConsequenceRow).where(ConsequenceRow.commitment_id == c.id))
    }
    inspections = session.scalars(
        select(InspectionRow).where(InspectionRow.commitment_id == c.id).order_by(InspectionRow.id)
    ).all()
    tasks = {
        t.checkpoint_id: t
        for t in session.scalars(
            select(RegulatorTaskRow).where(RegulatorTaskRow.commitment_id == c.id)
        )
    }
    names = {
        t["key"]: (t["name_en"] or t["name"]) if lang == "en" else t["name"]
        for t in doc["indicators"]
    }
    return {
        **commitment_summary(c, lang),
        "document": doc,
        "signatures": _signatures_out(c, keys),
        "acceptance_seq": c.acceptance_seq,
        "checkpoints": [
            _checkpoint_out(
                cp,
                tasks.get(cp.id),
                [
                    _verdict_out(v, consequences.get(v.id), names, lang)
                    for v in verdicts
                    if v.checkpoint_id == cp.id
                ],
                names,
                lang,
            )
            for cp in cps
        ],
        "inspections": [
            {
                "id": i.id,
                "checkpoint_id": i.checkpoint_id,
                "inspected_on": i.inspected_on.isoformat(),
                "inspector": i.inspector,
                "figures": i.figures,
                "evidence": i.evidence,
                "note": i.note,
                "ledger_seq": i.ledger_seq,
            }
            for i in inspections
        ],
    }


def _signatures_out(c: CommitmentRow, keys: Mapping[str, SigningKeyRow]) -> dict[str, Any]:
    return {
        "enterprise": {
            "key": c.enterprise_key,
            "value": c.enterprise_signature,
            "label": keys[c.enterprise_key].label if c.enterprise_key in keys else None,
            "signed_at": c.signed_at.isoformat() if c.signed_at else None,
        }
        if c.enterprise_signature
        else None,
        "administration": {"key": c.admin_key, "value": c.admin_signature}
        if c.admin_signature
        else None,
    }


def _checkpoint_out(
    cp: CheckpointRow,
    task: RegulatorTaskRow | None,
    verdicts: list[dict[str, Any]],
    names: Mapping[str, str],
    lang: str,
) -> dict[str, Any]:
    return {
        "id": cp.id,
        "milestone": cp.milestone,
        "milestone_name": Milestone(cp.milestone).text(lang),
        "attempt": cp.attempt,
        "keys": list(cp.keys),
        "names": [names.get(k, k) for k in cp.keys],
        "due_on": cp.due_on.isoformat(),
        "basis": cp.basis,
        "status": cp.status,
        "status_name": Status(cp.status).text(lang),
        "closed_on": cp.closed_on.isoformat() if cp.closed_on else None,
        "task": {"id": task.id, "status": task.status} if task is not None else None,
        "verdicts": verdicts,
        "ledger_seq": cp.ledger_seq,
    }


def _verdict_out(
    v: VerdictRow, k: ConsequenceRow | None, names: Mapping[str, str], lang: str
) -> dict[str, Any]:
    from commitments.model import CONSEQUENCE_KINDS

    return {
        "id": v.id,
        "key": v.key,
        "name": names.get(v.key, v.key),
        "status": v.status,
        "status_name": Status(v.status).text(lang),
        "value": v.value,
        "shortfall": v.shortfall,
        "decided_on": v.decided_on.isoformat(),
        "ledger_seq": v.ledger_seq,
        "consequence": {
            "code": k.code,
            "name": CONSEQUENCE_KINDS[k.code][1 if lang == "en" else 0],
            "amount_wan": k.amount_wan,
            "deadline": k.deadline.isoformat() if k.deadline else None,
            "credit_record": k.credit_record,
            "land_recovery": k.land_recovery,
            "recheck_checkpoint": k.recheck_checkpoint_id,
            "ledger_seq": k.ledger_seq,
        }
        if k
        else None,
    }
