"""Commitments (承诺制): keys, drafting, signing and counter-signing, the public list (公示),
regulator tasks, inspections, documents, grades, and the ledger's tree heads and proofs.

Roles are enforced by guards here and again by the services: an enterprise sees only its own
commitments (404 otherwise), regulators read everything and record inspections,
administrators counter-sign; the public list, the published keys and the latest signed tree
head need no login.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.policy import Action, scoped
from api.auth import allowed
from api.clock import Clock
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import (
    Id,
    IdPath,
    PageParam,
    SearchParam,
    SizeParam,
    SortParam,
    actor,
    idempotent,
    page_meta,
    paging_query,
)
from api.schemas.commitments import (
    CommitmentOut,
    CommitmentsOut,
    GradesOut,
    InspectionOut,
    KeyRegistered,
    LedgerHeadOut,
    MonitorOut,
    PlotComplianceOut,
    PolicyOut,
    ProofOut,
    PublicKeysOut,
    PublishedCommitmentsOut,
    PublishedDocumentOut,
    RegulatorTasksOut,
)
from api.schemas.common import to
from approvals.service import work_calendar
from commitments.errors import CommitmentNotFound
from commitments.orm import CommitmentRow, LedgerEntryRow, SigningKeyRow
from commitments.services import documents as documents_service
from commitments.services import drafting as drafting_service
from commitments.services import grading as grading_service
from commitments.services import inspections as inspections_service
from commitments.services import keys as keys_service
from commitments.services import ledger_store as ledger_store_service
from commitments.services import monitoring as monitoring_service
from commitments.services import payloads as payloads_service
from commitments.services import publication as publication_service
from commitments.services import queries as queries_service
from commitments.services import signatures as signatures_service


class KeyIn(msgspec.Struct, forbid_unknown_fields=True):
    """An Ed25519 public key: PEM, base64 of the 32 raw bytes, or 64 hex digits."""

    public_key: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    label: Annotated[str, msgspec.Meta(max_length=200)] = ""
    enterprise_id: Id | None = None  # administrators register on an enterprise's behalf


class SignatureIn(msgspec.Struct, forbid_unknown_fields=True):
    """The enterprise's Ed25519 signature (base64) over the commitment's canonical bytes."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    signature: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class EvidenceIn(msgspec.Struct, forbid_unknown_fields=True):
    """A document: its content (base64, stored by hash) or just its SHA-256."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    sha256: str | None = None
    content_base64: str | None = None
    size: Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None = None


class InspectionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Raw figures (see ``commitments.evaluation.FIGURES``) and the evidence."""

    figures: dict[str, float]
    evidence: list[EvidenceIn]
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A zone's commitment policy (checkpoints, tolerances, ladder) and grading policy."""

    policy: dict[str, Any] = msgspec.field(default_factory=dict)
    grading: dict[str, Any] = msgspec.field(default_factory=dict)


class MonitorIn(msgspec.Struct, forbid_unknown_fields=True):
    on: date | None = None


# --- public -------------------------------------------------------------------------------------


@get(
    "/api/public/keys",
    operation_id="getPublicKeys",
    tags=["commitments"],
    sync_to_thread=True,
    security=[{}],
    responses=problems(400),
    summary="平台与企业签名公钥 Published signing keys",
)
def public_keys(session: NamedDependency[Session]) -> PublicKeysOut:
    """The administration's (platform's) Ed25519 public key, which signs acceptances and tree
    heads, and the enterprises' registered keys; fingerprints are SHA-256 of the raw key."""
    key = keys_service.platform_key(session)
    session.commit()  # the platform key is made once, on first use
    rows = session.scalars(select(SigningKeyRow).order_by(SigningKeyRow.created_at))
    return to(
        PublicKeysOut,
        {
            "platform": {
                "fingerprint": key.fingerprint,
                "ed25519": key.public.b64,
                "pem": key.public.pem(),
            },
            "keys": [
                {
                    "fingerprint": r.fingerprint,
                    "owner": r.owner,
                    "enterprise_id": r.enterprise_id,
                    "ed25519": r.public_key,
                    "label": r.label,
                }
                for r in rows
            ],
        },
    )


