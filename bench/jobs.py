"""The job engine with 1 and 2 worker processes on PostgreSQL (issue 13): jobs/s, and the day's
run over 10,000 active projects.

The database is filled in bulk as in ``bench/alerts.py`` (10,000 projects at different points of
their plans, some late, 50 agents).  Then, for 1 and then 2 ``onetrip worker`` processes
(separate processes, ``--concurrency 2`` each, as deployed):

* **jobs/s**: ``--pings`` ``onetrip.ping`` jobs (the smallest real task: a worker answers) are
  deferred in one batch; the time until the last has run is the engine's own throughput
  (fetch with ``FOR UPDATE SKIP LOCKED``, run, delete);
* **the day's run** (``onetrip.daily``: alert scan, checkpoint monitoring, full capacity
  recompute, ledger seal, digests) deferred for the bench day, timed from the defer to its
  ``job_runs`` row marked done, with the steps' own times;
* the same day's run asked for again: it must do nothing (once per day) — printed as a check.

    python bench/jobs.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs
    python bench/jobs.py --db … --reuse        # skip the fill (a database of an earlier run)

Figures and the machine load go to bench/README.md ("Job engine (issue 13)").
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import delete, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent_service.orm import AlertRow  # noqa: E402
from api.jobs.queue import PING_TASK, QUEUE, QueueJobs  # noqa: E402
from bench.alerts import TODAY, fill, fresh_database  # noqa: E402
from storage.engine import is_sqlite, make_engine, make_session_factory  # noqa: E402
from storage.jobs import JobRunRow  # noqa: E402


def start_workers(n: int, url: str, logs: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ONETRIP_TODAY": TODAY.isoformat(),
        "ONETRIP_DAILY_AT": "off",
        "ONETRIP_LOG_LEVEL": "WARNING",
    }
    procs = []
    for i in range(n):
        log = (logs / f"worker-{n}-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "api.cli",
                    "worker",
                    "--concurrency",
                    "2",
                    "--heartbeat",
                    "2",
                    "--stalled-after",
                    "10",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        )
    time.sleep(4)  # connect, register, first heartbeat
    for p in procs:
        if p.poll() is not None:
            raise SystemExit(f"a worker exited at start; see {logs}")
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def waiting(engine, task: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t "
                "AND status IN ('todo', 'doing')"
            ),
            {"t": task},
        )


def pings(jobs: QueueJobs, engine, n: int) -> float:
    task = jobs.app.configure_task(PING_TASK, queue=QUEUE)
    start = time.perf_counter()
    task.batch_defer(*[{} for _ in range(n)])
    while waiting(engine, PING_TASK):
        time.sleep(0.02)
    return n / (time.perf_counter() - start)


def daily(jobs: QueueJobs, engine, sessions, timeout: float) -> tuple[float, dict | None]:
    with sessions() as s:  # the bench day again, from scratch
        s.execute(delete(AlertRow).where(AlertRow.raised_on == TODAY))
        s.execute(delete(JobRunRow).where(JobRunRow.run_key == TODAY.isoformat()))
        s.commit()
    start = time.perf_counter()
    jobs.defer_daily(TODAY.isoformat())
    with sessions() as s:
        while True:
            s.rollback()
            row = s.scalar(
                select(JobRunRow).where(
                    JobRunRow.run_key == TODAY.isoformat(), JobRunRow.status.in_(("done", "failed"))
                )
            )
            if row is not None:
                break
            if time.perf_counter() - start > timeout:
                return time.perf_counter() - start, None
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        if row.status != "done":
            raise SystemExit(f"the day's run failed:\n{row.error}")
        return elapsed, row.result


def once_more(jobs: QueueJobs, engine, sessions) -> bool:
    """The same day asked for again: nothing new, the row still attempted once."""
    with sessions() as s:
        before = s.scalar(select(text("count(*)")).select_from(AlertRow))
    jobs.defer_daily(TODAY.isoformat())
    time.sleep(0.5)
    while waiting(engine, "onetrip.daily"):
        time.sleep(0.05)
    with sessions() as s:
        after = s.scalar(select(text("count(*)")).select_from(AlertRow))
        row = s.scalar(select(JobRunRow).where(JobRunRow.run_key == TODAY.isoformat()))
    return before == after and row.attempts == 1


def abandon(engine, procs: list[subprocess.Popen]) -> None:
    """A day's run that did not finish in time: kill the workers, drop its job and its row."""
    for p in procs:
        p.kill()
        p.wait()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM procrastinate_jobs WHERE task_name = 'onetrip.daily'"))
        conn.execute(text("DELETE FROM job_runs"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="PostgreSQL URL (wiped first unless --reuse)")
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--pings", type=int, default=2_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--daily-timeout",
        type=float,
        default=600.0,
        help="seconds to wait for the day's run before reporting it unfinished",
    )
    parser.add_argument("--logs", type=Path, default=Path("bench-jobs-logs"))
    args = parser.parse_args()
    if is_sqlite(args.db):
        raise SystemExit("the job queue needs PostgreSQL (on SQLite jobs run inside the server)")
    args.logs.mkdir(exist_ok=True)
    if args.reuse:
        engine = make_engine(args.db)
    else:
        engine = fresh_database(args.db)
        t = time.perf_counter()
        counts = fill(engine, args.projects)
        print(f"filled {counts} in {time.perf_counter() - t:.1f} s", flush=True)
    sessions = make_session_factory(engine, write=True)
    jobs = QueueJobs(args.db)
    jobs.start()
    rows = []
    result = None
    try:
        for n in (1, 2):
            procs = start_workers(n, args.db, args.logs)
            try:
                pings(jobs, engine, 100)  # warm: connections, first imports
                rate = pings(jobs, engine, args.pings)
                total, result = daily(jobs, engine, sessions, args.daily_timeout)
                once = once_more(jobs, engine, sessions) if result is not None else None
            finally:
                if result is None:
                    abandon(engine, procs)
                else:
                    stop_workers(procs)
            rows.append((n, rate, total, result, once))
            print(
                f"{n} worker(s): {rate:.0f} jobs/s; day's run {total:.2f} s "
                f"{result['seconds'] if result else 'NOT FINISHED'}",
                flush=True,
            )
    finally:
        jobs.close()
    load = os.getloadavg()
    print()
    print(
        f"projects {args.projects}, pings {args.pings}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores"
    )
    print(
        "| workers | ping jobs/s | day's run, defer → done | alert scan | monitor | capacity "
        "| ledger | digests | new alerts | again: nothing done |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, rate, total, result, once in rows:
        if result is None:
            print(f"| {n} | {rate:.0f} | not finished in {total:.0f} s | | | | | | | |")
            continue
        s = result["seconds"]
        print(
            f"| {n} | {rate:.0f} | {total:.2f} s | {s['alerts']:.2f} s | {s['monitor']:.2f} s | "
            f"{s['capacity']:.2f} s | {s['ledger']:.2f} s | {s['digests']:.2f} s | "
            f"{result['alerts']['new']} | {'yes' if once else 'NO'} |"
        )


if __name__ == "__main__":
    main()
