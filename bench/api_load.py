"""Bounded HTTP load on loopback against ``onetrip serve``: mixed reads and task decisions.

The database is prepared with the demo accounts and N filed projects (materials uploaded), then
``onetrip serve`` starts as a separate process with W worker processes, and C concurrent
clients (asyncio + aiohttp) run for D seconds.  Each client logs in as a role and repeats a
realistic mix: enterprises read their projects and live plans; reviewers read their worklist
and accept or approve the tasks that are theirs (each client owns a disjoint share of its
department's tasks, so there are no self-inflicted conflicts); a regulator reads broadly.

    python bench/api_load.py --db sqlite:///bench-load.sqlite3 --clients 50 --duration 30
    python bench/api_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench --workers 2

It prints requests/s, p50/p99 latency, and every non-2xx status.  Target (issue 4): no errors;
p99 under 200 ms at 50 concurrent clients on PostgreSQL.  Issue 9: 100 users for 5 minutes on
PostgreSQL with several workers, each user pausing ``--think`` seconds (exponential mean) between
actions as a person does; no errors and p99 under 300 ms:

    python bench/api_load.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        --clients 100 --duration 300 --workers 2 --think 1

``--restart-postgres-at S`` restarts the PostgreSQL cluster S seconds into the run (needs root
and ``pg_ctlcluster``): requests fail while it is down (counted apart), and the service must
answer again by itself, without being restarted; errors after recovery are reported as failures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from access.actor import Actor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.seed import DEMO_PASSWORD, reviewer_username, seed_demo_accounts  # noqa: E402
from approvals.samples import sample_project_doc  # noqa: E402
from approvals.service import work_calendar  # noqa: E402
from approvals.services import filing, materials  # noqa: E402
from migrations.runner import reset_database, upgrade  # noqa: E402
from storage.engine import (  # noqa: E402
    begin_write,
    ensure_database,
    is_sqlite,
    make_engine,
    make_session_factory,
)

PDF = b"%PDF-1.7\n%load test material\n"
#: Idle connections are dropped by the client before uvicorn's 5 s keep-alive timeout, as
#: browsers do; otherwise a request sent on a connection the server is closing fails.
KEEPALIVE_S = 4.0


class Reply:
    """What a client needs of an answer: its status and its JSON (read in full)."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """A closed-loop user's HTTP client: one keep-alive connection pool over aiohttp.

    Not httpx: on this two-core machine the load's clients share the cores with the servers,
    and httpx's asyncio client costs about 3 ms of CPU a request against aiohttp's 0.3
    (``bench/README.md``); that CPU was taken from the servers being measured.  A real
    deployment's clients are browsers on other machines."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        self.base = base
        self.timeout = timeout
        self.headers: dict[str, str] = {}

    async def __aenter__(self) -> Client:
        self.session = aiohttp.ClientSession(
            self.base,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_S),
        )
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.session.close()

    async def request(self, method: str, path: str, json: Any = None) -> Reply:
        async with self.session.request(method, path, json=json, headers=self.headers) as r:
            return Reply(r.status, await r.read())

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, json: Any = None) -> Any:
        return self.request("POST", path, json=json)


TODAY = date(2026, 3, 2)
SERVER_LOG = Path("/tmp/api_load_server.log")


def prepare(url: str, projects: int) -> None:
    if is_sqlite(url):
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        ensure_database(url)
    engine = make_engine(url)
    if not is_sqlite(url):
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        reset_database(engine)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        begin_write(session)
        accounts = seed_demo_accounts(session)
        calendar = work_calendar(session)
        doc = sample_project_doc()
        for i in range(projects):
            owner = accounts.users["enterprise1" if i % 2 == 0 else "enterprise2"]
            actor = Actor(owner.username, "enterprise", owner.id, enterprise_id=owner.enterprise_id)
            p = filing.file_project(
                session,
                actor,
                calendar,
                name=f"负载测试项目{i}",
                attributes=doc["attributes"],
                regional_assessments=doc["regional_assessments"],
                filed_on=TODAY,
            )
            for m in p.baseline["materials"]:
                if not m["provided_by"]:
                    materials.upload_material(
                        session,
                        actor,
                        p.id,
                        m["code"],
                        f"{m['code']}.pdf",
                        PDF + m["code"].encode(),
                        TODAY,
                        calendar,
                    )
        session.commit()
    engine.dispose()


