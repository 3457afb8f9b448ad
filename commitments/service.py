"""Use cases of the commitments domain over a database session (the caller commits).

From signature to verdict:

1. :func:`create_commitment` drafts the 承诺书 from the project's plot (indicators, area, zone)
   and the project's data (planned figures, the approvals reduced to a commitment), with the
   zone's policy (checkpoint rules, tolerances, consequence ladder) written in.
2. The enterprise signs the canonical bytes with its own Ed25519 key, locally or in its
   browser, and :func:`submit_signature` checks the signature against a key the enterprise
   registered (:func:`register_enterprise_key`); the platform never holds the enterprise's
   private key.  Ledger entry ``commitment``.
3. An administrator accepts it (:func:`accept_commitment`): the platform key counter-signs an
   acceptance statement, the commitment is published (公示) and its checkpoints are scheduled
   on the working-day calendar.  Entries ``acceptance`` and ``checkpoint``.
4. :func:`run_monitor` (daily, idempotent) re-dates checkpoints whose project completion became
   known, gives the regulator a task for every checkpoint that fell due, and judges overdue the
   ones left without inspection past the grace period.
5. :func:`record_inspection` (regulators only) stores the raw figures and evidence, computes the
   verdicts, selects the consequences from the ladder, and schedules the re-check at the end of
   the rectification period.  Entries ``inspection``, ``verdict``, ``consequence``,
   ``checkpoint``.

Every unit of work that appends to the ledger ends with a tree head signed by the platform key
(:func:`seal`).  :func:`verify_ledger` re-checks everything, including that each working row
still says what its ledger entry says.

The platform key: the PEM file named by ``ONETRIP_ADMIN_SIGNING_KEY`` when set, else a key
generated once and kept in ``app_secrets`` (like the token key); its public key is registered
in ``commitment_keys`` (owner ``platform``) and published at ``GET /api/public/keys``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from access.actor import Actor
from approvals.calendar import WorkCalendar
from approvals.orm import BlobRow, EnterpriseRow, ProjectRow, StepRow
from commitments import evaluation as ev
from commitments import signing
from commitments.canonical import FORMAT_VERSION, canonical_bytes, sha256_hex
from commitments.errors import (
    CommitmentAccessDenied,
    CommitmentError,
    CommitmentNotFound,
    CommitmentStateError,
    InspectionError,
    LedgerError,
    SignatureError,
)
from commitments.grading import DEFAULT_GRADING, GradingPolicy, Score, score
from commitments.ledger import (
    SignatureJob,
    StoredEntry,
    TreeHead,
    VerifyReport,
    make_entry,
    merkle_root,
    proof_bundle,
    verify_entries,
)
from commitments.model import (
    ACCEPTANCE_TYPE,
    BREACHES,
    COMPLETION_STEPS,
    DEFAULT_POLICY,
    DOCUMENT_TYPE,
    IndicatorTerm,
    Policy,
    Status,
)
from commitments.orm import (
    CheckpointRow,
    CommitmentRow,
    ConsequenceRow,
    InspectionRow,
    LedgerEntryRow,
    PolicyRow,
    RegulatorTaskRow,
    SigningKeyRow,
    TermRow,
    TreeHeadRow,
    VerdictRow,
)
from landplots.model import Milestone
from storage.audit import record
from storage.base import utcnow

ADMIN_KEY_ENV = "ONETRIP_ADMIN_SIGNING_KEY"
#: The fields of a term, in the document and in ``commitment_terms`` alike.
TERM_FIELDS = (
    "key",
    "name",
    "name_en",
    "unit",
    "lower",
    "upper",
    "milestone",
    "tolerance",
    "planned",
)
PLATFORM_SECRET = "commitment_platform_key"
PUBLISHED_STATES = ("published", "fulfilled", "breached")
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# --- keys ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformKey:
    private: Ed25519PrivateKey
    public: signing.PublicKey

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint


_KEYS: dict[str, PlatformKey] = {}
_KEYS_LOCK = threading.Lock()


def platform_key(session: Session, pem_path: str | None = None) -> PlatformKey:
    """The administration's key pair: from ``pem_path`` (or ``$ONETRIP_ADMIN_SIGNING_KEY``), else
    generated once and kept in the database.  Its public key is registered (owner
    ``platform``) so that verification finds it by fingerprint even after a key change.

    Raises
    ------
    SignatureError
        When the configured file is missing or is not an Ed25519 private key.
    """
    from api.accounts import AppSecretRow  # the shared secrets table (no web code is imported)

    path = pem_path or os.environ.get(ADMIN_KEY_ENV) or None
    if path:
        try:
            pem = Path(path).read_bytes()
        except OSError as e:
            raise SignatureError(
                f"{ADMIN_KEY_ENV}={path}：无法读取（{e.strerror}）",
                f"{ADMIN_KEY_ENV}={path}: cannot read it ({e.strerror})",
            ) from None
        cache_key = "file:" + hashlib.sha256(pem).hexdigest()
    else:
        row = session.get(AppSecretRow, PLATFORM_SECRET)
        if row is None:
            row = AppSecretRow(name=PLATFORM_SECRET, value=signing.private_pem(signing.generate()))
            session.add(row)
            session.flush()
        pem = row.value.encode()
        cache_key = "db:" + hashlib.sha256(pem).hexdigest()
    with _KEYS_LOCK:
        key = _KEYS.get(cache_key)
        if key is None:
            private = signing.load_private_pem(pem, path or PLATFORM_SECRET)
            key = PlatformKey(private, signing.public_of(private))
            _KEYS[cache_key] = key
    if session.get(SigningKeyRow, key.fingerprint) is None:
        session.add(
            SigningKeyRow(
                fingerprint=key.fingerprint,
                owner="platform",
                public_key=key.public.b64,
                label="行政服务中心（平台）签名密钥 platform signing key",
            )
        )
        session.flush()
    return key


def register_enterprise_key(
    session: Session,
    actor: Actor,
    public_key: str,
    *,
    label: str = "",
    enterprise_id: int | None = None,
) -> SigningKeyRow:
    """Register an enterprise's Ed25519 public key (PEM, base64 or hex).  An enterprise
    registers its own; an administrator may register one on an enterprise's behalf.

    Raises
    ------
    SignatureError
        A malformed key, or a key already registered to someone else.
    CommitmentAccessDenied
        Any other role.
    """
    if actor.role == "enterprise":
        enterprise_id = actor.enterprise_id
    elif actor.role != "admin":
        raise CommitmentAccessDenied(
            "只有企业或管理员可以登记企业公钥",
            "only an enterprise or an administrator may register a key",
        )
    if enterprise_id is None or session.get(EnterpriseRow, enterprise_id) is None:
        raise CommitmentError(
            f"企业 {enterprise_id} 不存在", f"enterprise {enterprise_id} does not exist"
        )
    key = signing.load_public(public_key, "public_key")
    existing = session.get(SigningKeyRow, key.fingerprint)
    if existing is not None:
        if existing.owner == "enterprise" and existing.enterprise_id == enterprise_id:
            return existing
        raise SignatureError(
            f"公钥 {key.fingerprint[:16]}… 已登记给其他主体",
            f"key {key.fingerprint[:16]}… is registered to someone else",
        )
    row = SigningKeyRow(
        fingerprint=key.fingerprint,
        owner="enterprise",
        enterprise_id=enterprise_id,
        public_key=key.b64,
        label=label[:200],
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.key.register",
        entity="key",
        entity_id=key.fingerprint[:64],
        after={"enterprise_id": enterprise_id, "fingerprint": key.fingerprint},
    )
    return row


def public_keys(session: Session) -> dict[str, signing.PublicKey]:
    return {
        r.fingerprint: signing.load_public(r.public_key, r.fingerprint)
        for r in session.scalars(select(SigningKeyRow))
    }


# --- zone policies -------------------------------------------------------------------------------


def zone_policy(session: Session, zone_code: str) -> tuple[Policy, GradingPolicy]:
    """The zone's commitment and grading policies (the defaults where none is set)."""
    row = session.get(PolicyRow, zone_code)
    if row is None:
        return DEFAULT_POLICY, DEFAULT_GRADING
    return (
        Policy.from_dict(row.policy, f"zone {zone_code} policy"),
        GradingPolicy.from_dict(row.grading, f"zone {zone_code} grading"),
    )


