"""The project's API beside a bare litestar + SQLAlchemy app, same clients, same machine, same run.

Issue 16, target 2.  Two phases, one after the other:

1. **onetrip**: ``bench/api_load.py``'s read-and-write mix (enterprises read their projects and
   plans, reviewers read their worklist and accept or approve their tasks, a regulator reads
   broadly) against ``onetrip serve`` over PostgreSQL, C closed-loop clients (no think time).
2. **bare**: a litestar app with one synchronous handler (in the thread pool, as the project's
   are) doing one indexed query through a SQLAlchemy session (``SELECT … WHERE id = :id`` on a
   10,000-row table in its own database), served by uvicorn the same way, C closed-loop clients.

Both are measured in the steady state (every client logged in; logins — argon2 — left out).
It prints each median and p99 and the ratio.  Targets: the project's median within 3× of the bare
app's, p99 < 300 ms at 50 clients, no errors.

Beside the latencies, where each phase's CPU went, per request: the server's processes, the
PostgreSQL cluster's and this client's (all on the same cores: a closed-loop client that needs
3 ms of CPU a request takes that from the servers).  ``--workers N`` serves both apps with N
processes each (uvicorn's workers), as a deployment would on N cores.

    python bench/api_compare.py --clients 50 --duration 20
    python bench/api_compare.py --clients 50 --duration 20 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import api_load  # noqa: E402

from storage.engine import ensure_database, make_engine  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
ROWS = 10_000
LOG = Path("/tmp/api_compare_onetrip.log")
BARE_LOG = Path("/tmp/api_compare_bare.log")


# --- CPU of each side ----------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, command, CPU seconds) of every process (Linux ``/proc``)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        out.append((int(entry), int(fields[1]), comm, (int(fields[11]) + int(fields[12])) / TICK))
    return out


def cpu_seconds(server_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of the server's process tree, of PostgreSQL's processes and of this
    process (the client).  A PostgreSQL backend that ended meanwhile is not counted: the
    servers keep their connections pooled for the whole phase."""
    procs = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, ppid, _, _ in procs:
        children.setdefault(ppid, []).append(pid)
    tree, todo = set(), [server_pid]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(children.get(pid, []))
    server = sum(t for pid, _, _, t in procs if pid in tree)
    postgres = sum(t for _, _, comm, t in procs if comm.startswith("postgres"))
    me = os.times()
    return server, postgres, me.user + me.system


def cpu_split(before: tuple[float, float, float], after: tuple[float, float, float], n: int) -> str:
    per = [(b - a) / max(n, 1) * 1000 for a, b in zip(before, after, strict=True)]
    return f"server {per[0]:.2f}  PostgreSQL {per[1]:.2f}  client {per[2]:.2f} ms CPU a request"


# --- the bare app ---------------------------------------------------------------------------


def bare_app(db_url: str):
    """litestar + SQLAlchemy: one indexed query per request, sync handler in the thread pool."""
    from litestar import Litestar, get
    from sqlalchemy.orm import sessionmaker

    # the project's engine settings and, as `onetrip serve`, a pooled connection per handler
    # thread (anyio's default 40): a smaller pool reconnects under load, and the PostgreSQL
    # backends that end then are missing from the CPU counted below
    engine = make_engine(db_url, pool_size=40)
    sessions = sessionmaker(engine)

    @get("/items/{item_id:int}", sync_to_thread=True)
    def item(item_id: int) -> dict:
        with sessions() as session:
            row = session.execute(
                text("SELECT id, name, value FROM bare_items WHERE id = :id"), {"id": item_id}
            ).one()
        return {"id": row.id, "name": row.name, "value": row.value}

    @get("/health", sync_to_thread=False)
    def health() -> dict:
        return {"ok": True}

    return Litestar([item, health], logging_config=None)


def bare_app_from_env():
    """uvicorn's factory for ``--workers`` > 1 (each process builds its own app)."""
    return bare_app(os.environ["BARE_DB"])


