"""Persistence of the approvals domain: departments, catalogue versions, calendar arrangements.

Rows convert explicitly to and from the domain values; no business rule lives here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage import versions
from storage.base import Base, JSONDoc, UTCDateTime, utcnow


class DepartmentRow(Base):
    """An approving department (审批部门)."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # contacts for the proxy agents (代办员): who to call, where to go
    contact_person: Mapped[str] = mapped_column(String(100), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    address: Mapped[str] = mapped_column(String(200), default="", server_default="")


class CatalogVersionRow(Base):
    """One loaded version of a catalogue (事项清单).  Exactly one version is active; projects
    keep the version they were filed under, so a new catalogue never rewrites an old plan."""

    __tablename__ = "catalog_versions"
    __table_args__ = (UniqueConstraint("code", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc, deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(100), default="")

    items: Mapped[list[CatalogItemRow]] = relationship(
        back_populates="catalog", cascade="all, delete-orphan"
    )


class CatalogItemRow(Base):
    """A queryable summary of an item of a catalogue version (the document is the source)."""

    __tablename__ = "catalog_items"

    catalog_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_versions.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    statutory_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    legal_basis: Mapped[str] = mapped_column(Text, default="")

    catalog: Mapped[CatalogVersionRow] = relationship(back_populates="items")


class CalendarArrangementRow(Base):
    """A year's holiday arrangement (节假日安排) loaded by an administrator."""

    __tablename__ = "calendar_arrangements"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text, default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(100), default="")


# --- the review workflow (并联审批) -----------------------------------------------------------


class EnterpriseRow(Base):
    """An enterprise that files projects (项目单位)."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectRow(Base):
    """A filed project (一窗受理): one form, one set of materials, one live plan."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 全国投资项目代码
    name: Mapped[str] = mapped_column(String(200))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"))
    plot_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDoc)  # answers to 一次告知
    regional_assessments: Mapped[list[Any]] = mapped_column(
        JSONDoc
    )  # declared when no plot is named
    form: Mapped[dict[str, Any]] = mapped_column(JSONDoc)  # 一表申请
    filed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="in_review", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    baseline: Mapped[dict[str, Any]] = mapped_column(JSONDoc, deferred=True)  # the plan at filing
    baseline_finish: Mapped[date] = mapped_column(Date)
    baseline_makespan: Mapped[int] = mapped_column(Integer)
    serial_workdays: Mapped[int] = mapped_column(Integer)
    predicted_finish: Mapped[date | None] = mapped_column(Date, nullable=True)
    # whose the predicted finish's delay is on both clocks (working days by cause: department,
    # enterprise, intermediary) and the finish planned on both clocks; see approvals.clock_forecast
    finish_delays: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, nullable=True)
    agent_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # efficiency statistics (效能统计), kept current by every decision (approvals.efficiency):
    # approval working days so far, the actual 赋码 / 施工许可 / 竣工验收 dates, and what each
    # planning mechanism saved at filing (working days off the finish)
    approval_workdays: Mapped[int | None] = mapped_column(Integer, nullable=True)
    coded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    permit_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    saved_waivers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    saved_early_starts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    saved_merges: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    saved_splits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: 行业 and 片区 as at filing (the answer ``industry``; the zone of the plot then), so the
    #: statistics filter projects on indexed columns and key the figures by them
    industry: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    zone_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative form

    enterprise: Mapped[EnterpriseRow] = relationship()
    steps: Mapped[list[StepRow]] = relationship(
        back_populates="project", order_by="StepRow.position"
    )


class ProjectRevisionRow(Base):
    """A project's revision (修订号): raised by database triggers in the same transaction as
    every change to the project's row, its steps, tasks, deferrals, plan changes and audit
    entries, or its enterprise's row (migration 0021) — never written by the code.  Answers built from those
    rows are kept per process under it (``api.answers``).  No row: revision 0."""

    __tablename__ = "project_revisions"

    project_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)