def set_zone_policy(
    session: Session,
    actor: Actor,
    zone_code: str,
    policy: Mapping[str, Any] | None,
    grading: Mapping[str, Any] | None = None,
) -> PolicyRow:
    """Set a zone's policies (administrators).  Commitments already drafted keep the policy
    written into them.

    Raises
    ------
    PolicyError
        Naming the malformed field.
    """
    if actor.role != "admin":
        raise CommitmentAccessDenied(
            "只有管理员可以设置片区规则", "only administrators set zone policies"
        )
    from landplots.services.registry import get_zone

    get_zone(session, zone_code)
    p = Policy.from_dict(policy or {}, "policy")
    g = GradingPolicy.from_dict(grading or {}, "grading")
    row = session.get(PolicyRow, zone_code)
    if row is None:
        row = PolicyRow(
            zone_code=zone_code, policy=p.to_dict(), grading=g.to_dict(), updated_by=actor.username
        )
        session.add(row)
    else:
        row.policy, row.grading, row.updated_by, row.updated_at = (
            p.to_dict(),
            g.to_dict(),
            actor.username,
            utcnow(),
        )
    session.flush()
    return row


# --- visibility ----------------------------------------------------------------------------------


def visible_query(actor: Actor):
    """Regulators and administrators read every commitment; an enterprise its own."""
    q = select(CommitmentRow)
    if actor.role in {"regulator", "admin"}:
        return q
    if actor.role == "enterprise":
        return q.where(CommitmentRow.enterprise_id == (actor.enterprise_id or -1))
    return q.where(False)


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


# --- drafting ------------------------------------------------------------------------------------


def _completion(session: Session, project: ProjectRow, calendar: WorkCalendar) -> tuple[date, str]:
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


def _production_start(project: ProjectRow, completion: date) -> date:
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


def _planned(key: str, project: ProjectRow, area_mu: float, area_m2: float) -> float | None:
    a = project.attributes or {}
    try:
        if key == "investment_intensity" and a.get("investment"):
            return round(float(a["investment"]) / area_mu, 2)
        if key == "plot_ratio" and a.get("building_area"):
            return round(float(a["building_area"]) / area_m2, 2)
    except (TypeError, ValueError):
        return None
    return None