def prepare_bare(db_url: str) -> None:
    ensure_database(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bare_items"))
        conn.execute(
            text("CREATE TABLE bare_items (id integer PRIMARY KEY, name text, value integer)")
        )
        conn.execute(
            text(
                "INSERT INTO bare_items SELECT g, 'item ' || g, g * 7 FROM generate_series(1, :n) g"
            ),
            {"n": ROWS},
        )
    engine.dispose()


async def bare_client(base: str, stats: api_load.Stats, stop: float, rng: random.Random) -> None:
    async with api_load.Client(base) as c:
        await asyncio.sleep(rng.uniform(0, stats.ramp))
        while time.perf_counter() < stop:
            await api_load.timed(stats, "GET /items/{id}", c.get(f"/items/{rng.randint(1, ROWS)}"))


async def run_bare(base: str, clients: int, duration: float, ramp: float) -> api_load.Stats:
    stats = api_load.Stats()
    stats.ramp = ramp
    stats.started = time.perf_counter()
    stop = time.perf_counter() + duration
    await asyncio.gather(
        *(bare_client(base, stats, stop, random.Random(i)) for i in range(clients))
    )
    return stats


# --- running servers -----------------------------------------------------------------------


def scrape(base: str) -> dict[str, Any]:
    """The server's ``/metrics``, parsed (prometheus-client's parser): family name → family."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {f.name: f for f in text_string_to_metric_families(text)}


def kept_answers(metrics: dict[str, Any]) -> str:
    """How often the server's kept project answers were used, by kind."""
    counts: dict[str, dict[str, float]] = {}
    family = metrics.get("onetrip_kept_answers")
    for sample in family.samples if family else []:
        if sample.name == "onetrip_kept_answers_total":
            counts.setdefault(sample.labels["kind"], {})[sample.labels["outcome"]] = sample.value
    return (
        ", ".join(
            f"{kind} {c.get('hit', 0) / max(1, c.get('hit', 0) + c.get('miss', 0)):.0%}"
            f" of {c.get('hit', 0) + c.get('miss', 0):.0f}"
            for kind, c in sorted(counts.items())
        )
        or "none"
    )


def gc_pauses(metrics: dict[str, Any]) -> str:
    """The server's garbage collections while it ran, by generation: how many, their total and
    how many took 50 ms or more (``onetrip_gc_pause_seconds``)."""
    seen: dict[str, dict[str, float]] = {}
    family = metrics.get("onetrip_gc_pause_seconds")
    for sample in family.samples if family else []:
        g = seen.setdefault(sample.labels["generation"], {})
        if sample.name.endswith("_count"):
            g["n"] = sample.value
        elif sample.name.endswith("_sum"):
            g["sum"] = sample.value
        elif sample.labels.get("le") == "0.05":
            g["under_50ms"] = sample.value
    return (
        ", ".join(
            f"gen{gen} {g.get('n', 0):.0f} ({g.get('sum', 0) * 1000:.0f} ms, "
            f"{g.get('n', 0) - g.get('under_50ms', 0):.0f} of 50 ms or more)"
            for gen, g in sorted(seen.items())
        )
        or "not reported"
    )


def wait_ready(proc: subprocess.Popen, url: str) -> None:
    deadline = time.time() + 90
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            raise SystemExit(f"server did not start; see {LOG} and {BARE_LOG}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def steady(stats: api_load.Stats) -> tuple[int, float, float, int]:
    """(requests, p50 s, p99 s, errors) once every client has arrived, logins left out."""
    settled = stats.started + stats.ramp + 2
    xs = sorted(s for t, _, s, kind in stats.timeline if t >= settled and "login" not in kind)
    errors = sum(n for (_, status), n in stats.statuses.items() if not 200 <= status < 300)
    q = api_load.quantiles(xs, n=100)
    return len(xs), q[49], q[98], errors


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of each phase")
    ap.add_argument("--ramp", type=float, default=5.0, help="clients arrive over this many s")
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--db", default=f"{PG}/bench_compare")
    ap.add_argument("--bare-db", default=f"{PG}/bench_bare")
    ap.add_argument(
        "--workers", type=int, default=1, help="server processes of each app (uvicorn workers)"
    )
    ap.add_argument("--serve-bare", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.serve_bare:  # the child process of phase 2
        import uvicorn

        port, db = args.serve_bare
        os.environ["BARE_DB"] = db
        uvicorn.run(
            "api_compare:bare_app_from_env",
            factory=True,
            app_dir=str(ROOT / "bench"),
            host="127.0.0.1",
            port=int(port),
            workers=args.workers,
            log_level="warning",
        )
        return

    env = {
        **os.environ,
        "ONETRIP_TODAY": api_load.TODAY.isoformat(),
        "LITESTAR_WARN_SYNC_TO_THREAD_WITH_GENERATOR": "0",
    }
    print(f"preparing {args.projects} projects in {args.db} …", flush=True)
    api_load.prepare(args.db, args.projects)
    prepare_bare(args.bare_db)

    port = api_load.free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "api.cli", "serve", "--db", args.db, "--port", str(port)),
            *("--workers", str(args.workers)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=LOG.open("wb"),  # a pipe nobody reads would fill and stall the server's logging
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(server, f"{base}/api/health")
        print(f"onetrip: {args.clients} clients × {args.duration:g} s …", flush=True)
        before = cpu_seconds(server.pid)
        project = asyncio.run(
            api_load.run_load(base, args.clients, args.duration + args.ramp, 1, ramp=args.ramp)
        )
        project_cpu = cpu_split(before, cpu_seconds(server.pid), len(project.timeline))
        metrics = scrape(base)
        kept, pauses = kept_answers(metrics), gc_pauses(metrics)
    finally:
        stop(server)

    port = api_load.free_port()
    bare = subprocess.Popen(
        [
            *(sys.executable, __file__, "--serve-bare", str(port), args.bare_db),
            *("--workers", str(args.workers)),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=BARE_LOG.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(bare, f"{base}/health")
        print(f"bare: {args.clients} clients × {args.duration:g} s …", flush=True)
        before = cpu_seconds(bare.pid)
        peer = asyncio.run(run_bare(base, args.clients, args.duration + args.ramp, args.ramp))
        bare_cpu = cpu_split(before, cpu_seconds(bare.pid), len(peer.timeline))
    finally:
        stop(bare)

    api_load.report(project, args.duration + args.ramp, "onetrip (all requests)")
    n1, p50, p99, e1 = steady(project)
    n2, b50, b99, e2 = steady(peer)
    processes = "1 server process" if args.workers == 1 else f"{args.workers} server processes"
    print(f"\nsteady state, {args.clients} closed-loop clients, PostgreSQL, {processes} each")
    print(f"  {'':10} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    print(f"  {'onetrip':10} {n1:>9} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f} {e1:>7}")
    print(f"  {'bare':10} {n2:>9} {b50 * 1000:>8.1f} {b99 * 1000:>8.1f} {e2:>7}")
    print(f"  CPU, onetrip: {project_cpu}")
    print(f"  CPU, bare:    {bare_cpu}")
    print(f"  kept answers (api.answers), hits of lookups: {kept}")
    print(f"  garbage collections of the server: {pauses}")
    print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ratio = p50 / b50
    print(f"  median ratio onetrip / bare: {ratio:.2f}× (target ≤ 3×)")
    print(f"  onetrip p99 {p99 * 1000:.0f} ms (target < 300 ms), errors {e1} (target 0)")
    ok = ratio <= 3 and p99 < 0.3 and e1 == 0
    print("  targets met" if ok else "  targets NOT met")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