class StepRow(Base):
    """A node of the project's plan with its baseline, forecast and actual dates."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10))  # item | part | merged
    mode: Mapped[str] = mapped_column(String(12), default="review")  # review | commitment
    stage: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    departments: Mapped[list[str]] = mapped_column(JSONDoc)
    items: Mapped[list[str]] = mapped_column(JSONDoc)
    requires: Mapped[dict[str, int]] = mapped_column(JSONDoc)
    # the live forecast on both clocks: delay by cause (working days), the end planned on both
    # clocks (plan_ef) and the unfinished activity holding its start (waits_for)
    clock_delays: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting", index=True)
    baseline_es: Mapped[int] = mapped_column(Integer)
    baseline_ef: Mapped[int] = mapped_column(Integer)
    forecast_es: Mapped[int | None] = mapped_column(Integer, nullable=True)
    forecast_ef: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slack: Mapped[int | None] = mapped_column(Integer, nullable=True)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    actual_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_end: Mapped[date | None] = mapped_column(Date, nullable=True)

    project: Mapped[ProjectRow] = relationship(back_populates="steps")
    tasks: Mapped[list[TaskRow]] = relationship(back_populates="step", order_by="TaskRow.id")


class TaskRow(Base):
    """One department's work on a step (a merged review has one per member department)."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("step_id", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"), index=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting", index=True)
    days: Mapped[int] = mapped_column(Integer)
    ready_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    stopped_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    stopped_days: Mapped[int] = mapped_column(Integer, default=0)
    stop_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # efficiency statistics: the step's code and stage (so figures group without a join), the
    # working days the application waited for acceptance and, once decided, the approval
    # working days on the government's clock (approvals.efficiency)
    step_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    wait_workdays: Mapped[int | None] = mapped_column(Integer, nullable=True)
    workdays: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    step: Mapped[StepRow] = relationship(back_populates="tasks")
    deferrals: Mapped[list[DeferralRow]] = relationship(
        back_populates="task", order_by="DeferralRow.id"
    )


class _MonthlyFigureSums:
    """The sums one month's figures keep per key (both rollups: :class:`TaskFigureRow`,
    :class:`TaskFigureKindRow`)."""

    cases: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    waited: Mapped[int] = mapped_column(Integer, default=0)
    wait_total: Mapped[int] = mapped_column(Integer, default=0)
    stopped_tasks: Mapped[int] = mapped_column(Integer, default=0)
    stopped_total: Mapped[int] = mapped_column(Integer, default=0)
    corrected_tasks: Mapped[int] = mapped_column(Integer, default=0)
    correction_rounds: Mapped[int] = mapped_column(Integer, default=0)
    deferred_materials: Mapped[int] = mapped_column(Integer, default=0)
    deferral_days: Mapped[int] = mapped_column(Integer, default=0)
    step_id: Mapped[int] = mapped_column(Integer)  # one step of the item (its name and limit)


class TaskFigureRow(_MonthlyFigureSums, Base):
    """Decided tasks added up per month, item, department and approval working days (效能统计):
    what the statistics of whole months read instead of every task.  Each decision adds its
    task once (:func:`approvals.services.statistics.record_decision`); ``workdays`` is -1 for a
    task decided without acceptance (不予许可 at intake)."""

    __tablename__ = "task_figures"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month
    step_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    workdays: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class TaskFigureKindRow(_MonthlyFigureSums, Base):
    """The monthly figures once more, keyed also by the project's industry (行业) and zone (片区)
    as recorded at filing ('' for none): what the statistics read when an industry or a zone is
    asked for.  :class:`TaskFigureRow`, ten times smaller, answers every other query."""

    __tablename__ = "task_figures_kind"
    __table_args__ = (
        Index("ix_task_figures_kind_industry", "industry", "month"),
        Index("ix_task_figures_kind_zone", "zone_code", "month"),
    )

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    step_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    workdays: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    industry: Mapped[str] = mapped_column(String(100), primary_key=True)
    zone_code: Mapped[str] = mapped_column(String(64), primary_key=True)


