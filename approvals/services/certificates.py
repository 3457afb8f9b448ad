"""Electronic certificates (电子证照): issued with a unique number when an item's step is approved,
stored with the hash of what they state, printed with a QR code to the public verification page,
reused by later items (the materials they need are supplied by the certificate, see
:func:`approvals.services.queries.material_status`), and revocable by the administration.

The verification (:func:`verify`) answers for certificates and for the counter's numbered
documents (:mod:`approvals.services.counter_documents`) alike, and tells only what the paper
itself shows: the kind, the holder's name, the item, the issuing department, the date, the
status and the content hash — never the project's figures, materials or reasons.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, require
from approvals import counter_documents as layout
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import (
    CertificateRow,
    CounterDocumentRow,
    DepartmentRow,
    EnterpriseRow,
    ProjectRow,
    StepRow,
    TaskRow,
)
from approvals.services.common import department_name
from approvals.services.queries import get_project, project_catalogue
from i18n import Conflict
from storage.audit import record

#: Where the QR code of every numbered document leads (the public verification page).
VERIFY_PATH = "/verify/"


def verify_url(base_url: str, number: str) -> str:
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{number}"


def content_hash(facts: dict[str, Any]) -> str:
    """SHA-256 of the facts as canonical JSON (sorted keys, UTF-8): what the paper states."""
    raw = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def certificate_number(project_code: str, code: str, issued_on: date) -> str:
    """``DZZZ-<year>-<10 hex>``: unique per project and certificate (the table enforces it).

    >>> certificate_number("2026-330110-34-03-000001", "C-project-code", date(2026, 3, 2))
    'DZZZ-2026-3E8670404B'
    """
    digest = hashlib.sha256(f"{project_code}|{code}".encode()).hexdigest()[:10].upper()
    return f"{layout.CERTIFICATE_PREFIX}-{issued_on.year}-{digest}"


def _facts(
    cert: CertificateRow, project: ProjectRow, enterprise: EnterpriseRow, item: str, dept: str
) -> dict[str, Any]:
    """What the certificate states (hashed at issue, printed, and answered by verification)."""
    return {
        "number": cert.number,
        "code": cert.code,
        "name": cert.name,
        "item": {"code": cert.item_code, "name": item},
        "project": {"code": project.code, "name": project.name},
        "enterprise": {"name": enterprise.name, "credit_code": enterprise.credit_code},
        "issued_on": cert.issued_on.isoformat(),
        "department": dept,
    }


def issue_certificates(session: Session, project: ProjectRow, step: StepRow, on: date) -> None:
    """The certificates the step's items issue, once per project and code, numbered and hashed."""
    catalogue = project_catalogue(session, project)
    existing = set(
        session.scalars(select(CertificateRow.code).where(CertificateRow.project_id == project.id))
    )
    dept_name = department_name(session, step.departments[0])  # cached: no statement
    for code in step.items:
        for out in catalogue.items[code].outputs:
            if out.code in existing:
                continue
            existing.add(out.code)
            cert = CertificateRow(
                project_id=project.id,
                enterprise_id=project.enterprise_id,
                code=out.code,
                name=out.name,
                item_code=code,
                number=certificate_number(project.code, out.code, on),
                issued_on=on,
                issued_by=step.departments[0],
                status="valid",
            )
            facts = _facts(cert, project, project.enterprise, catalogue.items[code].name, dept_name)
            cert.content_sha256 = content_hash(facts)
            session.add(cert)
    session.flush()


def project_certificates(session: Session, actor: Actor, project_id: int) -> list[CertificateRow]:
    """The project's certificates, to whoever may see the project."""
    project = get_project(session, actor, project_id)
    return list(
        session.scalars(
            select(CertificateRow)
            .where(CertificateRow.project_id == project.id)
            .order_by(CertificateRow.issued_on, CertificateRow.id)
        )
    )


def _load(session: Session, number: str) -> CertificateRow:
    cert = session.scalar(select(CertificateRow).where(CertificateRow.number == number))
    if cert is None:
        raise NotFoundError(f"证照 {number} 不存在", f"certificate {number} not found")
    return cert