def _land_price(project: ProjectRow, area_mu: float, policy: Policy) -> float:
    for source in (project.form or {}, project.attributes or {}):
        if source.get("land_price") is not None:
            try:
                return round(float(source["land_price"]), 2)
            except (TypeError, ValueError):
                break
    return round(area_mu * policy.land_price_per_mu, 2)


def _number(session: Session, today: date) -> str:
    prefix = f"CN-{today.year}-"
    n = session.scalar(
        select(func.count())
        .select_from(CommitmentRow)
        .where(CommitmentRow.number.like(prefix + "%"))
    )
    return f"{prefix}{(n or 0) + 1:06d}"


def create_commitment(
    session: Session, actor: Actor, project_id: int, today: date, calendar: WorkCalendar
) -> CommitmentRow:
    """Draft the project's commitment (承诺书) from its plot and its data.

    The document (canonical JSON, :data:`~commitments.model.DOCUMENT_TYPE`) names the project,
    the enterprise, the plot (area in 亩 from the registry, zone), the land price, each
    indicator term (bounds, milestone, tolerance, planned figure), the checkpoint rules, the
    consequence ladder, and the approvals it replaces (``reduced_to_commitment``).

    Raises
    ------
    CommitmentAccessDenied
        The actor is not the project's enterprise nor an administrator.
    CommitmentStateError
        The project already has a commitment, or names no standard plot.
    """
    from approvals.errors import NotFoundError as ProjectNotFound
    from approvals.services.queries import get_project
    from landplots.services.registry import get_plot, zone_of_plot

    if actor.role not in {"enterprise", "admin"}:
        raise CommitmentAccessDenied(
            "只有项目单位或管理员可以起草承诺书",
            "only the project's enterprise or an administrator may draft a commitment",
        )
    try:
        project = get_project(session, actor, project_id)
    except ProjectNotFound:
        raise CommitmentNotFound(
            f"项目 {project_id} 不存在", f"project {project_id} not found"
        ) from None
    if session.scalar(select(CommitmentRow.id).where(CommitmentRow.project_id == project.id)):
        raise CommitmentStateError(
            f"项目 {project.code} 已有承诺书", f"project {project.code} already has a commitment"
        )
    if not project.plot_code:
        raise CommitmentStateError(
            f"项目 {project.code} 未选定标准地，无法生成承诺书",
            f"project {project.code} names no standard plot; a commitment is made from the plot's indicators",
        )
    plot = get_plot(session, project.plot_code)
    zone = zone_of_plot(session, plot)
    zone_code = zone.code if zone else plot.zone
    policy, _ = zone_policy(session, zone_code)
    enterprise = session.get(EnterpriseRow, project.enterprise_id)
    assert enterprise is not None
    from landplots.indicators import STANDARD

    terms = [
        IndicatorTerm(
            key=i.key,
            name=i.name,
            unit=i.unit,
            lower=i.lower,
            upper=i.upper,
            milestone=i.milestone,
            tolerance=policy.tolerance_for(i.key),
            name_en=STANDARD[i.key].name_en if i.key in STANDARD else "",
            planned=_planned(i.key, project, plot.area_mu, plot.area_m2),
        )
        for i in plot.indicators
    ]
    completion, basis = _completion(session, project, calendar)
    baseline = project.baseline or {}
    replaces = [
        {"code": r.get("code"), "name": r.get("name"), "reason": r.get("reason", "")}
        for r in baseline.get("reduced_to_commitment", [])
    ]
    number = _number(session, today)
    document = {
        "type": DOCUMENT_TYPE,
        "v": FORMAT_VERSION,
        "number": number,
        "issued_on": today.isoformat(),
        "project": {"id": project.id, "code": project.code, "name": project.name},
        "enterprise": {
            "id": enterprise.id,
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
        },
        "plot": {
            "code": plot.code,
            "name": plot.name,
            "zone": zone_code,
            "zone_name": zone.name if zone else "",
            "land_use": plot.land_use,
            "area_mu": round(plot.area_mu, 2),
            "area_m2": round(plot.area_m2, 1),
        },
        "land_price_wan": _land_price(project, plot.area_mu, policy),
        "indicators": [t.to_dict() for t in terms],
        "checkpoints": {
            "acceptance": {
                "rule": f"竣工验收备案（{'/'.join(COMPLETION_STEPS)}）后第 {policy.acceptance_workdays} 个工作日",
                "workdays_after_completion": policy.acceptance_workdays,
            },
            "production": {
                "rule": f"投产后 {policy.production_years} 年（未约定投产日期的，自竣工验收备案之日起算）",
                "years_after_production_start": policy.production_years,
                "production_start": _production_start(project, completion).isoformat()
                if (project.attributes or {}).get("production_start")
                else None,
            },
            "grace_workdays": policy.grace_workdays,
            "completion_basis": basis,
        },
        "consequences": [r.to_dict() for r in policy.ladder],
        "replaces": replaces,
        "statement": (
            f"本企业承诺在标准地 {plot.code} 上建设的项目 {project.name} 达到上列控制指标，"
            "接受对标验收和达产复核；未达标的，按上列违约责任承担后果。"
        ),
    }
    body = canonical_bytes(document)
    row = CommitmentRow(
        number=number,
        project_id=project.id,
        enterprise_id=project.enterprise_id,
        plot_code=plot.code,
        zone_code=zone_code,
        status="draft",
        document=body.decode(),
        document_sha256=sha256_hex(body),
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    for t in terms:
        session.add(
            TermRow(
                commitment_id=row.id,
                key=t.key,
                name=t.name,
                name_en=t.name_en,
                unit=t.unit,
                lower=t.lower,
                upper=t.upper,
                milestone=t.milestone.value,
                tolerance=t.tolerance,
                planned=t.planned,
            )
        )
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="commitment.draft",
        entity="commitment",
        entity_id=row.id,
        project_id=project.id,
        after={"number": number, "sha256": row.document_sha256, "plot": plot.code},
    )
    return row


