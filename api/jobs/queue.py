"""The PostgreSQL job queue (procrastinate): tasks, schedules, retries, and the server's deferrer.

Workers (``onetrip worker``) are separate processes; any number of them, on any machine, share
the queue in the database.  procrastinate gives what several machines need:

* a job is fetched by exactly one worker (``FOR UPDATE SKIP LOCKED``);
* ``queueing_lock`` keeps at most one waiting capacity refresh, so a burst of decisions
  collapses into one recompute; ``lock`` runs daily runs one at a time;
* periodic jobs are deferred once per tick across all workers (``procrastinate_periodic_defers``
  is unique per task and timestamp), so the day's run is deferred once however many workers run;
* failures are retried with exponential backoff; the final failure is recorded in ``job_runs``
  for the administrator (``onetrip jobs status``, ``GET /api/admin/jobs``);
* a worker killed in the middle of a job stops sending heartbeats; the ``retry-stalled``
  periodic job of the surviving workers puts its job back in the queue.

Times: cron expressions are croniter's (a sixth field is the *seconds*, last) and in UTC (procrastinate evaluates them on epoch timestamps); the daily
run's time is configured in China time (``ONETRIP_DAILY_AT``, default 06:00) and converted here.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime
from typing import Any

import procrastinate
from sqlalchemy.engine import make_url

from api.clock import CHINA
from api.jobs import work

log = logging.getLogger("onetrip.jobs")

QUEUE = "onetrip"
CAPACITY_TASK = "onetrip.capacity_refresh"
DAILY_TASK = "onetrip.daily"
PING_TASK = "onetrip.ping"
#: Locks and queueing locks are stored with each job when it is deferred, so every deferrer
#: (a server, the CLI, the periodic tick) must pass them: a task's defaults are known only to
#: the worker's app.
DAILY_LOCK = "daily"
CAPACITY_QUEUEING_LOCK = "capacity"
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=3)


def conninfo(database_url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL (``postgresql+psycopg://…``)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def daily_cron(at: str) -> str:
    """The UTC cron expression of a daily time given in China time (``HH:MM``)."""
    hour, minute = (int(x) for x in at.split(":"))
    utc = datetime(2026, 1, 2, hour, minute, tzinfo=CHINA).astimezone(UTC)
    return f"{utc.minute} {utc.hour} * * *"


def china_day(timestamp: float) -> Any:
    return datetime.fromtimestamp(timestamp, CHINA).date()


def daily_task(app: procrastinate.App) -> Any:
    """The day's run, ready to defer: locked (one runs at a time), retried, keyed by the day."""
    return app.configure_task(DAILY_TASK, queue=QUEUE, lock=DAILY_LOCK)


class Runtime:
    """What the tasks of one worker process use: its own engine and writer sessions."""

    def __init__(self, database_url: str, clock: Any) -> None:
        from storage.engine import make_engine, make_session_factory

        self.engine = make_engine(database_url)
        self.sessions = make_session_factory(self.engine, write=True)
        self.clock = clock


def _final_failure(runtime: Runtime, context: Any, name: str, key: str, exc: BaseException) -> None:
    attempts = context.job.attempts + 1  # procrastinate counts the attempts before this one
    if attempts >= (RETRY.max_attempts or 1):
        error = "".join(traceback.format_exception(exc))
        try:
            work.record_failure(runtime.sessions, name, key, error, attempts)
        except Exception:  # the database itself is down: the log is all we have
            log.exception("could not record the failure of %s %s", name, key)
    log.warning("job %s %s failed (attempt %d)", name, key, attempts, exc_info=exc)