def certificate_document(
    session: Session, actor: Actor, certificate_id: int, base_url: str
) -> tuple[CertificateRow, bytes]:
    """The certificate as a printable PDF with its QR code, to whoever may see its project."""
    cert = session.get(CertificateRow, certificate_id)
    if cert is None:
        raise NotFoundError(
            f"证照 {certificate_id} 不存在", f"certificate {certificate_id} not found"
        )
    project = get_project(session, actor, cert.project_id)  # 404 to whoever may not see it
    catalogue = project_catalogue(session, project)
    item = catalogue.items.get(cert.item_code)
    dept = session.get(DepartmentRow, cert.issued_by)
    facts = _facts(
        cert,
        project,
        project.enterprise,
        item.name if item else cert.item_code,
        dept.name if dept else cert.issued_by,
    )
    pdf = layout.certificate(
        {
            **facts,
            "status": cert.status,
            "revoked_on": cert.revoked_on.isoformat() if cert.revoked_on else None,
            "content_sha256": cert.content_sha256,
            "verify_url": verify_url(base_url, cert.number),
        }
    )
    return cert, pdf


def revoke_certificate(
    session: Session, actor: Actor, number: str, reason: str, on: date
) -> CertificateRow:
    """注销: the certificate no longer supplies later items and verifies as revoked.

    Raises
    ------
    AccessForbidden
        Not the administration.
    ProjectError
        No reason given.
    Conflict
        Revoked already.
    """
    require(actor, Action.CERTIFICATE_REVOKE)
    cert = _load(session, number)
    reason = reason.strip()
    if not reason:
        raise ProjectError("注销证照须说明理由（reason）", "reason: required to revoke")
    if cert.status == "revoked":
        raise Conflict(f"证照 {number} 已注销", f"certificate {number} is revoked already")
    cert.status, cert.revoked_on, cert.revoked_reason = "revoked", on, reason[:500]
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="certificate.revoke",
        entity="certificate",
        entity_id=cert.id,
        project_id=cert.project_id,
        before={"status": "valid"},
        after={"status": "revoked", "number": number, "reason": cert.revoked_reason},
    )
    return cert


def verify(session: Session, number: str) -> dict[str, Any]:
    """What the public verification page shows for a certificate or a counter document number.

    Raises
    ------
    NotFoundError
        No document has this number (a forgery, or a typing error).
    """
    number = number.strip().upper()
    cert = session.scalar(select(CertificateRow).where(CertificateRow.number == number))
    if cert is not None:
        project = session.get(ProjectRow, cert.project_id)
        assert project is not None
        dept = session.get(DepartmentRow, cert.issued_by)
        item = project_catalogue(session, project).items.get(cert.item_code)
        return {
            "kind": "certificate",
            "title": cert.name,
            "number": cert.number,
            "status": cert.status,
            "holder": project.enterprise.name,
            "item": f"{cert.item_code} {item.name if item else ''}".strip(),
            "department": dept.name if dept else cert.issued_by,
            "issued_on": cert.issued_on.isoformat(),
            "revoked_on": cert.revoked_on.isoformat() if cert.revoked_on else None,
            "content_sha256": cert.content_sha256,
        }
    doc = session.scalar(select(CounterDocumentRow).where(CounterDocumentRow.number == number))
    if doc is None:
        raise NotFoundError(
            f"编号 {number} 不对应任何已核发的证照或文书",
            f"no certificate or document was issued with number {number}",
        )
    task = session.get(TaskRow, doc.task_id)
    project = session.get(ProjectRow, doc.project_id)
    assert task is not None and project is not None
    dept = session.get(DepartmentRow, task.department)
    return {
        "kind": doc.kind,
        "title": layout.KINDS[doc.kind][0],
        "number": doc.number,
        "status": "valid",
        "holder": project.enterprise.name,
        "item": f"{task.step.code} {task.step.name}",
        "department": dept.name if dept else task.department,
        "issued_on": doc.issued_on.isoformat(),
        "revoked_on": None,
        "content_sha256": doc.content_sha256,
    }
