"""The state of the background jobs, for the administrator (CLI, API, page) and for probes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.jobs import JobRunRow


def recent_runs(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest runs, failures first (a failure stays until someone looks)."""
    rows = session.scalars(
        select(JobRunRow).order_by((JobRunRow.status != "failed"), JobRunRow.id.desc()).limit(limit)
    ).all()
    return [
        {
            "name": r.name,
            "run_key": r.run_key,
            "status": r.status,
            "attempts": r.attempts,
            "worker": r.worker,
            "result": r.result,
            "error": r.error,
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
        }
        for r in rows
    ]


def queue_depth(database_url: str) -> dict[str, int] | None:
    """Jobs per status in the PostgreSQL queue; None on SQLite (no queue)."""
    from storage.engine import is_sqlite

    if is_sqlite(database_url):
        return None
    from api.jobs.queue import QueueJobs

    jobs = QueueJobs(database_url)
    jobs.start()
    try:
        return jobs.depth()
    finally:
        jobs.close()


def job_status(
    session: Session, database_url: str, choice: str = "auto", jobs: Any = None
) -> dict[str, Any]:
    """Engine, queue depth (from the running ``jobs`` when given) and recent runs."""
    from api.jobs import resolve_backend

    backend = resolve_backend(choice, database_url)
    if jobs is not None:
        depth = jobs.depth() if backend == "queue" else None
    else:
        depth = queue_depth(database_url) if backend == "queue" else None
    runs = recent_runs(session)
    return {
        "backend": "procrastinate" if backend == "queue" else "inline",
        "queue": depth,
        "failed": sum(1 for r in runs if r["status"] == "failed"),
        "runs": runs,
    }
