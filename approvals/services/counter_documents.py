"""The documents the counter hands out for a task (一窗受理): 受理回执 once it is accepted,
一次性告知书 (what the item needs, told once) at any time, 补正通知书 for each correction
request, 不予受理决定书 once it is refused at intake.

A document is registered with its number the first time it is printed (idempotent: printing it
again gives the same number and the same date); the date is the day of the event it records,
not the day of printing.  Its number verifies on the public page like a certificate's
(:func:`approvals.services.certificates.verify`).  Who may print a task's documents is who may
see the task: the enterprise its own projects', a department its own tasks', the administration
and the regulator every one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.actor import Actor
from approvals import counter_documents as layout
from approvals.errors import NotFoundError
from approvals.orm import CorrectionRow, CounterDocumentRow, DepartmentRow, TaskRow
from approvals.services.certificates import content_hash, verify_url
from approvals.services.queries import get_task, material_status, project_catalogue
from storage.audit import record


def available(
    accepted: bool, refused: bool, corrections: Sequence[tuple[int, str]]
) -> list[dict[str, Any]]:
    """The documents a task has now, each ``{"kind", "title", "name"}`` (``name`` is the file
    name under ``/tasks/{id}/documents/``), from facts already loaded (no query): the notice
    always, the receipt once accepted, a notice per correction request, the decision once
    refused at intake.  ``corrections`` are (id, requested on) of the task's requests."""
    out = [{"kind": "notice", "name": "notice.pdf"}]
    if accepted:
        out.append({"kind": "receipt", "name": "receipt.pdf"})
    out += [
        {"kind": "correction", "name": f"correction-{cid}.pdf", "on": on} for cid, on in corrections
    ]
    if refused:
        out.append({"kind": "refusal", "name": "refusal.pdf"})
    for d in out:
        d["title"] = layout.KINDS[d["kind"]][0]
        d["title_en"] = layout.KINDS[d["kind"]][1]
    return out


def parse_name(name: str) -> tuple[str, int]:
    """``receipt.pdf`` → ("receipt", 0); ``correction-7.pdf`` → ("correction", 7).

    Raises
    ------
    NotFoundError
        Not the name of a document kind.
    """
    stem = name.removesuffix(".pdf")
    kind, _, rest = stem.partition("-")
    if kind == "correction" and rest.isdigit():
        return kind, int(rest)
    if kind in layout.KINDS and kind != "correction" and not rest:
        return kind, 0
    raise NotFoundError(f"文书 {name[:40]} 不存在", f"document {name[:40]} not found")


def document_number(kind: str, project_code: str, task_id: int, correction_id: int) -> str:
    """``<prefix>-<10 hex>``, unique per task, kind and correction (the table enforces it)."""
    digest = hashlib.sha256(f"{project_code}|{task_id}|{kind}|{correction_id}".encode())
    return f"{layout.KINDS[kind][2]}-{digest.hexdigest()[:12].upper()}"


def _note(m: dict[str, Any], deferrals: dict[str, date]) -> str:
    if m["state"] == "certificate":
        return f"由前序事项核发（证照编号 {m['certificate']['number']}），无需提交"
    if m["state"] == "pending":
        return "由前序事项核发，系统自动共享，无需提交"
    if m["state"] == "revoked":
        return "前序证照已注销，须重新核发"
    if m["code"] in deferrals:
        return f"容缺受理，须于 {deferrals[m['code']].isoformat()} 前补齐"
    if m["state"] == "uploaded":
        return f"已提交：{m['upload']['filename']}"
    return "须提交" + ("（可容缺）" if m["deferrable"] else "")