def quantiles(data: list[float], n: int = 100) -> list[float]:
    """``quantiles(data, n=n)`` (its default, exclusive method).  Not the standard
    module itself: run as ``python bench/….py`` the script's directory comes first on the path,
    and ``bench/statistics.py`` (issue 17's bench) shadows it."""
    data = sorted(data)
    m = len(data) + 1
    out = []
    for i in range(1, n):
        j = min(max(i * m // n, 1), len(data) - 1)
        delta = i * m - j * n
        out.append((data[j - 1] * (n - delta) + data[j] * delta) / n)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.timeline: list[tuple[float, int, float, str]] = []  # (finished at, status, s, kind)
        self.started = time.perf_counter()
        self.think = 0.0
        self.ramp = 0.0
        self.rng = random.Random(7)

    def add(self, kind: str, status: int, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses[(kind, status)] += 1
        self.timeline.append((time.perf_counter(), status, seconds, kind))

    async def pause(self) -> None:
        """A person's pause between actions (exponential, mean ``think`` seconds)."""
        if self.think > 0:
            await asyncio.sleep(self.rng.expovariate(1 / self.think))


async def timed(stats: Stats, kind: str, coro) -> Reply | None:
    t0 = time.perf_counter()
    try:
        r = await coro
    except (TimeoutError, aiohttp.ClientError) as e:
        stats.add(kind, 599, time.perf_counter() - t0)
        print(f"  transport error on {kind}: {type(e).__name__}", file=sys.stderr)
        return None
    stats.add(kind, r.status_code, time.perf_counter() - t0)
    return r


async def login(client: Client, username: str, stats: Stats) -> None:
    """Users arrive over the ramp-up (not all in the same second); a login is timed like the
    rest (argon2 makes it the dearest request)."""
    await asyncio.sleep(stats.rng.uniform(0, stats.ramp))
    for _ in range(5):
        r = await timed(
            stats,
            "POST /api/auth/login",
            client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}),
        )
        if r is not None and r.status_code == 200:
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            return
        await asyncio.sleep(1)
    raise SystemExit(f"{username} could not log in")


async def enterprise_user(
    base: str, username: str, stats: Stats, stop: float, rng: random.Random
) -> None:
    async with Client(base) as c:
        await login(c, username, stats)
        while time.perf_counter() < stop:
            r = await timed(stats, "GET /api/projects", c.get("/api/projects?size=20"))
            items = r.json()["items"] if r is not None and r.status_code == 200 else []
            if items:
                pid = rng.choice(items)["id"]
                await timed(
                    stats, "GET /api/projects/{id}/plan", c.get(f"/api/projects/{pid}/plan")
                )
                await timed(stats, "GET /api/projects/{id}", c.get(f"/api/projects/{pid}"))
            await stats.pause()


async def reviewer_user(
    base: str, dept: str, share: int, shares: int, stats: Stats, stop: float
) -> None:
    async with Client(base) as c:
        await login(c, reviewer_username(dept), stats)
        while time.perf_counter() < stop:
            r = await timed(stats, "GET /api/tasks", c.get("/api/tasks"))
            tasks = [
                t
                for t in (r.json()["items"] if r is not None and r.status_code == 200 else [])
                if t["id"] % shares == share
            ]
            acted = False
            for t in tasks[:3]:
                if t["status"] == "ready":
                    await timed(
                        stats,
                        "POST accept",
                        c.post(f"/api/tasks/{t['id']}/accept", json={"version": t["version"]}),
                    )
                    acted = True
                elif t["status"] == "in_review" and not t["blocked_by"]:
                    await timed(
                        stats,
                        "POST approve",
                        c.post(f"/api/tasks/{t['id']}/approve", json={"version": t["version"]}),
                    )
                    acted = True
            if tasks:
                await timed(stats, "GET /api/tasks/{id}", c.get(f"/api/tasks/{tasks[0]['id']}"))
            if not acted:
                await asyncio.sleep(0.05)
            await stats.pause()


async def regulator_user(base: str, stats: Stats, stop: float, rng: random.Random) -> None:
    async with Client(base) as c:
        await login(c, "regulator1", stats)
        while time.perf_counter() < stop:
            r = await timed(stats, "GET /api/projects", c.get("/api/projects?size=50"))
            items = r.json()["items"] if r is not None and r.status_code == 200 else []
            if items:
                pid = rng.choice(items)["id"]
                await timed(
                    stats, "GET /api/projects/{id}/audit", c.get(f"/api/projects/{pid}/audit")
                )
            await stats.pause()


async def restart_postgres(at: float, stats: Stats) -> None:
    """Restart the cluster under load; note when it went down and came back."""
    await asyncio.sleep(at)
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    stats.restart_began = time.perf_counter()  # type: ignore[attr-defined]
    proc = await asyncio.create_subprocess_exec(
        "pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"
    )
    await proc.wait()
    stats.restart_ended = time.perf_counter()  # type: ignore[attr-defined]
    print(f"  PostgreSQL restarted ({stats.restart_ended - stats.restart_began:.1f} s)")  # type: ignore[attr-defined]


async def run_load(
    base: str,
    clients: int,
    duration: float,
    seed: int,
    think: float = 0.0,
    restart_at: float | None = None,
    ramp: float = 0.0,
) -> Stats:
    stats = Stats()
    stats.think = think
    stats.ramp = ramp
    stats.started = time.perf_counter()
    rng = random.Random(seed)
    depts = ["fgw", "zrzy", "sthj", "sl", "zjj", "rfb", "zhzf", "sz", "dag", "kfq"]
    reviewers = clients * 2 // 5
    enterprises = clients * 2 // 5
    regulators = clients - reviewers - enterprises
    stop = time.perf_counter() + duration
    jobs = []
    per_dept: Counter[str] = Counter(depts[i % len(depts)] for i in range(reviewers))
    seen: Counter[str] = Counter()
    for i in range(reviewers):
        d = depts[i % len(depts)]
        jobs.append(reviewer_user(base, d, seen[d], per_dept[d], stats, stop))
        seen[d] += 1
    for i in range(enterprises):
        jobs.append(
            enterprise_user(
                base,
                "enterprise1" if i % 2 == 0 else "enterprise2",
                stats,
                stop,
                random.Random(rng.random()),
            )
        )
    for _ in range(regulators):
        jobs.append(regulator_user(base, stats, stop, random.Random(rng.random())))
    if restart_at is not None:
        jobs.append(restart_postgres(restart_at, stats))
    await asyncio.gather(*jobs)
    return stats


def recovery(stats: Stats) -> bool:
    """After a restart: when the service answered again, and any error after that."""
    began, ended = stats.restart_began, stats.restart_ended  # type: ignore[attr-defined]
    after = sorted((t, s) for t, s, _, _ in stats.timeline if t >= ended)
    first_ok = next((t for t, s in after if 200 <= s < 300), None)
    during = sum(1 for t, s, _, _ in stats.timeline if began <= t < ended and not 200 <= s < 300)
    if first_ok is None:
        print("  the service did not recover after the restart")
        return False
    late = [s for t, s in after if t > first_ok + 2.0 and not 200 <= s < 300]
    print(
        f"  restart: {during} failed requests while PostgreSQL was down; first success "
        f"{first_ok - ended:.2f} s after it was back; {len(late)} errors from 2 s after recovery"
    )
    return not late


def report(stats: Stats, duration: float, label: str) -> bool:
    every = [x for v in stats.latencies.values() for x in v]
    if not every:
        print("no requests completed")
        return False
    every.sort()
    q = quantiles(every, n=100)
    errors = {k: n for k, n in stats.statuses.items() if not 200 <= k[1] < 300}
    print(f"\n{label}")
    print(
        f"  requests: {len(every)}  ({len(every) / duration:.0f} req/s)   p50 {q[49] * 1000:.1f} ms   p99 {q[98] * 1000:.1f} ms   max {every[-1] * 1000:.0f} ms"
    )
    print(f"  {'operation':34} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, values in sorted(stats.latencies.items()):
        values.sort()
        qq = quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
        print(f"  {kind:34} {len(values):>6} {qq[49] * 1000:>8.1f} {qq[98] * 1000:>8.1f}")
    print(f"  non-2xx: {dict(errors) if errors else 'none'}")
    # the steady state: once every user has arrived and logged in (argon2 logins are the dearest
    # requests, and the ramp-up crowds them together)
    settled = stats.started + stats.ramp + 5
    steady = sorted(x for t, _, x, kind in stats.timeline if t >= settled and "login" not in kind)
    if len(steady) > 100:
        qs = quantiles(steady, n=100)
        span = max(t for t, *_ in stats.timeline) - settled
        print(
            f"  steady state (from {stats.ramp + 5:g} s, logins apart): {len(steady)} requests "
            f"({len(steady) / span:.0f} req/s)   p50 {qs[49] * 1000:.1f} ms   p99 {qs[98] * 1000:.1f} ms"
        )
    return not errors


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", default="sqlite:///bench-load.sqlite3")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--think", type=float, default=0.0, help="mean pause between actions (s)")
    ap.add_argument("--restart-postgres-at", type=float, default=None, metavar="SECONDS")
    ap.add_argument("--ramp", type=float, default=10.0, help="users arrive over this many s")
    args = ap.parse_args()

    print(f"preparing {args.projects} projects in {args.db} …")
    prepare(args.db, args.projects)
    port = free_port()
    env = {
        **os.environ,
        "ONETRIP_TODAY": TODAY.isoformat(),
        "LITESTAR_WARN_SYNC_TO_THREAD_WITH_GENERATOR": "0",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "serve",
            "--db",
            args.db,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        # a file, not a pipe: the server logs every request, and a pipe nobody reads fills up
        # and stalls the server (every request then times out)
        stderr=SERVER_LOG.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start: {SERVER_LOG.read_text()[-2000:]}")
            time.sleep(0.2)
        stats = asyncio.run(
            run_load(
                base,
                args.clients,
                args.duration,
                args.seed,
                think=args.think,
                restart_at=args.restart_postgres_at,
                ramp=args.ramp,
            )
        )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    label = (
        f"{args.clients} clients × {args.duration:.0f} s (ramp-up {args.ramp:g} s), think {args.think:g} s, "
        f"{args.workers} worker(s), {make_url(args.db).get_backend_name()}"
    )
    if args.restart_postgres_at is not None:
        recovered = recovery(stats)
        # failures while the database was down are expected: recovery() judged the rest
        report(stats, args.duration, label + ", PostgreSQL restarted (all requests)")
        raise SystemExit(0 if recovered else 1)
    ok = report(stats, args.duration, label)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