class DeferralRow(Base):
    """A material accepted as missing (容缺受理) with its deadline."""

    __tablename__ = "deferrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    material_code: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    supplied_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    task: Mapped[TaskRow] = relationship(back_populates="deferrals")


class BlobRow(Base):
    """File content, stored once by its SHA-256 (一次采集、多方复用)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaterialRow(Base):
    """A material of a project's one set; the latest upload of a code is the current one."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class CertificateRow(Base):
    """A certificate (电子证照) issued by an approved step; later steps receive it automatically.

    ``number`` is unique and printed with a QR code to the public verification page;
    ``content_sha256`` is the hash of the certificate's facts as issued (see
    :func:`approvals.services.certificates.certificate_facts`); ``status`` is ``valid`` or
    ``revoked``."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        UniqueConstraint("number", name="uq_certificates_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    item_code: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(64))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id"), nullable=True, index=True
    )
    content_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default="valid", server_default="valid")
    revoked_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class CounterDocumentRow(Base):
    """A numbered document the counter hands out for a task (受理回执, 一次性告知书, 补正通知书,
    不予受理决定书), registered the first time it is printed so that its number verifies."""

    __tablename__ = "counter_documents"
    __table_args__ = (
        UniqueConstraint("number", name="uq_counter_documents_number"),
        UniqueConstraint("task_id", "kind", "correction_id", name="uq_counter_documents_subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    #: the correction request a 补正通知书 states (0 for the other kinds, so the key is unique)
    correction_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    issued_on: Mapped[date] = mapped_column(Date)
    content_sha256: Mapped[str] = mapped_column(String(64))
    #: what the document states, as first printed (every reprint shows the same)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CorrectionRow(Base):
    """A request for corrections (补正), told once with every material concerned."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_on: Mapped[date] = mapped_column(Date)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(100))
    reasons: Mapped[str] = mapped_column(Text)
    material_codes: Mapped[list[str]] = mapped_column(JSONDoc)
    resolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: ``review`` (补正 during review) or ``intake`` (一次性告知补正 before acceptance)
    stage: Mapped[str] = mapped_column(String(10), default="review", server_default="review")


class EscalationRow(Base):
    """A task that reached warning or overdue (督办), recorded once per level."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("task_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(10))  # warning | overdue
    raised_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanChangeRow(Base):
    """A change of a step's forecast, with its reason (as the Permitting Dashboard publishes)."""

    __tablename__ = "plan_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    step_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    old_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    new_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    old_finish: Mapped[date | None] = mapped_column(Date, nullable=True)
    new_finish: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason_zh: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)


