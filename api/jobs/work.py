"""The bodies of the background jobs, the same whichever engine runs them.

* :func:`refresh_capacity` — after a burst of workflow decisions, recompute the capacity forecast
  once for all the pending events (审查能力预测);
* :func:`run_daily` — the day's run (每日定时任务): the agents' alert scan (风险巡检) and digest
  counts, the in-app notices of deadlines near (时限临近, once per task and due day), the
  督办 of intermediaries past their committed days (once per activity and level) and the
  forecasts that follow the enterprise's and intermediaries' activities (两个时钟), the
  commitments' checkpoint monitoring (到期检查、逾期判定), the daily full capacity recompute, and
  sealing the ledger (签署树头).

Each function opens its own short transactions from a writer-session factory and is idempotent:
a retry after a crash or a ``kill -9`` repeats nothing that was committed.  ``run_daily`` runs
once per day: its ``(name, day)`` row in ``job_runs`` is claimed first and marked done last, and
every step is idempotent by itself (alerts are unique per project, kind, subject and day; the
monitor creates a checkpoint's task once), so a run that dies half-way is finished by the next
attempt without duplicates.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.engine import begin_write, is_sqlite
from storage.jobs import JobRunRow

log = logging.getLogger("onetrip.jobs")

SessionFactory = Callable[[], Session]

DAILY = "daily"
#: Key of the advisory lock that makes PostgreSQL capacity recomputes take turns.
CAPACITY_LOCK = 0x6F6E_6361


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _take_capacity_lock(session: Session) -> None:
    """PostgreSQL: capacity recomputes of several workers take turns (SQLite has one writer)."""
    if not is_sqlite(str(session.get_bind().url)):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CAPACITY_LOCK})


def refresh_capacity(sessions: SessionFactory, today: date) -> bool:
    """Recompute the capacity forecast if any event is pending; True when it did."""
    from approvals.service import work_calendar
    from approvals.services import capacity as cs

    with sessions() as session:
        if not cs.is_pending(session):
            return False
        session.rollback()
        begin_write(session)
        _take_capacity_lock(session)
        run = cs.refresh_pending(session, today, work_calendar(session))
        session.commit()
        return run is not None


def claim(sessions: SessionFactory, name: str, key: str) -> JobRunRow | None:
    """Start the run ``(name, key)``; None when it is already done (nothing to do).

    A run found started or failed is taken over (its worker died, or this is a retry)."""
    worker = worker_name()
    with sessions() as session:
        begin_write(session)
        row = session.scalar(
            select(JobRunRow).where(JobRunRow.name == name, JobRunRow.run_key == key)
        )
        if row is None:
            row = JobRunRow(name=name, run_key=key, status="started", attempts=1, worker=worker)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # another worker claimed it at the same moment
                session.rollback()
                return None
            return row
        if row.status == "done":
            return None
        row.status, row.attempts, row.worker, row.error = "started", row.attempts + 1, worker, None
        session.commit()
        return row


def finish(
    sessions: SessionFactory,
    name: str,
    key: str,
    *,
    result: Any = None,
    error: str | None = None,
    final: bool = True,
) -> None:
    """Record the end of a run: done with its result, or its error (failed when ``final``)."""
    with sessions() as session:
        begin_write(session)
        values: dict[str, Any] = {"finished_at": datetime.now(UTC)}
        if error is None:
            values.update(status="done", result=result, error=None)
        else:
            values.update(status="failed" if final else "started", error=error[-4000:])
        session.execute(
            update(JobRunRow)
            .where(JobRunRow.name == name, JobRunRow.run_key == key)
            .values(**values)
        )
        session.commit()


def record_failure(
    sessions: SessionFactory, name: str, key: str, error: str, attempts: int
) -> None:
    """A job (of any kind) failed for the last time: keep it for the administrator."""
    with sessions() as session:
        begin_write(session)
        row = session.scalar(
            select(JobRunRow).where(JobRunRow.name == name, JobRunRow.run_key == key)
        )
        if row is None:
            row = JobRunRow(name=name, run_key=key, worker=worker_name())
            session.add(row)
        row.status, row.attempts, row.error = "failed", attempts, error[-4000:]
        row.finished_at = datetime.now(UTC)
        session.commit()


def run_daily(sessions: SessionFactory, day: date) -> dict[str, Any] | None:
    """The day's run, once per day (None when it was already done)."""
    key = day.isoformat()
    if claim(sessions, DAILY, key) is None:
        return None
    result = daily_steps(sessions, day)
    finish(sessions, DAILY, key, result=result)
    log.info("daily run %s done: %s", key, result)
    return result


def daily_steps(sessions: SessionFactory, day: date) -> dict[str, Any]:
    """The steps of the day's run, each its own transaction, each idempotent."""
    from agent_service.services.alert_scan import scan_alerts
    from agent_service.services.digest import digest
    from api.agent_ports import AGENT_CHECKPOINTS
    from approvals.service import work_calendar
    from approvals.services import capacity as cs
    from approvals.services import intermediaries, notices
    from commitments.services import ledger_store as ledger_store_service
    from commitments.services import monitoring as monitoring_service

    out: dict[str, Any] = {"day": day.isoformat()}
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = round(now - clock, 3)
        clock = now

    with sessions() as session:
        calendar = work_calendar(session)
        scan = scan_alerts(session, day, calendar, checkpoints=AGENT_CHECKPOINTS)
        session.commit()
        out["alerts"] = {"projects": scan.projects, "at_risk": scan.at_risk, "new": scan.new}
    lap("alerts")
    with sessions() as session:
        begin_write(session)
        out["deadline_notices"] = notices.deadlines_near(session, day, work_calendar(session))
        session.commit()
    lap("deadline_notices")
    with sessions() as session:
        begin_write(session)
        calendar = work_calendar(session)
        raised = intermediaries.supervise_overdue(session, day, calendar)
        followed = intermediaries.follow_open_activities(session, day, calendar)
        session.commit()
        out["activities"] = {"supervised": len(raised), "replanned": followed}
    lap("activities")
    with sessions() as session:
        report = monitoring_service.run_monitor(session, day, work_calendar(session))
        session.commit()
        out["monitor"] = {
            "tasks": len(report.tasks),
            "overdue": len(report.overdue),
            "rescheduled": len(report.rescheduled),
        }
    lap("monitor")
    with sessions() as session:
        begin_write(session)
        _take_capacity_lock(session)
        run = cs.recompute(session, day, work_calendar(session), full=True, reason="daily")
        session.commit()
        out["capacity"] = {"method": run.method, "tasks": run.tasks}
    lap("capacity")
    with sessions() as session:
        begin_write(session)
        head = ledger_store_service.seal(session)
        session.commit()
        out["ledger"] = {"sealed": head.tree_size if head is not None else None}
    lap("ledger")
    with sessions() as session:
        digests = digest(session, day, work_calendar(session), checkpoints=AGENT_CHECKPOINTS)
        out["digests"] = len(digests)
    lap("digests")
    out["seconds"] = seconds  # per step, for the administrator and the bench
    return out
