"""Background and scheduled work (后台与定时任务): what runs it, and where.

* :mod:`api.jobs.work` — the job bodies (capacity refresh, the day's run), engine-agnostic and
  idempotent;
* :mod:`api.jobs.queue` — PostgreSQL: procrastinate; servers only defer, ``onetrip worker``
  processes (any number, any machine) run the jobs, the schedules and the retries;
* :mod:`api.jobs.inline` — SQLite, the embedded default: the same bodies in a thread of
  ``onetrip serve``, so the demo and a single-machine install need nothing else.

``ONETRIP_JOBS`` chooses (``auto``: the queue on PostgreSQL, inline on SQLite).
"""

from __future__ import annotations

from typing import Any, Protocol

from storage.engine import is_sqlite

BACKENDS = ("auto", "inline", "queue")


class ServerJobs(Protocol):
    """What a server process needs of the job engine."""

    backend: str

    def start(self) -> None: ...

    def close(self) -> None: ...

    def capacity_pending(self) -> None: ...

    def reachable(self) -> bool: ...

    def depth(self) -> dict[str, int]: ...


def resolve_backend(choice: str, database_url: str) -> str:
    """``inline`` or ``queue`` for a setting and a database."""
    if choice not in BACKENDS:
        raise ValueError(
            f"ONETRIP_JOBS={choice!r}：应为 auto、inline 或 queue / expected auto, inline or queue"
        )
    if choice == "auto":
        return "inline" if is_sqlite(database_url) else "queue"
    if choice == "queue" and is_sqlite(database_url):
        raise ValueError(
            "ONETRIP_JOBS=queue 需要 PostgreSQL（SQLite 上后台任务在服务进程内运行）/ "
            "the job queue needs PostgreSQL (on SQLite jobs run inside the server)"
        )
    return choice


def server_jobs(settings: Any, write_sessions: Any, clock: Any) -> ServerJobs:
    """The job engine of a server process, from the settings (the composition root calls it)."""
    if resolve_backend(settings.jobs, settings.database_url) == "queue":
        from api.jobs.queue import QueueJobs

        return QueueJobs(settings.database_url)
    from api.jobs.inline import InlineJobs

    return InlineJobs(
        write_sessions,
        clock,
        daily_at=settings.daily_at or "06:00",
        run_daily=settings.daily_at is not None,
    )