# --- the ledger ----------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _lock_ledger(session: Session) -> None:
    """Serialise appends: PostgreSQL takes a transaction-level advisory lock; SQLite's writers
    are serialised by ``BEGIN IMMEDIATE`` already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(6962)"))


def _last_entry(session: Session) -> StoredEntry | None:
    row = session.scalar(select(LedgerEntryRow).order_by(LedgerEntryRow.seq.desc()).limit(1))
    return row.to_domain() if row else None


def append(session: Session, kind: str, subject: str, payload: Mapping[str, Any]) -> StoredEntry:
    """Append one entry to the ledger (in the caller's transaction); :func:`seal` after."""
    _lock_ledger(session)
    entry = make_entry(_last_entry(session), kind, subject, _now(), payload)
    session.add(LedgerEntryRow.from_domain(entry))
    session.flush()
    return entry


def leaf_hashes(session: Session, upto: int | None = None) -> list[bytes]:
    q = select(LedgerEntryRow.leaf_hash).order_by(LedgerEntryRow.seq)
    if upto is not None:
        q = q.where(LedgerEntryRow.seq <= upto)
    return [bytes.fromhex(h) for h in session.scalars(q)]


def seal(session: Session, key: PlatformKey | None = None) -> TreeHead | None:
    """Sign a tree head over the whole ledger (when it grew since the last one)."""
    size = session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0
    latest = session.scalar(select(func.max(TreeHeadRow.tree_size)))
    if size == 0 or (latest is not None and latest >= size):
        return None
    key = key or platform_key(session)
    head = TreeHead(size, merkle_root(leaf_hashes(session)).hex(), _now(), key.fingerprint)
    head = TreeHead(
        head.tree_size,
        head.root_hash,
        head.timestamp,
        head.key,
        signing.sign(key.private, head.to_bytes()),
    )
    session.add(
        TreeHeadRow(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp=head.timestamp,
            key=head.key,
            signature=head.signature,
        )
    )
    session.flush()
    return head


def latest_tree_head(session: Session) -> TreeHead | None:
    row = session.scalar(select(TreeHeadRow).order_by(TreeHeadRow.tree_size.desc()).limit(1))
    return row.to_domain() if row else None


# payload projections: the same function writes an entry's payload and checks the row later


def _commitment_payload(c: CommitmentRow) -> dict[str, Any]:
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


def _acceptance_payload(c: CommitmentRow) -> dict[str, Any]:
    return {
        "statement": acceptance_statement(c),
        "signature": {"alg": signing.ALGORITHM, "key": c.admin_key, "value": c.admin_signature},
    }


def _checkpoint_payload(cp: CheckpointRow, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "checkpoint": cp.id,
        "milestone": cp.milestone,
        "attempt": cp.attempt,
        "keys": list(cp.keys),
        "due_on": cp.due_on.isoformat(),
        "basis": cp.basis,
    }


def _inspection_payload(i: InspectionRow, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "inspection": i.id,
        "checkpoint": i.checkpoint_id,
        "inspected_on": i.inspected_on.isoformat(),
        "inspector": i.inspector,
        "figures": dict(i.figures),
        "evidence": list(i.evidence),
    }


def _verdict_payload(v: VerdictRow, number: str) -> dict[str, Any]:
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


def _consequence_payload(c: ConsequenceRow, number: str) -> dict[str, Any]:
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


# --- signing and acceptance ----------------------------------------------------------------------


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
    if actor.role != "enterprise" or actor.enterprise_id != c.enterprise_id:
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
    entry = append(session, "commitment", c.number, _commitment_payload(c))
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
    if actor.role != "admin":
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
    entry = append(session, "acceptance", c.number, _acceptance_payload(c))
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


def _milestone_dates(
    session: Session, c: CommitmentRow, calendar: WorkCalendar
) -> dict[str, tuple[date, str]]:
    project = session.get(ProjectRow, c.project_id)
    assert project is not None
    doc = document_of(c)
    rules = doc["checkpoints"]
    policy = Policy(
        acceptance_workdays=int(rules["acceptance"]["workdays_after_completion"]),
        production_years=int(rules["production"]["years_after_production_start"]),
        grace_workdays=int(rules["grace_workdays"]),
    )
    completion, basis = _completion(session, project, calendar)
    start = _production_start(project, completion)
    own_start = bool(rules["production"].get("production_start"))
    return {
        Milestone.ACCEPTANCE.value: (ev.acceptance_due(calendar, completion, policy), basis),
        Milestone.PRODUCTION.value: (
            ev.production_due(calendar, start, policy),
            "actual" if own_start else basis,
        ),
    }


def schedule_checkpoints(
    session: Session, c: CommitmentRow, calendar: WorkCalendar
) -> list[CheckpointRow]:
    """One checkpoint per milestone that has indicators (see :mod:`commitments.model`)."""
    terms = terms_of(session, c.id)
    dates = _milestone_dates(session, c, calendar)
    out = []
    for milestone in (Milestone.ACCEPTANCE.value, Milestone.PRODUCTION.value):
        keys = [t.key for t in terms if t.milestone.value == milestone]
        if not keys:
            continue
        due, basis = dates[milestone]
        cp = CheckpointRow(
            commitment_id=c.id,
            milestone=milestone,
            attempt=1,
            keys=keys,
            due_on=due,
            basis=basis,
            status=Status.SCHEDULED.value,
        )
        session.add(cp)
        session.flush()
        cp.ledger_seq = append(
            session, "checkpoint", c.number, _checkpoint_payload(cp, c.number)
        ).seq
        out.append(cp)
    session.flush()
    return out


# --- monitoring ----------------------------------------------------------------------------------


@dataclass
class MonitorReport:
    day: date
    rescheduled: list[int] = field(default_factory=list)  # checkpoint ids re-dated
    tasks: list[int] = field(default_factory=list)  # task ids created
    overdue: list[int] = field(default_factory=list)  # checkpoint ids judged overdue

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            return (
                f"{self.day}: {len(self.tasks)} new regulator tasks, {len(self.overdue)} checkpoints overdue, "
                f"{len(self.rescheduled)} re-dated"
            )
        return (
            f"{self.day}：新增监管任务 {len(self.tasks)} 件，逾期检查点 {len(self.overdue)} 个，"
            f"调整日期 {len(self.rescheduled)} 个"
        )


def run_monitor(session: Session, today: date, calendar: WorkCalendar) -> MonitorReport:
    """The daily run (``onetrip monitor run``); idempotent for a given day.

    * checkpoints dated from a forecast completion are re-dated when the forecast moved or the
      completion became actual (a new ``checkpoint`` entry records the new date);
    * every scheduled checkpoint due on or before ``today`` gets one regulator task;
    * a checkpoint still without inspection ``grace_workdays`` after its due day is judged
      overdue: each of its indicators gets an ``overdue`` verdict and its consequence.
    """
    report = MonitorReport(today)
    rows = session.execute(
        select(CheckpointRow, CommitmentRow)
        .join(CommitmentRow, CheckpointRow.commitment_id == CommitmentRow.id)
        .where(CheckpointRow.status == Status.SCHEDULED.value)
        .order_by(CheckpointRow.id)
    ).all()
    tasks = {t.checkpoint_id: t for t in session.scalars(select(RegulatorTaskRow))}
    appended = False
    for cp, c in rows:
        if cp.basis == "forecast" and cp.attempt == 1:
            due, basis = _milestone_dates(session, c, calendar)[cp.milestone]
            if (due, basis) != (cp.due_on, cp.basis) and cp.id not in tasks:
                cp.due_on, cp.basis = due, basis
                session.flush()
                cp.ledger_seq = append(
                    session, "checkpoint", c.number, _checkpoint_payload(cp, c.number)
                ).seq
                report.rescheduled.append(cp.id)
                appended = True
        if cp.due_on > today:
            continue
        policy_grace = int(document_of(c)["checkpoints"]["grace_workdays"])
        overdue_on = calendar.add_workdays(cp.due_on, policy_grace)
        task = tasks.get(cp.id)
        if task is None:
            task = RegulatorTaskRow(
                checkpoint_id=cp.id,
                commitment_id=c.id,
                created_on=today,
                due_on=cp.due_on,
                overdue_on=overdue_on,
                status="open",
            )
            session.add(task)
            session.flush()
            tasks[cp.id] = task
            report.tasks.append(task.id)
            record(
                session,
                actor="system",
                role="admin",
                action="commitment.task",
                entity="checkpoint",
                entity_id=cp.id,
                project_id=c.project_id,
                after={
                    "number": c.number,
                    "milestone": cp.milestone,
                    "due_on": cp.due_on.isoformat(),
                },
            )
        if today >= overdue_on:
            terms = [t for t in terms_of(session, c.id) if t.key in cp.keys]
            _judge(session, c, cp, None, ev.overdue_verdicts(terms), today, calendar)
            task.status, task.done_on = "done", today
            report.overdue.append(cp.id)
            appended = True
    session.flush()
    if appended:
        seal(session)
    return report


def regulator_tasks(session: Session, actor: Actor, today: date) -> list[dict[str, Any]]:
    """The regulators' worklist: open tasks, overdue first, then by due day."""
    if actor.role not in {"regulator", "admin"}:
        raise CommitmentAccessDenied(
            "只有监管人员和管理员可以查看监管任务",
            "only regulators and administrators see regulator tasks",
        )
    rows = session.execute(
        select(RegulatorTaskRow, CheckpointRow, CommitmentRow)
        .join(CheckpointRow, RegulatorTaskRow.checkpoint_id == CheckpointRow.id)
        .join(CommitmentRow, RegulatorTaskRow.commitment_id == CommitmentRow.id)
        .where(RegulatorTaskRow.status == "open")
    ).all()
    out = [
        {
            "id": t.id,
            "checkpoint_id": cp.id,
            "commitment_id": c.id,
            "number": c.number,
            "plot": c.plot_code,
            "zone": c.zone_code,
            "milestone": cp.milestone,
            "milestone_name": Milestone(cp.milestone).text("zh"),
            "attempt": cp.attempt,
            "keys": list(cp.keys),
            "due_on": t.due_on.isoformat(),
            "overdue_on": t.overdue_on.isoformat(),
            "created_on": t.created_on.isoformat(),
            "late": today > t.due_on,
        }
        for t, cp, c in rows
    ]
    out.sort(key=lambda r: (not r["late"], r["due_on"], r["id"]))
    return out


# --- inspections, verdicts, consequences ----------------------------------------------------------


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
    if actor.role != "regulator":
        raise CommitmentAccessDenied(
            "只有监管人员可以录入检查结果", "only regulators record inspections"
        )
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
        session, "inspection", c.number, _inspection_payload(inspection, c.number)
    ).seq
    vrows, crows, recheck = _judge(session, c, cp, inspection, verdicts, today, calendar)
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