class RatingRow(Base):
    """好差评: the enterprise's rating of a completed step (1 非常不满意 … 5 非常满意)."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("project_id", "step_code"),
        # covering the statistics' grouping of a period's ratings (no row is read)
        Index(
            "ix_ratings_decided_on",
            "decided_on",
            "project_id",
            "step_code",
            "department_key",
            "score",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    step_code: Mapped[str] = mapped_column(String(64))
    departments: Mapped[list[str]] = mapped_column(JSONDoc)
    #: the departments as text ("zjj" or "zjj,rfb"), so the statistics group ratings cheaply
    department_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[str] = mapped_column(String(100))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the day the rated step was decided (its last task's decision): the statistics count a
    #: rating in the period of the decision it rates, not of the day it was given
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # 差评整改回访: a bad rating (1–2) is followed up by the department or the centre
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    follow_up_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    follow_up_note: Mapped[str] = mapped_column(Text, default="", server_default="")


# --- the enterprise's clock and intermediaries (企业自身用时、中介服务) --------------------------


class IntermediaryRow(Base):
    """A registered intermediary organisation (中介机构): the services it may provide (activity
    codes of the catalogue) with the working days it commits to for each."""

    __tablename__ = "intermediaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: activity code → committed working days (承诺时限)
    services: Mapped[dict[str, int]] = mapped_column(JSONDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectActivityRow(Base):
    """An enterprise's or intermediary's activity of a filed project (方案设计, 施工, 报告编制), on
    its own clock: planned at filing on the two-clock plan, its progress reported by its owner.
    Apart from the steps and tasks, so no department's worklist, capacity or count sees it."""

    __tablename__ = "project_activities"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    owner: Mapped[str] = mapped_column(String(12))  # enterprise | intermediary
    unit: Mapped[str] = mapped_column(String(14))  # calendar_days | workdays
    days: Mapped[int] = mapped_column(Integer)
    stage: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    actual_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    actual_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    # an intermediary activity: the organisation chosen in the 中介超市, its committed days
    intermediary_id: Mapped[int | None] = mapped_column(
        ForeignKey("intermediaries.id"), nullable=True, index=True
    )
    chosen_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    committed_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report_material_id: Mapped[int | None] = mapped_column(
        ForeignKey("materials.id"), nullable=True
    )
    # the enterprise's rating of the delivered service (1 非常不满意 … 5 非常满意)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    # the two-clock graph around it: its prerequisites (steps or activities, with leads) and the
    # review steps that wait for it; None for rows stored before they were kept (backfill)
    requires: Mapped[dict[str, int] | None] = mapped_column(JSONDoc, nullable=True)
    required_by: Mapped[dict[str, int] | None] = mapped_column(JSONDoc, nullable=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    intermediary: Mapped[IntermediaryRow | None] = relationship()


class ActivitySupervisionRow(Base):
    """督办 of an intermediary past its committed days and not delivered, recorded once per
    activity and level (``overdue``; ``overdue_5``: five working days or more past)."""

    __tablename__ = "activity_supervisions"
    __table_args__ = (UniqueConstraint("activity_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("project_activities.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    intermediary_id: Mapped[int | None] = mapped_column(
        ForeignKey("intermediaries.id"), nullable=True, index=True
    )
    level: Mapped[str] = mapped_column(String(12))
    raised_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    overdue_workdays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- department capacity (审查人员与请假) and capacity-aware forecasts ---------------------------


class DepartmentCapacityRow(Base):
    """How many reviewers a department has per working day (审查人员数)."""

    __tablename__ = "department_capacity"

    department: Mapped[str] = mapped_column(
        ForeignKey("departments.code", ondelete="CASCADE"), primary_key=True
    )
    reviewers: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DepartmentAbsenceRow(Base):
    """Reviewers of a department absent on a day (请假、培训、借调)."""

    __tablename__ = "department_absences"
    __table_args__ = (UniqueConstraint("department", "on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(
        ForeignKey("departments.code", ondelete="CASCADE"), index=True
    )
    on: Mapped[date] = mapped_column(Date)
    absent: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")


class CapacityRunRow(Base):
    """One computation of the capacity-aware forecast (full or incremental)."""

    __tablename__ = "capacity_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    tasks: Mapped[int] = mapped_column(Integer)
    projects: Mapped[int] = mapped_column(Integer)
    objective: Mapped[float] = mapped_column(Float)
    lower_bound: Mapped[float | None] = mapped_column(Float, nullable=True)
    seconds: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")


class TaskForecastRow(Base):
    """A task's predicted start and finish under department capacity, and its place in its
    department's queue (the order in which to take the work)."""

    __tablename__ = "task_forecasts"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_runs.id", ondelete="CASCADE"), index=True
    )
    start_on: Mapped[date] = mapped_column(Date)
    finish_on: Mapped[date] = mapped_column(Date)
    start_day: Mapped[int] = mapped_column(Integer)
    queue_rank: Mapped[int] = mapped_column(Integer)


class ProjectForecastRow(Base):
    """A project's predicted finish under department capacity."""

    __tablename__ = "project_forecasts"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_runs.id", ondelete="CASCADE"), index=True
    )
    finish_on: Mapped[date] = mapped_column(Date)


# a stored catalogue, a loaded holiday arrangement or an edited department changes the cache
# version, so every process drops what it cached of them (storage.versions); registered with
# the rows, so every writer of them has it
versions.watch(
    CatalogVersionRow.__tablename__,
    CalendarArrangementRow.__tablename__,
    DepartmentRow.__tablename__,
)
