"""Persistence of the proxy-agent domain: profiles, assignment history, the agent's notes on the
代办清单, manual milestones, the alert inbox, joint meetings with decisions and actions.

The 代办清单 itself and the plan's milestones are not stored: they are derived on read from the
live plan (:mod:`agent_service.checklist`, :mod:`agent_service.milestones`).  Rows convert
explicitly to domain values in :mod:`agent_service.services`; no business rule lives here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from approvals.orm import TaskRow
from storage.base import Base, JSONDoc, UTCDateTime, utcnow

#: On the workflow's tasks, for the agents' daily scan: the tasks in review due by a day.
#: Without it SQLite answers ``status = 'in_review' AND due_on <= ?`` from the due-date index
#: alone and walks every decided task of the past.
Index("ix_tasks_status_due_on", TaskRow.status, TaskRow.due_on)


class AgentProfileRow(Base):
    """An agent's (代办员) working scope: the zones and industries they cover, their capacity.
    The person (name, phone, e-mail) is the linked ``users`` row of role ``agent``."""

    __tablename__ = "agent_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    regions: Mapped[list[str]] = mapped_column(JSONDoc)
    industries: Mapped[list[str]] = mapped_column(JSONDoc)
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    office: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AgentAssignmentRow(Base):
    """One change of a project's agent, with who decided it and why (the history is kept)."""

    __tablename__ = "agent_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    agent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    previous_agent_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # rule | manual
    reason_zh: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    assigned_on: Mapped[date] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(100))


class ChecklistNoteRow(Base):
    """The agent's note and tick-off on one entry of a project's 代办清单 (by entry key)."""

    __tablename__ = "agent_checklist_notes"
    __table_args__ = (UniqueConstraint("project_id", "entry_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    entry_key: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MilestoneRow(Base):
    """A milestone the agent set by hand (the plan's milestones are derived, not stored)."""

    __tablename__ = "agent_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date] = mapped_column(Date)
    met_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertRow(Base):
    """An entry of an agent's inbox: an item at risk, raised once per project, kind, subject and
    day by the daily scan; ``read_at`` is set when the agent has read it."""

    __tablename__ = "agent_alerts"
    __table_args__ = (
        # raised_on first: the same index serves the scan's and the digest's "this day" lookups
        UniqueConstraint("raised_on", "project_id", "kind", "subject"),
        Index("ix_agent_alerts_agent_user_id_raised_on", "agent_user_id", "raised_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # a log, like the audit trail: no foreign key (the daily scan writes thousands of rows at
    # once, and a key check per row was the larger part of that insert)
    project_id: Mapped[int] = mapped_column(Integer)
    agent_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(120))
    raised_on: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(10))  # warning | overdue
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MeetingRow(Base):
    """A joint meeting (联席会议) the agent convenes with the departments of a project.

    ``status``: ``scheduled`` until its minutes are recorded, then ``held``; a held meeting whose
    follow-up actions are all closed reads as ``closed`` (derived, not stored).
    """

    __tablename__ = "agent_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    minutes_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    convened_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendees: Mapped[list[MeetingAttendeeRow]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="MeetingAttendeeRow.department",
    )
    decisions: Mapped[list[MeetingDecisionRow]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="MeetingDecisionRow.position",
    )
    actions: Mapped[list[MeetingActionRow]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="MeetingActionRow.id"
    )


class MeetingAttendeeRow(Base):
    """A department attending a joint meeting, with the person it sends."""

    __tablename__ = "agent_meeting_attendees"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("agent_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    department: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)
    person: Mapped[str] = mapped_column(String(100), default="")

    meeting: Mapped[MeetingRow] = relationship(back_populates="attendees")


class MeetingDecisionRow(Base):
    """A decision (会议决定) recorded in a joint meeting's minutes."""

    __tablename__ = "agent_meeting_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("agent_meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    recorded_on: Mapped[date] = mapped_column(Date)

    meeting: Mapped[MeetingRow] = relationship(back_populates="decisions")


class MeetingActionRow(Base):
    """A follow-up action (跟进事项) of a joint meeting: owner, due date, tracked to closure."""

    __tablename__ = "agent_meeting_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("agent_meetings.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100))
    owner_department: Mapped[str | None] = mapped_column(
        ForeignKey("departments.code"), nullable=True
    )
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | closed
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    closing_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[MeetingRow] = relationship(back_populates="actions")