@get(
    "/api/public/commitments",
    operation_id="listPublishedCommitments",
    tags=["commitments"],
    sync_to_thread=True,
    security=[{}],
    responses=problems(400),
    summary="承诺公示 Published commitments",
)
def published(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> PublishedCommitmentsOut:
    """Every commitment signed by its enterprise and counter-signed by the administration."""
    return to(
        PublishedCommitmentsOut,
        {"items": publication_service.public_list(session, request_lang(request))},
    )


@get(
    "/api/public/commitments/{commitment_id:int}",
    operation_id="getPublishedCommitment",
    tags=["commitments"],
    sync_to_thread=True,
    security=[{}],
    responses=problems(400, 404),
    summary="已公示承诺书及其签名 A published commitment with what verifies it",
)
def published_one(commitment_id: IdPath, session: NamedDependency[Session]) -> PublishedDocumentOut:
    """The signed canonical bytes (``document``, RFC 8785 JSON as a string), the enterprise's
    signature over them, the acceptance statement the administration signed, and the keys'
    fingerprints (``GET /api/public/keys``): anyone can verify both signatures."""
    c = session.get(CommitmentRow, commitment_id)
    if c is None or c.status not in queries_service.PUBLISHED_STATES:
        raise CommitmentNotFound(
            f"已公示的承诺书 {commitment_id} 不存在", f"no published commitment {commitment_id}"
        )
    return to(
        PublishedDocumentOut,
        {
            "number": c.number,
            "document": c.document,
            "document_sha256": c.document_sha256,
            "enterprise_signature": {"key": c.enterprise_key, "value": c.enterprise_signature},
            "acceptance_statement": payloads_service.acceptance_statement(c),
            "administration_signature": {"key": c.admin_key, "value": c.admin_signature},
            "ledger_seq": c.ledger_seq,
            "acceptance_seq": c.acceptance_seq,
        },
    )


@get(
    "/api/public/ledger/head",
    operation_id="getLedgerHead",
    tags=["commitments"],
    sync_to_thread=True,
    security=[{}],
    responses=problems(400),
    summary="最新已签名树头 The latest signed tree head",
)
def ledger_head(session: NamedDependency[Session]) -> LedgerHeadOut:
    head = ledger_store_service.latest_tree_head(session)
    return to(LedgerHeadOut, {"tree_head": head.to_dict() if head else None})


# --- keys, drafting, signing, acceptance ---------------------------------------------------------


@post(
    "/api/enterprise-keys",
    operation_id="registerEnterpriseKey",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.COMMITMENT_KEY_REGISTER)],
    responses=problems(*WRITE),
    summary="登记企业签名公钥 Register an enterprise's public key",
)
def register_key(
    data: JSONBody[KeyIn], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[KeyRegistered]:
    """The platform never needs the private key: the enterprise keeps it and signs locally."""

    def act() -> tuple[int, Any]:
        row = keys_service.register_enterprise_key(
            session,
            actor(request),
            data.public_key,
            label=data.label,
            enterprise_id=data.enterprise_id,
        )
        return 201, to(
            KeyRegistered,
            {
                "fingerprint": row.fingerprint,
                "enterprise_id": row.enterprise_id,
                "label": row.label,
            },
        )

    return idempotent(session, request, data, act)


def _detail(session: Session, c: CommitmentRow, request: Request[Any, Any, Any]) -> dict[str, Any]:
    out = queries_service.commitment_detail(session, c, request_lang(request))
    out["canonical_base64"] = base64.b64encode(c.document.encode()).decode()
    out["ledger"] = ledger_store_service.ledger_entries_of(session, c.number)
    return out


@post(
    "/api/projects/{project_id:int}/commitment",
    operation_id="draftCommitment",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.COMMITMENT_DRAFT)],
    responses=problems(*WRITE),
    summary="起草承诺书 Draft the project's commitment",
)
def draft(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[CommitmentOut]:
    """From the project's standard plot (indicators, area, zone policy) and its data; the answer
    carries the canonical bytes to sign (``canonical_base64``)."""

    def act() -> tuple[int, Any]:
        c = drafting_service.create_commitment(
            session, actor(request), project_id, clock.today(), work_calendar(session)
        )
        return 201, to(CommitmentOut, _detail(session, c, request))

    return idempotent(session, request, {"project": project_id}, act)


@get(
    "/api/commitments",
    operation_id="listCommitments",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMMITMENT_READ)],
    responses=problems(400, 401, 403),
    summary="可见的承诺书 The caller's visible commitments",
)
def list_commitments(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    zone: Annotated[str | None, QueryParameter(max_length=64)] = None,
    status: Annotated[str | None, QueryParameter(max_length=12)] = None,
    page: PageParam = None,
    size: SizeParam = None,
    sort: SortParam = None,
    q: SearchParam = None,
) -> CommitmentsOut:
    """Regulators and administrators see all; an enterprise its own.  ``q`` searches number and
    plot; ``sort`` is one of number, status, zone, plot, created_at, published_on."""
    paging = paging_query(queries_service.COMMITMENT_SORTS, "number", page, size, sort, q)
    found = queries_service.commitment_page(
        session, actor(request), paging, zone=zone, status=status
    )
    lang = request_lang(request)
    return to(
        CommitmentsOut,
        {
            "items": [queries_service.commitment_summary(c, lang) for c in found.items],
            **page_meta(found),
        },
    )