def _facts(
    session: Session, task: TaskRow, kind: str, correction: CorrectionRow | None
) -> dict[str, Any]:
    """What the document states (hashed into its record and printed)."""
    step, project = task.step, task.step.project
    dept = session.get(DepartmentRow, task.department)
    catalogue = project_catalogue(session, project)
    statuses = material_status(session, project, step)
    deferrals = {d.material_code: d.due_on for d in task.deferrals}
    facts: dict[str, Any] = {
        "kind": kind,
        "enterprise": {
            "name": project.enterprise.name,
            "credit_code": project.enterprise.credit_code,
        },
        "project": {"code": project.code, "name": project.name},
        "item": {"code": step.code, "name": step.name},
        "department": dept.name if dept else task.department,
    }
    if kind == "receipt":
        assert task.accepted_on is not None
        facts |= {
            "issued_on": task.accepted_on.isoformat(),
            "accepted_on": task.accepted_on.isoformat(),
            "days": task.days,
            "due_on": task.due_on.isoformat() if task.due_on else None,
            "materials": [
                {"code": m["code"], "name": m["name"], "note": _note(m, deferrals)}
                for m in statuses
            ],
        }
    elif kind == "notice":
        items = [catalogue.items[c] for c in step.items if c in catalogue.items]
        facts |= {
            "issued_on": (task.ready_on or project.filed_on).isoformat(),
            "days": task.days,
            "legal_basis": "；".join(i.legal_basis for i in items if i.legal_basis),
            "materials": [
                {"code": m["code"], "name": m["name"], "note": _note(m, deferrals)}
                for m in statuses
            ],
        }
    elif kind == "correction":
        assert correction is not None
        names = {m["code"]: m["name"] for m in statuses}
        facts |= {
            "issued_on": correction.requested_on.isoformat(),
            "requested_on": correction.requested_on.isoformat(),
            "stage": correction.stage,
            "reasons": correction.reasons,
            "materials": [
                {"code": c, "name": names.get(c, c), "note": "请重新提交"}
                for c in correction.material_codes
            ],
        }
    else:  # refusal
        assert task.decided_on is not None
        facts |= {
            "issued_on": task.decided_on.isoformat(),
            "decided_on": task.decided_on.isoformat(),
            "reasons": task.note,
        }
    return facts


def counter_document(
    session: Session, actor: Actor, task_id: int, name: str, base_url: str
) -> tuple[CounterDocumentRow, bytes]:
    """The task's document ``name`` (see :func:`available`) as PDF, registered on first print.

    Raises
    ------
    NotFoundError
        The task is not the actor's to see, or it has no such document (not accepted yet, no
        such correction request, not refused).
    """
    task = get_task(session, actor, task_id)
    kind, correction_id = parse_name(name)
    correction = None
    missing = NotFoundError(
        f"任务 {task_id} 没有文书 {name[:40]}", f"task {task_id} has no document {name[:40]}"
    )
    if kind == "correction":
        correction = session.get(CorrectionRow, correction_id)
        if correction is None or correction.task_id != task.id:
            raise missing
    elif (kind == "receipt" and task.accepted_on is None) or (
        kind == "refusal" and (task.status != "refused" or task.decided_on is None)
    ):
        raise missing
    row = _register(session, actor, task, kind, correction_id, correction)
    pdf = layout.counter_document(
        {
            **row.facts,
            "number": row.number,
            "issued_on": row.issued_on.isoformat(),
            "content_sha256": row.content_sha256,
            "verify_url": verify_url(base_url, row.number),
        }
    )
    return row, pdf


def _register(
    session: Session,
    actor: Actor,
    task: TaskRow,
    kind: str,
    correction_id: int,
    correction: CorrectionRow | None,
) -> CounterDocumentRow:
    """The document's record: the existing one, or a new one with its facts, number and hash."""
    q = select(CounterDocumentRow).where(
        CounterDocumentRow.task_id == task.id,
        CounterDocumentRow.kind == kind,
        CounterDocumentRow.correction_id == correction_id,
    )
    row = session.scalar(q)
    if row is not None:
        return row
    facts = _facts(session, task, kind, correction)
    project = task.step.project
    row = CounterDocumentRow(
        number=document_number(kind, project.code, task.id, correction_id),
        kind=kind,
        project_id=project.id,
        task_id=task.id,
        correction_id=correction_id,
        issued_on=date.fromisoformat(facts["issued_on"]),
        content_sha256=content_hash(facts),
        facts=facts,
        created_by=actor.username,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # printed at the same moment by someone else: theirs is the record
        session.rollback()
        existing = session.scalar(q)
        if existing is None:
            raise
        return existing
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="document.issue",
        entity="counter_document",
        entity_id=row.id,
        project_id=project.id,
        after={"number": row.number, "kind": kind, "task": task.id},
    )
    return row
