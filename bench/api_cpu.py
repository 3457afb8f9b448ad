"""CPU time per request of each operation of ``bench/api_load.py``'s mix, measured in-process.

Issue 16, target 2.  Latency on a shared machine moves with the others' load; the CPU a request
costs the server process does not (much).  This builds the app in this process (``create_app``,
the server's own settings), drives it through litestar's ``TestClient`` (the ASGI app, its
lifespan, the thread pool — no sockets), and for each operation of the mix reports the process's
CPU time (user + sys, every thread) per request and the SQL statements per request.  The
client's own CPU is in the figure too; the row ``client + ASGI floor`` (a bare ASGI app through
the same client) shows how much.

    python bench/api_cpu.py --db postgresql+psycopg://postgres@127.0.0.1:5432/apifast
    python bench/api_cpu.py --skip-prepare --only "GET /api/tasks" -n 2000   # while py-spy records

The writes (accept, approve) act on every ready / in-review task of the reviewers once; the
database is prepared again on each run (``--skip-prepare`` reuses it: the writes then find fewer
tasks to act on).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api_load  # noqa: E402
from sqlalchemy import event  # noqa: E402

from api.seed import DEMO_PASSWORD, reviewer_username  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Statements:
    def __init__(self) -> None:
        self.n = 0
        self.trace = bool(os.environ.get("API_CPU_TRACE"))

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.n += 1
            if self.trace:
                print("   SQL", " ".join(statement.split())[:150])


def measure(
    name: str, n: int, call: Callable[[int], Any], stmts: Statements, warm: int = 5
) -> dict[str, float]:
    for i in range(min(warm, n)):  # warm: compiled-statement caches, first-time imports
        call(i)
    stmts.n = 0
    # the collector off while an operation is timed: a full collection (150 ms in this process,
    # whose heap is not frozen as a server's is) landed in whichever operation ran then, ±0.5 ms
    # a request from run to run; the servers' pauses are counted by api_compare.py instead
    gc.collect()
    gc.disable()
    try:
        c0, w0 = cpu(), time.perf_counter()
        for i in range(n):
            if stmts.trace:
                print(f"-- {name} #{i}")
            call(i)
        c1, w1 = cpu(), time.perf_counter()
    finally:
        gc.enable()
    return {
        "n": n,
        "cpu_ms": (c1 - c0) / n * 1000,
        "wall_ms": (w1 - w0) / n * 1000,
        "stmts": stmts.n / n,
    }


class ThreadProfiles:
    """cProfile on CPU time (``time.thread_time``) in every thread the app uses: the event loop's
    callbacks and the executor's work items (handlers, session closing), one profiler a thread,
    enabled only while such work runs, merged at the end."""

    def __init__(self) -> None:
        import threading

        self.local = threading.local()
        self.all: list[Any] = []

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import cProfile

        def run(*a: Any, **k: Any) -> Any:
            prof = getattr(self.local, "prof", None)
            if prof is None:
                prof = self.local.prof = cProfile.Profile(time.thread_time)
                self.local.depth = 0
                self.all.append(prof)
            self.local.depth += 1
            if self.local.depth == 1:
                prof.enable()
            try:
                return fn(*a, **k)
            finally:
                self.local.depth -= 1
                if self.local.depth == 0:
                    prof.disable()

        return run

    def install(self) -> None:
        import asyncio
        import asyncio.events

        profiles = self
        run_in_executor = asyncio.BaseEventLoop.run_in_executor
        handle_run = asyncio.events.Handle._run

        def patched_executor(loop: Any, executor: Any, func: Any, *args: Any) -> Any:
            return run_in_executor(loop, executor, profiles.wrap(func), *args)

        def patched_run(handle: Any) -> Any:
            return profiles.wrap(handle_run)(handle)

        asyncio.BaseEventLoop.run_in_executor = patched_executor  # type: ignore[method-assign]
        asyncio.events.Handle._run = patched_run  # type: ignore[method-assign]

    def dump(self, path: str) -> None:
        import pstats

        stats = pstats.Stats(self.all[0])
        for prof in self.all[1:]:
            stats.add(prof)
        stats.dump_stats(path)
        stats.sort_stats("cumulative").print_stats(60)


def floor_app() -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    return app


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", default="postgresql+psycopg://postgres@127.0.0.1:5432/apifast")
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("-n", type=int, default=300, help="requests per read operation")
    ap.add_argument("--skip-prepare", action="store_true")
    ap.add_argument("--reads-only", action="store_true", help="leave the database as it is")
    ap.add_argument(
        "--repeat", type=int, default=1, help="measure the reads R times, keep each one's least CPU"
    )
    ap.add_argument("--only", default=None, help="one operation (its label), repeated -n times")
    ap.add_argument(
        "--profile", metavar="FILE", help="with --only: cProfile (CPU time) of every thread to FILE"
    )
    args = ap.parse_args()
    profiles = ThreadProfiles() if args.profile else None

    os.environ.setdefault("LITESTAR_WARN_SYNC_TO_THREAD_WITH_GENERATOR", "0")
    from litestar.testing import TestClient

    from api.app import create_app
    from api.settings import Settings

    if not args.skip_prepare:
        print(f"preparing {args.projects} projects in {args.db} …", flush=True)
        api_load.prepare(args.db, args.projects)

    results: dict[str, dict[str, float]] = {}
    stmts = Statements()
    with TestClient(floor_app()) as client:
        for _ in range(args.repeat):
            r = measure("floor", args.n, lambda i: client.get("/x"), stmts)
            if (
                "client + ASGI floor" not in results
                or r["cpu_ms"] < results["client + ASGI floor"]["cpu_ms"]
            ):
                results["client + ASGI floor"] = r

    settings = Settings(database_url=args.db, today=api_load.TODAY)
    app = create_app(settings)
    with TestClient(app) as client:
        event.listen(app.state.engine, "before_cursor_execute", stmts)

        def login(username: str) -> dict[str, str]:
            r = client.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            r.raise_for_status()
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        ent = login("enterprise1")
        reg = login("regulator1")
        depts = ["fgw", "zrzy", "sthj", "sl", "zjj", "rfb", "zhzf", "sz", "dag", "kfq"]
        rev = {d: login(reviewer_username(d)) for d in depts}
        ent_projects = [
            p["id"] for p in client.get("/api/projects?size=20", headers=ent).json()["items"]
        ]
        reg_projects = [
            p["id"] for p in client.get("/api/projects?size=50", headers=reg).json()["items"]
        ]

        def ok(r: Any) -> Any:
            if r.status_code >= 300:
                raise SystemExit(
                    f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
                )
            return r

        def tasks_of(d: str) -> list[dict[str, Any]]:
            return ok(client.get("/api/tasks", headers=rev[d])).json()["items"]

        first_task = {d: t[0]["id"] for d in depts if (t := tasks_of(d))}
        task_depts = list(first_task)

        reads: dict[str, Callable[[int], Any]] = {
            "GET /health (liveness)": lambda i: ok(client.get("/health")),
            # signed in, no database, no handler thread: the token and the middleware alone
            "GET /api/me (signed-in floor)": lambda i: ok(client.get("/api/me", headers=ent)),
            "GET /api/projects (enterprise)": lambda i: ok(
                client.get("/api/projects?size=20", headers=ent)
            ),
            "GET /api/projects (regulator)": lambda i: ok(
                client.get("/api/projects?size=50", headers=reg)
            ),
            "GET /api/projects/{id}": lambda i: ok(
                client.get(f"/api/projects/{ent_projects[i % len(ent_projects)]}", headers=ent)
            ),
            "GET /api/projects/{id}/plan": lambda i: ok(
                client.get(f"/api/projects/{ent_projects[i % len(ent_projects)]}/plan", headers=ent)
            ),
            "GET /api/projects/{id}/audit": lambda i: ok(
                client.get(
                    f"/api/projects/{reg_projects[i % len(reg_projects)]}/audit", headers=reg
                )
            ),
            "GET /api/tasks": lambda i: ok(
                client.get("/api/tasks", headers=rev[depts[i % len(depts)]])
            ),
            "GET /api/tasks/{id}": lambda i: ok(
                client.get(
                    f"/api/tasks/{first_task[task_depts[i % len(task_depts)]]}",
                    headers=rev[task_depts[i % len(task_depts)]],
                )
            ),
        }
        if args.only in reads:
            call = reads[args.only]
            for i in range(5):
                call(i)
            if profiles is not None:
                profiles.install()
            results[args.only] = measure(args.only, args.n, call, stmts)
        elif not args.only:
            for _ in range(args.repeat):  # the least of R rounds: the others' load only adds
                for name, call in reads.items():
                    r = measure(name, args.n, call, stmts)
                    if name not in results or r["cpu_ms"] < results[name]["cpu_ms"]:
                        results[name] = r

        # the writes: accept every ready task, then approve every unblocked in-review one
        def writes(status: str, verb: str) -> list[Callable[[int], Any]]:
            calls = []
            for d in depts:
                for t in tasks_of(d):
                    if t["status"] == status and (verb == "accept" or not t["blocked_by"]):
                        calls.append(
                            lambda i, d=d, t=t: ok(
                                client.post(
                                    f"/api/tasks/{t['id']}/{verb}",
                                    json={"version": t["version"]},
                                    headers=rev[d],
                                )
                            )
                        )
            return calls

        if args.only not in reads and not args.reads_only:
            for status, verb in (("ready", "accept"), ("in_review", "approve")):
                calls = writes(status, verb)
                name = f"POST /api/tasks/{{id}}/{verb}"
                if profiles is not None and args.only == name:
                    profiles.install()
                if calls:  # each task once: no warm-up round (the reads warmed the caches)
                    results[name] = measure(
                        verb, len(calls), lambda i, calls=calls: calls[i](i), stmts, warm=0
                    )
        event.remove(app.state.engine, "before_cursor_execute", stmts)

    print(f"\n{'operation':36} {'n':>5} {'CPU ms/req':>11} {'wall ms/req':>12} {'SQL/req':>8}")
    for name, r in results.items():
        print(
            f"{name:36} {r['n']:>5} {r['cpu_ms']:>11.2f} {r['wall_ms']:>12.2f} {r['stmts']:>8.1f}"
        )
    print(f"load average: {os.getloadavg()}")
    if profiles is not None:
        profiles.dump(args.profile)


if __name__ == "__main__":
    main()
