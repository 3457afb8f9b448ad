"""Commitments (承诺制): the public list (公示), keys, the commitment in detail, regulator tasks,
inspections, grades, plot compliance and the ledger (tree heads, inclusion proofs)."""

from __future__ import annotations

from typing import Any

import msgspec

from api.schemas.common import Number, Out, PageMeta


class PlatformKey(Out):
    fingerprint: str
    ed25519: str
    pem: str


class RegisteredKey(Out):
    fingerprint: str
    owner: str
    enterprise_id: int | None
    ed25519: str
    label: str


class PublicKeysOut(Out):
    platform: PlatformKey
    keys: list[RegisteredKey]


class CommitmentProject(Out):
    id: int
    code: str
    name: str


class CommitmentEnterprise(Out):
    id: int
    name: str


class CommitmentSummary(Out):
    id: int
    number: str
    status: str
    status_name: str
    project: CommitmentProject
    enterprise: CommitmentEnterprise
    plot: str
    zone: str
    published_on: str | None
    document_sha256: str
    ledger_seq: int | None


class CommitmentsOut(PageMeta):
    items: list[CommitmentSummary]


class PublishedIndicator(Out):
    key: str
    name: str
    lower: Number | None
    upper: Number | None
    unit: str
    milestone: str


class PublishedCommitment(CommitmentSummary):
    indicators: list[PublishedIndicator]
    enterprise_key: str | None
    enterprise_signature: str | None
    administration_key: str | None
    administration_signature: str | None
    acceptance_seq: int | None


class PublishedCommitmentsOut(Out):
    items: list[PublishedCommitment]


class Signature(Out):
    key: str | None
    value: str | None


class PublishedDocumentOut(Out):
    """The signed canonical bytes (``document``, RFC 8785 JSON as a string) and both signatures."""

    number: str
    document: str
    document_sha256: str
    enterprise_signature: Signature
    acceptance_statement: dict[str, Any]
    administration_signature: Signature
    ledger_seq: int | None
    acceptance_seq: int | None


class TreeHead(Out):
    """A signed tree head of the ledger."""

    type: str
    v: int
    tree_size: int
    root_hash: str
    timestamp: str
    key: str
    signature: str


class LedgerHeadOut(Out):
    tree_head: TreeHead | None


class KeyRegistered(Out):
    fingerprint: str
    enterprise_id: int | None
    label: str


class EnterpriseSignature(Out):
    key: str | None
    value: str | None
    label: str | None
    signed_at: str | None


class Signatures(Out):
    enterprise: EnterpriseSignature | None
    administration: Signature | None


class Consequence(Out):
    code: str
    name: str
    amount_wan: float
    deadline: str | None
    credit_record: bool
    land_recovery: bool
    recheck_checkpoint: int | None
    ledger_seq: int


class Verdict(Out):
    id: int
    key: str
    name: str
    status: str
    status_name: str
    value: float | None
    shortfall: float
    decided_on: str
    ledger_seq: int
    consequence: Consequence | None


class TaskRef(Out):
    id: int
    status: str


class Checkpoint(Out):
    id: int
    milestone: str
    milestone_name: str
    attempt: int
    keys: list[str]
    names: list[str]
    due_on: str
    basis: str
    status: str
    status_name: str
    closed_on: str | None
    task: TaskRef | None
    verdicts: list[Verdict]
    ledger_seq: int | None


class Inspection(Out):
    id: int
    checkpoint_id: int
    inspected_on: str
    inspector: str
    figures: dict[str, Any]
    evidence: list[Any]
    note: str
    ledger_seq: int


class LedgerEntry(Out):
    seq: int
    kind: str
    at: str
    leaf_hash: str


class CommitmentOut(CommitmentSummary):
    """The commitment in detail: ``document`` is the signed document (its shape is versioned by
    its ``v``), ``canonical_base64`` the bytes to sign."""

    document: dict[str, Any]
    signatures: Signatures
    acceptance_seq: int | None
    checkpoints: list[Checkpoint]
    inspections: list[Inspection]
    canonical_base64: str
    ledger: list[LedgerEntry]


class RegulatorTask(Out):
    id: int
    checkpoint_id: int
    commitment_id: int
    number: str
    plot: str
    zone: str
    milestone: str
    milestone_name: str
    attempt: int
    keys: list[str]
    due_on: str
    overdue_on: str
    created_on: str
    late: bool


class RegulatorTasksOut(Out):
    items: list[RegulatorTask]


class InspectionOut(Out):
    inspection_id: int
    ledger_seq: int
    checkpoint: Checkpoint
    recheck: int | None
    commitment_status: str


class MonitorOut(Out):
    day: str
    tasks: list[int]
    overdue: list[int]
    rescheduled: list[int]


class PolicyOut(Out):
    zone: str
    policy: dict[str, Any]
    grading: dict[str, Any]


class Grade(Out):
    """亩均论英雄: an enterprise's score and grade on a day."""

    enterprise: str
    commitment: str
    zone: str
    on: str
    score: Number
    grade: str
    parts: dict[str, Number]
    values: dict[str, Number]


class GradesOut(Out):
    items: list[Grade]


class PlotCompliance(Out):
    status: str
    label: str
    commitment: int


#: Plot code → how its published commitment is kept.
PlotComplianceOut = dict[str, PlotCompliance]


class ProofEntry(Out):
    seq: int
    leaf_hash: str
    body: str


class ProofKey(Out):
    fingerprint: str
    ed25519: str


class ProofOut(Out):
    """An inclusion proof of a ledger entry against the latest signed tree head."""

    type: str
    v: int
    entry: ProofEntry
    leaf_index: int
    tree_head: TreeHead
    audit_path: list[str]
    platform_key: ProofKey
    document: str | msgspec.UnsetType = msgspec.UNSET
    signer_keys: list[ProofKey] | msgspec.UnsetType = msgspec.UNSET
