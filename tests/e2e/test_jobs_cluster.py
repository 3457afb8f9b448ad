"""Several machines' worth of onetrip on one PostgreSQL: two ``onetrip serve`` processes and two
``onetrip worker`` processes, called alternately (as a proxy would).

* a token issued by one server works on the other; failed logins add up across servers;
* projects filed and decided through both servers; the capacity recompute after the decisions
  runs on a worker (the servers hold no background thread);
* the day's run asked for twice at the same moment runs once: each alert exists once;
* a worker killed with ``kill -9`` in the middle of the day's run: the other worker takes the
  job over and finishes it, nothing lost or duplicated.

The same run at scale, with figures, is ``bench/jobs.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from agent_service.orm import AlertRow
from api.seed import DEMO_PASSWORD, seed_demo_accounts
from approvals.samples import sample_project_doc
from storage.engine import make_engine, make_session_factory
from storage.jobs import JobRunRow
from tests.e2e.procs import onetrip_env, start_server, start_worker

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

TODAY = date(2026, 3, 2)  # a Monday
PDF = b"%PDF-1.7\n%cluster test\n"


def login(base: str, username: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    r = c.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return c


def with_token(base: str, other: httpx.Client) -> httpx.Client:
    """A client of another server carrying the token the first one issued."""
    return httpx.Client(base_url=base, timeout=30, headers=dict(other.headers))


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def run_daily(env, day: date) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "jobs", "run-daily", "--date", day.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_servers_and_two_workers_share_one_database(db_url: str, tmp_path: Path):
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        seed_demo_accounts(session)
        session.commit()
    sessions = make_session_factory(engine)
    env = onetrip_env(db_url, ONETRIP_TODAY=TODAY.isoformat(), ONETRIP_DAILY_AT="off")
    procs = []
    try:
        a = start_server("server-a", env, tmp_path)
        b = start_server("server-b", env, tmp_path)
        procs += [a, b]
        w1 = start_worker("worker-1", env, tmp_path)
        w2 = start_worker("worker-2", env, tmp_path)
        procs += [w1, w2]
        ping = subprocess.run(
            [sys.executable, "-m", "api.cli", "jobs", "ping", "--timeout", "30"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ping.returncode == 0 and "worker 已响应" in ping.stdout, ping.stdout + ping.stderr

        # sessions and rate limits hold across servers
        e1_a = login(a.url, "enterprise1")
        e1_b = with_token(b.url, e1_a)
        assert e1_b.get("/api/me").json()["username"] == "enterprise1"
        anon = [httpx.Client(base_url=s.url, timeout=30) for s in (a, b)]
        codes = [
            anon[i % 2]
            .post("/api/auth/login", json={"username": "agent1", "password": "wrong"})
            .status_code
            for i in range(6)
        ]
        assert codes == [401] * 5 + [429]  # five guesses in all, whichever server got them

        # file through both servers, upload on one, decide on the other
        doc = sample_project_doc()
        pids = []
        for i in range(4):
            client = (e1_a, e1_b)[i % 2]
            r = client.post(
                "/api/projects",
                json={
                    "name": f"集群项目{i}",
                    "attributes": doc["attributes"],
                    "regional_assessments": doc["regional_assessments"],
                },
            )
            assert r.status_code == 201, r.text
            pids.append(r.json()["id"])
        fgw = [login(a.url, "reviewer-fgw"), None]
        fgw[1] = with_token(b.url, fgw[0])
        for i, pid in enumerate(pids):
            up = (e1_b, e1_a)[i % 2].post(
                f"/api/projects/{pid}/materials",
                data={"code": "M-filing-form"},
                files={"file": ("备案表.pdf", PDF, "application/pdf")},
            )
            assert up.status_code == 201, up.text
            reviewer = fgw[i % 2]
            task = next(
                t
                for t in reviewer.get("/api/tasks").json()["items"]
                if t["project_id"] == pid and t["step_code"] == "S1-01"
            )
            # the file uploaded through one server is there for the other (kept in the database)
            r = reviewer.post(f"/api/tasks/{task['id']}/accept", json={"version": task["version"]})
            assert r.status_code == 200, r.text
        # the recompute after the burst of decisions is a worker's job
        queue = wait_for(
            lambda: (
                (q := fgw[1].get("/api/departments/fgw/queue").json())["pending"] is False and q
            ),
            60,
            "the capacity recompute",
        )
        assert queue["run"] is not None and queue["items"]
        worker_logs = w1.output() + w2.output()
        assert "onetrip.capacity_refresh" in worker_logs
        for server in (a, b):
            assert "onetrip.capacity_refresh" not in server.output()

        # the day's run, asked for twice at once: it runs once, each alert exists once
        day = TODAY + timedelta(days=3)
        twice = [run_daily(env, day), run_daily(env, day)]
        for p in twice:
            out, _ = p.communicate(timeout=60)
            assert p.returncode == 0, out
            assert "已加入队列" in out
        with sessions() as s:
            run = wait_for(
                lambda: (
                    s.rollback()
                    or s.scalar(
                        select(JobRunRow).where(
                            JobRunRow.run_key == day.isoformat(), JobRunRow.status == "done"
                        )
                    )
                ),
                90,
                "the day's run",
            )
            assert run.attempts == 1
            wait_for(  # the second job finds the day done and does nothing
                lambda: (
                    s.rollback()
                    or not s.execute(
                        text(
                            "SELECT 1 FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
                            "AND task_name = 'onetrip.daily'"
                        )
                    ).first()
                ),
                60,
                "the second request of the day's run",
            )
            alerts = s.execute(
                select(AlertRow.project_id, AlertRow.kind, AlertRow.subject).where(
                    AlertRow.raised_on == day
                )
            ).all()
            assert alerts and len(alerts) == len(set(alerts))
            assert {pid for pid, _, _ in alerts} <= set(pids)

        # kill -9 the worker that holds the next day's run, in the middle of it
        day2 = day + timedelta(days=1)
        out, _ = run_daily(env, day2).communicate(timeout=60)
        assert "已加入队列" in out
        with sessions() as s:
            holder = wait_for(
                lambda: (
                    s.rollback()
                    or s.scalar(
                        select(JobRunRow.worker).where(
                            JobRunRow.run_key == day2.isoformat(), JobRunRow.status == "started"
                        )
                    )
                ),
                60,
                "a worker to take the run",
            )
            pid_of = {str(w.popen.pid): w for w in (w1, w2)}
            victim = pid_of[holder.rsplit(":", 1)[1]]
            victim.kill9()
            survivor = w2 if victim is w1 else w1
            s.rollback()
            state = s.scalar(select(JobRunRow).where(JobRunRow.run_key == day2.isoformat()))
            assert state.status == "started", "the run ended before the kill: not mid-job"
            done = wait_for(
                lambda: (
                    s.rollback()
                    or s.scalar(
                        select(JobRunRow).where(
                            JobRunRow.run_key == day2.isoformat(), JobRunRow.status == "done"
                        )
                    )
                ),
                90,
                "the surviving worker to finish the run",
            )
            assert done.attempts == 2
            assert done.worker.endswith(f":{survivor.popen.pid}")
            assert re.search(r"put back in the queue", survivor.output())
            alerts2 = s.execute(
                select(AlertRow.project_id, AlertRow.kind, AlertRow.subject).where(
                    AlertRow.raised_on == day2
                )
            ).all()
            assert alerts2 and len(alerts2) == len(set(alerts2))
            assert (
                s.scalar(
                    select(func.count()).select_from(JobRunRow).where(JobRunRow.status == "failed")
                )
                == 0
            )
        # both servers report the same shared state
        admin = login(a.url, "admin")
        status_a = admin.get("/api/admin/jobs").json()
        status_b = with_token(b.url, admin).get("/api/admin/jobs").json()
        assert status_a["backend"] == status_b["backend"] == "procrastinate"
        assert {r["run_key"] for r in status_a["runs"]} == {r["run_key"] for r in status_b["runs"]}
    finally:
        for p in procs:
            p.stop()
        engine.dispose()
