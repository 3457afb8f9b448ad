"""Persistence of the commitments domain: keys, commitments and their terms, checkpoints,
regulator tasks, inspections, verdicts, consequences, zone policies, and the ledger.

The ledger tables (``ledger_entries``, ``ledger_tree_heads``) refuse UPDATE and DELETE at the
database (triggers of migration 0004, like the audit trail); the other tables are the working
state, each row naming the ledger entry (``ledger_seq``) that ``onetrip ledger verify``
compares it with.  Rows convert explicitly to and from the domain values; no rule lives here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Double,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from commitments.ledger import StoredEntry, TreeHead
from commitments.model import IndicatorTerm
from landplots.model import Milestone
from storage.base import Base, JSONDoc, UTCDateTime, utcnow


class SigningKeyRow(Base):
    """A registered Ed25519 public key: an enterprise's, or the platform's (``owner="platform"``)."""

    __tablename__ = "commitment_keys"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(20))  # enterprise | platform
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), nullable=True, index=True
    )
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32 raw bytes
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommitmentRow(Base):
    """A commitment (承诺书): its canonical document and signatures, and where it stands."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    plot_code: Mapped[str] = mapped_column(String(64))
    zone_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    document: Mapped[str] = mapped_column(Text)  # the canonical bytes (UTF-8) that are signed
    document_sha256: Mapped[str] = mapped_column(String(64))
    enterprise_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enterprise_signature: Mapped[str | None] = mapped_column(String(100), nullable=True)
    admin_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    admin_signature: Mapped[str | None] = mapped_column(String(100), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    acceptance_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TermRow(Base):
    """An indicator term of a commitment (queryable copy of the document's)."""

    __tablename__ = "commitment_terms"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(32), default="")
    lower: Mapped[float | None] = mapped_column(Double, nullable=True)
    upper: Mapped[float | None] = mapped_column(Double, nullable=True)
    milestone: Mapped[str] = mapped_column(String(16))
    tolerance: Mapped[float] = mapped_column(Double)
    planned: Mapped[float | None] = mapped_column(Double, nullable=True)

    def to_domain(self) -> IndicatorTerm:
        return IndicatorTerm(
            key=self.key,
            name=self.name,
            unit=self.unit,
            lower=self.lower,
            upper=self.upper,
            milestone=Milestone(self.milestone),
            tolerance=self.tolerance,
            name_en=self.name_en,
            planned=self.planned,
        )


class CheckpointRow(Base):
    """A check of some indicators on a due day: 对标验收, 达产复核, or a re-check after a
    rectification period (``attempt`` > 1)."""

    __tablename__ = "commitment_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    milestone: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    keys: Mapped[list[str]] = mapped_column(JSONDoc)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    basis: Mapped[str] = mapped_column(String(16))  # actual | forecast | rectification
    status: Mapped[str] = mapped_column(String(16), index=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegulatorTaskRow(Base):
    """A regulator's task: a checkpoint has fallen due (监管任务)."""

    __tablename__ = "commitment_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_checkpoints.id", ondelete="CASCADE"), unique=True
    )
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    created_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    overdue_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | done
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class InspectionRow(Base):
    """An inspection: the measured raw figures and the evidence (documents with their hash)."""

    __tablename__ = "commitment_inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_checkpoints.id", ondelete="CASCADE"), index=True
    )
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(100))
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    evidence: Mapped[list[Any]] = mapped_column(JSONDoc)
    note: Mapped[str] = mapped_column(Text, default="")
    ledger_seq: Mapped[int] = mapped_column(Integer)


class VerdictRow(Base):
    """The verdict on one indicator at one checkpoint (computed, never typed)."""

    __tablename__ = "commitment_verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_checkpoints.id", ondelete="CASCADE"), index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    value: Mapped[float | None] = mapped_column(Double, nullable=True)
    shortfall: Mapped[float] = mapped_column(Double)
    decided_on: Mapped[date] = mapped_column(Date)
    ledger_seq: Mapped[int] = mapped_column(Integer)


class ConsequenceRow(Base):
    """A consequence from the ladder, with the rectification deadline and its re-check."""

    __tablename__ = "commitment_consequences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    verdict_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_verdicts.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    amount_wan: Mapped[float] = mapped_column(Double)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    credit_record: Mapped[bool] = mapped_column(Boolean, default=False)
    land_recovery: Mapped[bool] = mapped_column(Boolean, default=False)
    recheck_checkpoint_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_on: Mapped[date] = mapped_column(Date)
    ledger_seq: Mapped[int] = mapped_column(Integer)


class PolicyRow(Base):
    """A zone's commitment policy and 亩均论英雄 grading policy (片区规则)."""

    __tablename__ = "commitment_policies"

    zone_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    grading: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntryRow(Base):
    """One ledger entry (append-only: the database refuses UPDATE and DELETE)."""

    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    leaf_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)

    def to_domain(self) -> StoredEntry:
        return StoredEntry(
            self.seq,
            self.kind,
            self.subject,
            self.at,
            self.prev_hash,
            self.leaf_hash,
            self.body.encode(),
        )

    @classmethod
    def from_domain(cls, e: StoredEntry) -> LedgerEntryRow:
        return cls(
            seq=e.seq,
            kind=e.kind,
            subject=e.subject,
            at=e.at,
            prev_hash=e.prev_hash,
            leaf_hash=e.leaf_hash,
            body=e.body.decode(),
        )


class LedgerNodeRow(Base):
    """The hash of a complete Merkle subtree of the ledger: leaves ``[idx · 2^height,
    (idx + 1) · 2^height)`` (derived data, see :mod:`commitments.services.ledger_store`)."""

    __tablename__ = "ledger_nodes"

    height: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class TreeHeadRow(Base):
    """A signed tree head (append-only)."""

    __tablename__ = "ledger_tree_heads"

    tree_size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))

    def to_domain(self) -> TreeHead:
        return TreeHead(self.tree_size, self.root_hash, self.timestamp, self.key, self.signature)


class CreditRecordRow(Base):
    """A credit record (信用记录) written by a breach verdict, with the consequence it drew
    (联合奖惩): what was breached, the consequence and whether it enters joint sanctions."""

    __tablename__ = "credit_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    verdict_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_verdicts.id", ondelete="CASCADE"), unique=True
    )
    recorded_on: Mapped[date] = mapped_column(Date)
    indicator: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))
    #: the consequence's code (CONSEQUENCE_KINDS), or "" when the ladder selected none
    consequence: Mapped[str] = mapped_column(String(20), default="")
    amount_wan: Mapped[float] = mapped_column(Double, default=0.0)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: entered in the shared credit system for joint sanctions (联合惩戒)
    joint_sanction: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")


class GradePriceRow(Base):
    """The administrator's differentiated price (差别化价格) of a resource for a 亩均 grade."""

    __tablename__ = "grade_prices"

    grade: Mapped[str] = mapped_column(String(1), primary_key=True)
    resource: Mapped[str] = mapped_column(String(10), primary_key=True)
    price: Mapped[float] = mapped_column(Double)
    updated_by: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


__all__ = [
    "CheckpointRow",
    "CommitmentRow",
    "ConsequenceRow",
    "CreditRecordRow",
    "GradePriceRow",
    "InspectionRow",
    "LedgerEntryRow",
    "LedgerNodeRow",
    "PolicyRow",
    "RegulatorTaskRow",
    "SigningKeyRow",
    "TermRow",
    "TreeHeadRow",
    "VerdictRow",
]