@get(
    "/api/commitments/{commitment_id:int}",
    operation_id="getCommitment",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMMITMENT_READ)],
    responses=problems(*READ),
    summary="承诺书详情 A commitment with its checkpoints, verdicts and consequences",
)
def get_commitment(
    commitment_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> CommitmentOut:
    return to(
        CommitmentOut,
        _detail(
            session, queries_service.get_commitment(session, actor(request), commitment_id), request
        ),
    )


@get(
    "/api/commitments/{commitment_id:int}/canonical",
    operation_id="getCommitmentCanonicalBytes",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMMITMENT_READ)],
    responses=problems(*READ),
    media_type="application/json",
    summary="待签名的规范字节 The canonical bytes to sign (RFC 8785)",
    response_description="承诺书文档的规范 JSON 字节（RFC 8785）The commitment document's canonical JSON bytes",
)
def canonical(
    commitment_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[dict[str, Any]]:
    c = queries_service.get_commitment(session, actor(request), commitment_id)
    return Response(
        c.document.encode(),  # type: ignore[arg-type]  # the JSON object, as its exact bytes
        media_type="application/json",
        headers={
            "Digest": f"sha-256={base64.b64encode(bytes.fromhex(c.document_sha256)).decode()}"
        },
    )


@post(
    "/api/commitments/{commitment_id:int}/signature",
    operation_id="signCommitment",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.COMMITMENT_SIGN)],
    responses=problems(*WRITE),
    summary="提交企业签名 Submit the enterprise's signature",
)
def sign(
    commitment_id: IdPath,
    data: JSONBody[SignatureIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[CommitmentOut]:
    """The signature is checked against a key the enterprise registered; the signed commitment is
    entered in the ledger."""

    def act() -> tuple[int, Any]:
        c = signatures_service.submit_signature(
            session, actor(request), commitment_id, data.key, data.signature
        )
        return 200, to(CommitmentOut, _detail(session, c, request))

    return idempotent(session, request, data, act)


@post(
    "/api/commitments/{commitment_id:int}/acceptance",
    operation_id="acceptCommitment",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.COMMITMENT_COUNTERSIGN)],
    responses=problems(*WRITE),
    summary="确认并公示（平台会签）Counter-sign and publish",
)
def accept(
    commitment_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[CommitmentOut]:
    def act() -> tuple[int, Any]:
        c = signatures_service.accept_commitment(
            session, actor(request), commitment_id, clock.today(), work_calendar(session)
        )
        return 200, to(CommitmentOut, _detail(session, c, request))

    return idempotent(session, request, {"accept": commitment_id}, act)


@get(
    "/api/commitments/{commitment_id:int}/letter.pdf",
    operation_id="getCommitmentLetter",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMMITMENT_READ)],
    responses=problems(*READ),
    media_type="application/pdf",
    summary="承诺书 PDF The commitment letter",
    response_description="承诺书 PDF（含签名指纹与台账序号）The letter as PDF",
)
def letter(
    commitment_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[bytes]:
    c = queries_service.get_commitment(session, actor(request), commitment_id)
    return Response(
        documents_service.letter_pdf(session, c),
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(c.number + '.pdf')}"},
    )


