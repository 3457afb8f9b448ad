"""What the background jobs did: one row per run of a named job and key (per-day idempotency,
and the administrator's view of failures).

The job queue (procrastinate on PostgreSQL, an in-process runner on SQLite) decides *when* a job
runs and retries it; this table records *that* it ran: ``(name, run_key)`` is unique, so the
daily run of a day happens once however many workers or retries reach it, and a job's final
failure stays here, with its error, until someone looks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONDoc, UTCDateTime, utcnow

#: Statuses of a run: started (a worker holds it), done, failed (final: retries exhausted).
RUN_STATUSES = ("started", "done", "failed")


class JobRunRow(Base):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("name", "run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(60))
    run_key: Mapped[str] = mapped_column(String(60))  # e.g. the day of a daily job
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(120), default="")
    result: Mapped[Any] = mapped_column(JSONDoc, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