def build_worker_app(
    database_url: str,
    clock: Any,
    *,
    daily_at: str | None = "06:00",
    stalled_after: float = 30.0,
) -> procrastinate.App:
    """The worker's app: every task and periodic job, on an async psycopg pool."""
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )
    runtime = Runtime(database_url, clock)

    @app.task(
        name=CAPACITY_TASK,
        queue=QUEUE,
        retry=RETRY,
        pass_context=True,
        queueing_lock=CAPACITY_QUEUEING_LOCK,
    )
    def capacity_refresh(context: Any) -> bool:
        try:
            return work.refresh_capacity(runtime.sessions, runtime.clock.today())
        except Exception as exc:
            _final_failure(runtime, context, CAPACITY_TASK, f"job-{context.job.id}", exc)
            raise

    @app.periodic(cron="* * * * * */30", periodic_id="capacity-sweep")
    @app.task(name="onetrip.capacity_sweep", queue=QUEUE, queueing_lock="capacity-sweep")
    def capacity_sweep(timestamp: int) -> bool:
        # events whose deferral was lost (the queue was unreachable) are picked up here
        return work.refresh_capacity(runtime.sessions, runtime.clock.today())

    @app.task(name=DAILY_TASK, queue=QUEUE, retry=RETRY, pass_context=True, lock=DAILY_LOCK)
    def daily(context: Any, day: str | None = None) -> Any:
        on = datetime.fromisoformat(day).date() if day else runtime.clock.today()
        try:
            return work.run_daily(runtime.sessions, on)
        except Exception as exc:
            _final_failure(runtime, context, work.DAILY, on.isoformat(), exc)
            raise

    @app.task(name="onetrip.daily_tick", queue=QUEUE, pass_context=True)
    async def daily_tick(context: Any, timestamp: int) -> None:
        # the periodic tick is deferred once per day across workers; the run itself is the
        # retried, locked ``daily`` task keyed by the China date of the tick
        await daily_task(app).defer_async(day=china_day(timestamp).isoformat())

    if daily_at is not None:  # ONETRIP_DAILY_AT=off: the day's run only on demand
        app.periodic(cron=daily_cron(daily_at), periodic_id="daily")(daily_tick)

    @app.task(name=PING_TASK, queue=QUEUE)
    def ping() -> str:
        # ``onetrip jobs ping``: a worker is consuming the queue (and which one)
        return work.worker_name()

    @app.periodic(cron="* * * * * */5", periodic_id="retry-stalled")
    @app.task(
        name="onetrip.retry_stalled", queue=QUEUE, queueing_lock="retry-stalled", pass_context=True
    )
    async def retry_stalled(context: Any, timestamp: int) -> int:
        stalled = await context.app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=stalled_after
        )
        n = 0
        for job in stalled:
            if job.task_name == "onetrip.retry_stalled":
                continue
            await context.app.job_manager.retry_job(job)
            log.warning("job %s (%s) of a dead worker put back in the queue", job.id, job.task_name)
            n += 1
        return n

    return app


class QueueJobs:
    """The server's side of the queue: it only defers (no thread, no state of its own)."""

    backend = "procrastinate"

    def __init__(self, database_url: str) -> None:
        self.app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo(database_url))
        )
        self.opened = False

    def start(self) -> None:
        self.app.open()
        self.opened = True

    def close(self) -> None:
        if self.opened:
            self.app.close()
            self.opened = False

    def capacity_pending(self) -> None:
        """A capacity event was committed: make sure one refresh waits in the queue."""
        try:
            self.app.configure_task(
                CAPACITY_TASK, queueing_lock=CAPACITY_QUEUEING_LOCK, queue=QUEUE
            ).defer()
        except procrastinate.exceptions.AlreadyEnqueued:
            pass  # one is waiting already: it will see this event too
        except Exception:  # the sweep every 30 s catches what could not be deferred
            log.warning("could not defer the capacity refresh", exc_info=True)

    def defer_daily(self, day: str) -> int:
        return daily_task(self.app).defer(day=day)

    def ping(self, timeout: float = 10.0) -> tuple[bool, float]:
        """Defer a ping and wait until a worker has run it: (answered, seconds).

        Workers delete a job once it succeeded, so a ping that is gone has been answered.
        """
        import time

        started = time.monotonic()
        job_id = self.app.configure_task(PING_TASK, queue=QUEUE).defer()
        while time.monotonic() - started < timeout:
            jobs = self.app.job_manager.list_jobs(id=job_id)
            if not jobs or jobs[0].status == "succeeded":
                return True, time.monotonic() - started
            if jobs[0].status in {"failed", "cancelled", "aborted"}:
                return False, time.monotonic() - started
            time.sleep(0.05)
        # nobody took it: don't leave it for a worker that starts next week
        self.app.job_manager.cancel_job_by_id(job_id, delete_job=True)
        return False, time.monotonic() - started

    def depth(self) -> dict[str, int]:
        """Jobs per status in the queue (for /ready, /metrics and the administrator)."""
        counts = dict.fromkeys(("todo", "doing", "succeeded", "failed", "cancelled", "aborted"), 0)
        for q in self.app.job_manager.list_queues():
            for status in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
                counts[status] += int(q.get(status) or 0)
        return counts

    def reachable(self) -> bool:
        try:
            return bool(self.app.check_connection())
        except Exception:
            return False