# --- monitoring ----------------------------------------------------------------------------------


@get(
    "/api/commitment-tasks",
    operation_id="listRegulatorTasks",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMPLIANCE_READ)],
    responses=problems(400, 401, 403),
    summary="监管任务 The regulators' worklist",
)
def regulator_tasks(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> RegulatorTasksOut:
    """Checkpoints that fell due (``onetrip monitor run``), late ones first."""
    return to(
        RegulatorTasksOut,
        {"items": monitoring_service.regulator_tasks(session, actor(request), clock.today())},
    )


@post(
    "/api/checkpoints/{checkpoint_id:int}/inspections",
    operation_id="recordInspection",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.INSPECTION_RECORD)],
    responses=problems(*WRITE),
    summary="录入检查结果 Record an inspection",
)
def inspect(
    checkpoint_id: IdPath,
    data: JSONBody[InspectionIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[InspectionOut]:
    """Measured raw figures with evidence; the verdicts are computed (never typed), the
    consequences taken from the commitment's ladder, and a re-check scheduled."""

    def act() -> tuple[int, Any]:
        result = inspections_service.record_inspection(
            session,
            actor(request),
            checkpoint_id,
            data.figures,
            [msgspec.to_builtins(e) for e in data.evidence],
            clock.today(),
            work_calendar(session),
            data.note,
        )
        c = session.get(CommitmentRow, result.inspection.commitment_id)
        assert c is not None
        detail = queries_service.commitment_detail(session, c, request_lang(request))
        return 201, to(
            InspectionOut,
            {
                "inspection_id": result.inspection.id,
                "ledger_seq": result.inspection.ledger_seq,
                "checkpoint": next(cp for cp in detail["checkpoints"] if cp["id"] == checkpoint_id),
                "recheck": result.recheck.id if result.recheck else None,
                "commitment_status": c.status,
            },
        )

    return idempotent(session, request, data, act)


@post(
    "/api/commitments/monitor",
    operation_id="runMonitor",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.JOBS_RUN)],
    responses=problems(*WRITE),
    summary="履约巡检 Run the daily monitoring",
)
def monitor(
    data: JSONBody[MonitorIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Response[MonitorOut]:
    """What ``onetrip monitor run`` does: re-date, create due regulator tasks, judge overdue."""

    def act() -> tuple[int, Any]:
        report = monitoring_service.run_monitor(
            session, data.on or clock.today(), work_calendar(session)
        )
        return 200, to(
            MonitorOut,
            {
                "day": report.day.isoformat(),
                "tasks": report.tasks,
                "overdue": report.overdue,
                "rescheduled": report.rescheduled,
            },
        )

    return idempotent(session, request, data, act)


@post(
    "/api/zones/{zone:str}/commitment-policy",
    operation_id="setZonePolicy",
    tags=["commitments"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.COMPLIANCE_MANAGE)],
    responses=problems(*WRITE),
    summary="片区承诺规则 Set a zone's commitment and grading policy",
)
def set_policy(
    zone: FromPath[str],
    data: JSONBody[PolicyIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[PolicyOut]:
    def act() -> tuple[int, Any]:
        row = drafting_service.set_zone_policy(
            session, actor(request), zone, data.policy, data.grading
        )
        return 200, to(
            PolicyOut, {"zone": row.zone_code, "policy": row.policy, "grading": row.grading}
        )

    return idempotent(session, request, data, act)


@get(
    "/api/zones/{zone:str}/compliance-report.pdf",
    operation_id="getComplianceReport",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMPLIANCE_READ)],
    responses=problems(*READ),
    media_type="application/pdf",
    summary="片区履约情况报告 A zone's compliance report",
    response_description="片区履约报告 PDF The zone's compliance report as PDF",
)
def compliance_report(
    zone: FromPath[str], session: NamedDependency[Session], clock: NamedDependency[Clock]
) -> Response[bytes]:
    return Response(
        documents_service.compliance_pdf(session, zone, clock.today()),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(zone)}-compliance.pdf"
        },
    )