def _judge(
    session: Session,
    c: CommitmentRow,
    cp: CheckpointRow,
    inspection: InspectionRow | None,
    verdicts: Sequence[ev.Verdict],
    today: date,
    calendar: WorkCalendar,
) -> tuple[list[VerdictRow], list[ConsequenceRow], CheckpointRow | None]:
    doc = document_of(c)
    from commitments.model import ConsequenceRule

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
        row.ledger_seq = append(session, "verdict", c.number, _verdict_payload(row, c.number)).seq
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
    # one re-check of every breached indicator that has a rectification period, at the latest deadline
    recheck = None
    deadlines = [
        k.deadline for _, k in decided if k.deadline is not None and not k.rule.land_recovery
    ]
    if deadlines:
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
            session, "checkpoint", c.number, _checkpoint_payload(recheck, c.number)
        ).seq
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
            session, "consequence", c.number, _consequence_payload(crow, c.number)
        ).seq
        crows.append(crow)
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
    from commitments.model import CONSEQUENCE_KINDS

    def verdict_out(v: VerdictRow) -> dict[str, Any]:
        k = consequences.get(v.id)
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

    return {
        **commitment_summary(c, lang),
        "document": doc,
        "signatures": {
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
        },
        "acceptance_seq": c.acceptance_seq,
        "checkpoints": [
            {
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
                "task": {"id": tasks[cp.id].id, "status": tasks[cp.id].status}
                if cp.id in tasks
                else None,
                "verdicts": [verdict_out(v) for v in verdicts if v.checkpoint_id == cp.id],
                "ledger_seq": cp.ledger_seq,
            }
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


# --- grading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Graded:
    commitment: CommitmentRow
    enterprise: str
    score: Score
    on: date


def grades(session: Session, zone: str | None = None) -> list[Graded]:
    """亩均论英雄 for each published commitment with a production inspection: the latest such
    inspection's figures over the plot's area, scored with the zone's grading policy."""
    q = select(CommitmentRow).where(CommitmentRow.status.in_(PUBLISHED_STATES))
    if zone:
        q = q.where(CommitmentRow.zone_code == zone)
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


# --- verification and proofs ---------------------------------------------------------------------


def _payload_checks(documents: Mapping[str, bytes]) -> dict[str, Callable[..., Any]]:
    """The signatures inside ``commitment`` and ``acceptance`` entries, to be verified."""

    def commitment(
        e: StoredEntry, doc: dict[str, Any], keys: Mapping[str, signing.PublicKey]
    ) -> list[SignatureJob]:
        p = doc.get("payload") or {}
        number = p.get("number")
        body = documents.get(str(number))
        if body is None:
            raise LedgerError(
                f"台账条目 #{e.seq}：承诺书 {number} 的文本不存在（被删除）",
                f"ledger entry #{e.seq}: the document of commitment {number} is missing (deleted)",
                seq=e.seq,
            )
        if sha256_hex(body) != p.get("document_sha256"):
            raise LedgerError(
                f"台账条目 #{e.seq}：承诺书 {number} 的文本与已签名的哈希不符（文本被修改）",
                f"ledger entry #{e.seq}: the document of commitment {number} does not match its signed hash (altered)",
                seq=e.seq,
            )
        return [
            _signature_job(
                e,
                p.get("signature") or {},
                keys,
                body,
                f"承诺书 {number} 的企业签名",
                f"the enterprise's signature of {number}",
            )
        ]

    def acceptance(
        e: StoredEntry, doc: dict[str, Any], keys: Mapping[str, signing.PublicKey]
    ) -> list[SignatureJob]:
        p = doc.get("payload") or {}
        statement = p.get("statement") or {}
        number = statement.get("number")
        body = documents.get(str(number))
        if body is not None and sha256_hex(body) != statement.get("document_sha256"):
            raise LedgerError(
                f"台账条目 #{e.seq}：确认声明与承诺书 {number} 的文本不符",
                f"ledger entry #{e.seq}: the acceptance does not match the document of {number}",
                seq=e.seq,
            )
        return [
            _signature_job(
                e,
                p.get("signature") or {},
                keys,
                canonical_bytes(statement),
                f"承诺书 {number} 的确认签名",
                f"the acceptance signature of {number}",
            )
        ]

    return {"commitment": commitment, "acceptance": acceptance}


def _signature_job(
    e: StoredEntry,
    sig: Mapping[str, Any],
    keys: Mapping[str, signing.PublicKey],
    message: bytes,
    zh: str,
    en: str,
) -> SignatureJob:
    key = keys.get(str(sig.get("key")))
    if key is None:
        raise LedgerError(
            f"台账条目 #{e.seq}：{zh}所用密钥 {str(sig.get('key'))[:16]}… 未登记",
            f"ledger entry #{e.seq}: {en} names an unregistered key {str(sig.get('key'))[:16]}…",
            seq=e.seq,
        )
    try:
        raw = signing.decode_signature(str(sig.get("value") or ""))
    except SignatureError:
        raw = b"\0" * 64  # malformed: it will not verify, and is reported in seq order
    return SignatureJob(e.seq, key.raw, raw, message, zh, en)


def _entries(session: Session, batch: int = 50_000) -> Iterable[StoredEntry]:
    """Every entry in ``seq`` order, fetched in batches on the driver's own cursor (a million
    rows through SQLAlchemy's result machinery would cost more than checking them)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    mark = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    sql = (
        "SELECT seq, kind, subject, at, prev_hash, leaf_hash, body FROM ledger_entries "
        f"WHERE seq > {mark} ORDER BY seq LIMIT {mark}"
    )
    last = 0
    while True:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, (last, batch))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not rows:
            return
        for r in rows:
            yield StoredEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6].encode())
        last = rows[-1][0]


@dataclass
class LedgerCheck:
    report: VerifyReport
    rows_checked: int

    def text(self, lang: str = "zh") -> str:
        r = self.report
        head = r.latest_head
        if lang == "en":
            return (
                f"ledger intact: {r.size} entries, {r.signatures} signatures, {r.tree_heads} signed tree heads, "
                f"{self.rows_checked} records consistent; root {r.root_hash[:16]}…"
                + (f" signed {head.timestamp}" if head else "")
            )
        return (
            f"台账完好：{r.size} 个条目，{r.signatures} 个签名，{r.tree_heads} 个已签名树头，"
            f"{self.rows_checked} 条业务记录一致；树根 {r.root_hash[:16]}…"
            + (f"（签于 {head.timestamp}）" if head else "")
        )


def verify_ledger(session: Session, on_entry: Callable[[int], None] | None = None) -> LedgerCheck:
    """Re-check every hash and signature of the ledger and every signed tree head, then that
    every working row (commitments, their terms, checkpoints, inspections, verdicts,
    consequences) still says what its ledger entry says.

    Raises
    ------
    LedgerError
        At the first broken entry (``seq``), naming what is wrong.
    """
    keys = public_keys(session)
    rows = _WorkingRows.load(session)
    heads = [
        r.to_domain() for r in session.scalars(select(TreeHeadRow).order_by(TreeHeadRow.tree_size))
    ]
    report = verify_entries(
        _entries(session),
        keys,
        heads,
        _payload_checks(rows.documents),
        on_entry,
        keep=rows.wanted(),
    )
    return LedgerCheck(report, rows.check(report))


@dataclass
class _WorkingRows:
    """The working tables as plain rows (attribute access, no ORM identity map: fast)."""

    commitments: list[Any]
    terms: dict[int, dict[str, dict[str, Any]]]
    checkpoints: list[Any]
    inspections: list[Any]
    verdicts: list[Any]
    consequences: list[Any]

    @classmethod
    def load(cls, session: Session) -> _WorkingRows:
        def rows(model: Any) -> list[Any]:
            return list(session.execute(select(*model.__table__.columns)))

        terms: dict[int, dict[str, dict[str, Any]]] = {}
        for t in session.execute(select(*TermRow.__table__.columns)):
            terms.setdefault(t.commitment_id, {})[t.key] = {k: getattr(t, k) for k in TERM_FIELDS}
        return cls(
            rows(CommitmentRow),
            terms,
            rows(CheckpointRow),
            rows(InspectionRow),
            rows(VerdictRow),
            rows(ConsequenceRow),
        )

    @property
    def documents(self) -> dict[str, bytes]:
        return {c.number: c.document.encode() for c in self.commitments if c.ledger_seq is not None}

    def wanted(self) -> set[int]:
        seqs = {c.ledger_seq for c in self.commitments} | {
            c.acceptance_seq for c in self.commitments
        }
        for table in (self.checkpoints, self.inspections, self.verdicts, self.consequences):
            seqs |= {r.ledger_seq for r in table}
        seqs.discard(None)
        return seqs  # type: ignore[return-value]

    def check(self, report: VerifyReport) -> int:
        """Each working row against the payload of the ledger entry it names."""
        numbers = {c.id: c.number for c in self.commitments}
        checks: list[tuple[int | None, str, str, dict[str, Any], str]] = []
        for c in self.commitments:
            if c.ledger_seq is not None:
                checks.append(
                    (
                        c.ledger_seq,
                        f"承诺书 {c.number}",
                        f"commitment {c.number}",
                        _commitment_payload(c),
                        "commitment",
                    )
                )
            elif c.status != "draft":
                raise LedgerError(
                    f"承诺书 {c.number} 状态为 {c.status}，但台账中没有其签署条目",
                    f"commitment {c.number} is '{c.status}' but has no signature entry in the ledger",
                )
            if c.acceptance_seq is not None:
                checks.append(
                    (
                        c.acceptance_seq,
                        f"承诺书 {c.number} 的确认",
                        f"the acceptance of {c.number}",
                        _acceptance_payload(c),
                        "acceptance",
                    )
                )
            if sha256_hex(c.document.encode()) != c.document_sha256:
                raise LedgerError(
                    f"承诺书 {c.number} 的文本与其哈希不符（被修改）",
                    f"commitment {c.number}: its document does not match its hash (altered)",
                    seq=c.ledger_seq,
                )
            doc = msgspec.json.decode(c.document)
            terms = dict(self.terms.get(c.id, {}))
            for d in doc["indicators"]:
                stored = terms.pop(d["key"], None)
                if stored != {k: d.get(k, "" if k == "name_en" else None) for k in TERM_FIELDS}:
                    raise LedgerError(
                        f"承诺书 {c.number} 的指标 {d['key']} 与已签名的承诺书不一致（被修改）",
                        f"commitment {c.number}: term {d['key']} differs from the signed document (altered)",
                        seq=c.ledger_seq,
                    )
            if terms:
                raise LedgerError(
                    f"承诺书 {c.number} 多出未签名的指标 {'、'.join(terms)}",
                    f"commitment {c.number} has unsigned terms {', '.join(terms)}",
                    seq=c.ledger_seq,
                )
        for cp in self.checkpoints:
            n = numbers[cp.commitment_id]
            checks.append(
                (
                    cp.ledger_seq,
                    f"检查点 {cp.id}（{n}）",
                    f"checkpoint {cp.id} ({n})",
                    _checkpoint_payload(cp, n),
                    "checkpoint",
                )
            )
        for i in self.inspections:
            n = numbers[i.commitment_id]
            checks.append(
                (
                    i.ledger_seq,
                    f"检查记录 {i.id}（{n}）",
                    f"inspection {i.id} ({n})",
                    _inspection_payload(i, n),
                    "inspection",
                )
            )
        for v in self.verdicts:
            n = numbers[v.commitment_id]
            checks.append(
                (
                    v.ledger_seq,
                    f"核验结论 {v.id}（{n} {v.key}）",
                    f"verdict {v.id} ({n} {v.key})",
                    _verdict_payload(v, n),
                    "verdict",
                )
            )
        for k in self.consequences:
            n = numbers[k.commitment_id]
            checks.append(
                (
                    k.ledger_seq,
                    f"违约处置 {k.id}（{n}）",
                    f"consequence {k.id} ({n})",
                    _consequence_payload(k, n),
                    "consequence",
                )
            )
        for seq, zh, en, payload, kind in sorted(checks, key=lambda c: c[0] or 0):
            kept = report.payloads.get(seq) if seq else None
            if kept is None:
                raise LedgerError(
                    f"{zh} 指向的台账条目 #{seq} 不存在",
                    f"{en} names ledger entry #{seq}, which does not exist",
                    seq=seq,
                )
            if kept[0] != kind:
                raise LedgerError(
                    f"台账条目 #{seq} 不是 {zh} 的条目",
                    f"ledger entry #{seq} is not the entry of {en}",
                    seq=seq,
                )
            stored = msgspec.json.decode(kept[1])
            if stored != payload:
                fields = sorted(
                    k for k in set(stored) | set(payload) if stored.get(k) != payload.get(k)
                )
                raise LedgerError(
                    f"{zh} 与台账条目 #{seq} 不一致（{'、'.join(fields)}）：记录被修改",
                    f"{en} differs from ledger entry #{seq} ({', '.join(fields)}): the record was altered",
                    seq=seq,
                )
        return len(checks)


def proof_for(session: Session, seq: int) -> dict[str, Any]:
    """An inclusion proof of entry ``seq`` against the latest signed tree head, with what an
    offline checker needs (the platform key; for a commitment, its document and signer key).

    Raises
    ------
    CommitmentNotFound
        No such entry, or no signed tree head covers it.
    """
    row = session.get(LedgerEntryRow, seq)
    head = latest_tree_head(session)
    if row is None or head is None or head.tree_size < seq:
        raise CommitmentNotFound(f"台账条目 #{seq} 不存在", f"ledger entry #{seq} not found")
    keys = public_keys(session)
    platform = keys.get(head.key)
    if platform is None:
        raise LedgerError(
            f"树头密钥 {head.key[:16]}… 未登记",
            f"the tree head's key {head.key[:16]}… is not registered",
        )
    entry = row.to_domain()
    extra: dict[str, Any] = {}
    if entry.kind == "commitment":
        c = session.scalar(select(CommitmentRow).where(CommitmentRow.ledger_seq == seq))
        if c is not None and c.enterprise_key in keys:
            extra = {
                "document": c.document,
                "signer_keys": [
                    {"fingerprint": c.enterprise_key, "ed25519": keys[c.enterprise_key].b64}
                ],
            }
    return proof_bundle(entry, leaf_hashes(session, head.tree_size), head, platform, extra)


def ledger_entries_of(session: Session, number: str) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(LedgerEntryRow).where(LedgerEntryRow.subject == number).order_by(LedgerEntryRow.seq)
    )
    return [{"seq": r.seq, "kind": r.kind, "at": r.at, "leaf_hash": r.leaf_hash} for r in rows]


# --- documents -----------------------------------------------------------------------------------


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
