"""The audit trail: every action (who, when, what, before and after), append-only.

The table refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL) at the database itself: triggers
created by migration 0002 on both backends, so not even a bug in this code can rewrite history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base, JSONDoc, UTCDateTime, utcnow


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, nullable=True)


def record(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    entity: str,
    entity_id: object,
    project_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRow:
    """Append one entry to the audit trail (in the caller's transaction)."""
    row = AuditRow(
        actor=actor,
        role=role,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        project_id=project_id,
        before=before,
        after=after,
    )
    session.add(row)
    return row