@get(
    "/api/grades",
    operation_id="listGrades",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMPLIANCE_READ)],
    responses=problems(400, 401, 403),
    summary="亩均论英雄 Per-mu grades",
)
def list_grades(
    session: NamedDependency[Session],
    zone: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> GradesOut:
    return to(
        GradesOut,
        {
            "items": [
                {
                    "enterprise": g.enterprise,
                    "commitment": g.commitment.number,
                    "zone": g.commitment.zone_code,
                    "on": g.on.isoformat(),
                    "score": round(g.score.total, 2),
                    "grade": g.score.grade,
                    "parts": {k: round(v, 2) for k, v in g.score.parts.items()},
                    "values": {k: round(v, 4) for k, v in g.score.values.items()},
                }
                for g in grading_service.grades(session, zone)
            ]
        },
    )


@get(
    "/api/plots-compliance",
    operation_id="getPlotCompliance",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMPLIANCE_READ)],
    responses=problems(400, 401, 403),
    summary="地块履约状态 How each plot's commitment is kept (for the map)",
)
def plots_compliance(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> PlotComplianceOut:
    """Plot code → ``{status, label, commitment}``; ``status`` is met, partiallyMet, notMet,
    overdue or scheduled (no inspection yet).  Plots without a published commitment are absent."""
    return to(
        PlotComplianceOut, publication_service.plot_compliance(session, request_lang(request))
    )


# --- the ledger ----------------------------------------------------------------------------------


@get(
    "/api/ledger/entries/{seq:int}/proof",
    operation_id="getInclusionProof",
    tags=["commitments"],
    sync_to_thread=True,
    guards=[allowed(Action.COMMITMENT_READ)],
    responses=problems(*READ),
    summary="包含证明 An inclusion proof of a ledger entry (RFC 6962)",
)
def proof(
    seq: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> ProofOut:
    """Check it offline with ``onetrip ledger verify-proof FILE --key <the published platform
    key>``.  An enterprise gets the proofs of its own commitments' entries."""
    who = actor(request)
    if scoped(who, Action.COMMITMENT_READ):
        subject = session.scalar(select(LedgerEntryRow.subject).where(LedgerEntryRow.seq == seq))
        visible = subject is not None and session.scalar(
            queries_service.visible_query(who).where(CommitmentRow.number == subject)
        )
        if not visible:
            raise CommitmentNotFound(f"台账条目 #{seq} 不存在", f"ledger entry #{seq} not found")
    return to(ProofOut, ledger_store_service.proof_for(session, seq))


ROUTES = [
    public_keys,
    published,
    published_one,
    ledger_head,
    register_key,
    draft,
    list_commitments,
    get_commitment,
    canonical,
    sign,
    accept,
    letter,
    regulator_tasks,
    inspect,
    monitor,
    set_policy,
    compliance_report,
    plots_compliance,
    list_grades,
    proof,
]
