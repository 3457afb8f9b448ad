"""The background jobs' bodies on a real database (SQLite and PostgreSQL): the day's run happens
once per day, a run left half-done by a dead worker is finished by the next attempt without
duplicates, final failures stay visible, failed logins are counted in the database."""

from __future__ import annotations

import time
from datetime import date
from types import SimpleNamespace

import pytest
from litestar.exceptions import TooManyRequestsException
from sqlalchemy import func, select

from agent_service.orm import AlertRow
from api.clock import Clock
from api.jobs import work
from api.jobs.inline import InlineJobs
from api.jobs.status import job_status
from api.ratelimit import LoginLimiter
from approvals.services import review
from storage.engine import begin_write, make_session_factory
from storage.jobs import JobRunRow
from tests.integration.agents_support import MON, file, make_world, reviewer, task, upload

TUE, WED = date(2026, 3, 3), date(2026, 3, 4)


def _alerts(session, day: date) -> list[tuple[int, str, str]]:
    return [
        tuple(r)
        for r in session.execute(
            select(AlertRow.project_id, AlertRow.kind, AlertRow.subject).where(
                AlertRow.raised_on == day
            )
        )
    ]


def _late_project(session):
    """A project whose filing review is one day late on Tuesday (an alert to raise)."""
    w = make_world(session)
    p = file(session, w)
    upload(session, w, p, "M-form", MON)
    review.accept_task(session, reviewer(w, "fgw"), task(session, p, "A").id, MON, w.cal)
    session.commit()
    return p


def test_daily_run_once_per_day_and_finished_after_a_dead_worker(engine, session):
    p = _late_project(session)
    sessions = make_session_factory(engine, write=True)

    result = work.run_daily(sessions, TUE)
    assert result is not None and result["alerts"]["new"] == 1 and result["digests"] >= 1
    assert work.run_daily(sessions, TUE) is None  # the same day again: nothing runs
    session.rollback()  # a new snapshot
    assert _alerts(session, TUE) == [(p.id, "task_overdue", f"task:{task(session, p, 'A').id}")]
    run = session.scalar(select(JobRunRow).where(JobRunRow.run_key == TUE.isoformat()))
    assert (run.name, run.status, run.attempts, run.worker) == (
        "daily",
        "done",
        1,
        work.worker_name(),
    )

    # Wednesday: a worker claimed the run, raised the alerts and died before marking it done
    steps = work.daily_steps(sessions, WED)
    assert steps["alerts"]["new"] >= 1
    with sessions() as s:
        begin_write(s)
        s.add(
            JobRunRow(
                name="daily",
                run_key=WED.isoformat(),
                status="started",
                attempts=1,
                worker="dead-host:1",
            )
        )
        s.commit()
    session.rollback()
    before = _alerts(session, WED)
    again = work.run_daily(sessions, WED)  # the retry takes the run over and finishes it
    assert again is not None and again["alerts"]["new"] == 0  # nothing raised twice
    session.rollback()  # a new snapshot
    assert sorted(_alerts(session, WED)) == sorted(before)
    run = session.scalar(select(JobRunRow).where(JobRunRow.run_key == WED.isoformat()))
    assert (run.status, run.attempts, run.worker) == ("done", 2, work.worker_name())


def test_final_failure_is_kept_for_the_administrator(engine, session, db_url):
    sessions = make_session_factory(engine, write=True)
    work.record_failure(sessions, "daily", "2026-03-05", "Traceback …\nOperationalError: gone", 5)
    work.run_daily(sessions, TUE)
    status = job_status(session, db_url)
    assert status["backend"] == ("inline" if db_url.startswith("sqlite") else "procrastinate")
    assert status["failed"] == 1
    first = status["runs"][0]  # failures first
    assert (first["status"], first["run_key"], first["attempts"]) == ("failed", "2026-03-05", 5)
    assert first["error"].endswith("OperationalError: gone")
    # a later success of the same run replaces the failure
    assert work.run_daily(sessions, date(2026, 3, 5)) is not None
    session.rollback()  # a new snapshot
    assert job_status(session, db_url)["failed"] == 0


def test_the_queue_records_a_final_failure_only_after_the_last_attempt(engine, session):
    from api.jobs.queue import RETRY, _final_failure

    # what the worker's tasks see: their runtime's sessions, procrastinate's job context
    runtime = SimpleNamespace(sessions=make_session_factory(engine, write=True))
    for attempts_before in range(RETRY.max_attempts - 1):
        ctx = SimpleNamespace(job=SimpleNamespace(attempts=attempts_before, id=7))
        _final_failure(runtime, ctx, "onetrip.daily", "2026-03-06", RuntimeError("down"))
    assert session.scalar(select(func.count()).select_from(JobRunRow)) == 0  # will be retried
    ctx = SimpleNamespace(job=SimpleNamespace(attempts=RETRY.max_attempts - 1, id=7))
    _final_failure(runtime, ctx, "onetrip.daily", "2026-03-06", RuntimeError("down"))
    session.rollback()  # a new snapshot
    row = session.scalar(select(JobRunRow))
    assert (row.status, row.attempts) == ("failed", RETRY.max_attempts)
    assert "RuntimeError: down" in row.error


def test_failed_logins_are_counted_in_the_database_for_every_server(engine):
    # two limiters stand for two servers: guesses spread over both still add up
    a = LoginLimiter(make_session_factory(engine, write=True), max_failures=3, window=60)
    b = LoginLimiter(make_session_factory(engine, write=True), max_failures=3, window=60)
    key = "127.0.0.1|enterprise1"
    a.failed(key)
    b.failed(key)
    a.check(key)
    b.failed(key)
    with pytest.raises(TooManyRequestsException) as refused:
        a.check(key)
    assert int(refused.value.headers["Retry-After"]) >= 1
    b.check("127.0.0.1|someone-else")  # other keys are not affected
    b.succeeded(key)
    a.check(key)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_inline_runner_does_the_days_run_in_the_server(engine, session):
    _late_project(session)
    jobs = InlineJobs(
        make_session_factory(engine, write=True),
        Clock(TUE),
        daily_at="00:00",
        interval=0.1,
        debounce=0.0,
    )
    jobs.start()
    try:
        assert jobs.reachable()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            session.rollback()  # a new snapshot
            if (
                session.scalar(select(JobRunRow.status).where(JobRunRow.run_key == "2026-03-03"))
                == "done"
            ):
                break
            time.sleep(0.1)
    finally:
        jobs.close()
    assert not jobs.reachable()
    assert session.scalar(select(func.count()).select_from(AlertRow)) == 1
