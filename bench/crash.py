"""Crash test: kill -9 the server in the middle of writes, again and again, then check that
nothing acknowledged was lost and nothing was left half done.

Writers file projects, upload materials and accept/approve tasks over HTTP, each with an
``Idempotency-Key``; a request interrupted by the crash is retried with the same key after the
restart (it must act once: either it had committed and is replayed, or it had not and acts now).
Every acknowledged (2xx) answer is remembered.  After the last restart the database is checked:

- every acknowledged project exists with its code, all its steps and tasks, and its audit entry;
- no project without steps, no step without tasks, no task whose project differs from its step's;
- every acknowledged material is stored with its content hash; every acknowledged decision stands;
- ``onetrip ledger verify`` passes (when the commitments ledger is installed).

    python bench/crash.py --db sqlite:///crash.sqlite3 --kills 50
    python bench/crash.py --db postgresql+psycopg://postgres@127.0.0.1:5432/crash --kills 50
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.seed import DEMO_PASSWORD, seed_demo_accounts  # noqa: E402
from approvals.orm import MaterialRow, ProjectRow, StepRow, TaskRow  # noqa: E402
from approvals.samples import sample_project_doc  # noqa: E402
from migrations.runner import reset_database, upgrade  # noqa: E402
from storage.audit import AuditRow  # noqa: E402
from storage.engine import ensure_database, is_sqlite, make_engine, make_session_factory  # noqa: E402

TODAY = date(2026, 3, 2)
PDF = b"%PDF-1.7\n%crash test material\n"


def prepare(url: str) -> None:
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
    with make_session_factory(engine)() as s:
        seed_demo_accounts(s)
        s.commit()
    engine.dispose()


@dataclass
class Acks:
    projects: dict[int, str] = field(default_factory=dict)  # id → code
    materials: dict[int, str] = field(default_factory=dict)  # material id → sha256
    decisions: dict[int, str] = field(default_factory=dict)  # task id → status acknowledged
    requests: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Server:
    def __init__(self, url: str, port: int) -> None:
        self.url, self.port, self.proc = url, port, None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "ONETRIP_TODAY": TODAY.isoformat(),
            "LITESTAR_WARN_SYNC_TO_THREAD_WITH_GENERATOR": "0",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--db", self.url, "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("the server did not come back")

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def login(base: str, user: str) -> str:
    r = httpx.post(
        f"{base}/api/auth/login", json={"username": user, "password": DEMO_PASSWORD}, timeout=10
    )
    r.raise_for_status()
    return r.json()["access_token"]


def writer(
    server: Server, acks: Acks, stop: threading.Event, rng: random.Random, role: str
) -> None:
    """Write until stopped; a request cut by the crash is retried with its key once the server
    answers again."""
    doc = sample_project_doc()
    tokens: dict[str, str] = {}
    pending: tuple[str, str, dict, dict] | None = (
        None  # (method, path, kwargs, meta) to retry with the same key
    )

    def call(user: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        try:
            if user not in tokens:
                tokens[user] = login(server.base, user)
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {tokens[user]}"}
            return httpx.request(
                method, f"{server.base}{path}", headers=headers, timeout=15, **kwargs
            )
        except httpx.HTTPError:
            return None

    refused: set[tuple[int, int]] = set()  # (task, version) a decision was refused on
    while not stop.is_set():
        if pending is None:
            key = str(uuid.uuid4())
            if role == "enterprise" or not acks.projects:
                user = "enterprise1" if rng.random() < 0.5 else "enterprise2"
                pending = (
                    user,
                    "POST",
                    "/api/projects",
                    {
                        "json": {
                            "name": f"崩溃测试{key[:8]}",
                            "attributes": doc["attributes"],
                            "regional_assessments": doc["regional_assessments"],
                        },
                        "headers": {"Idempotency-Key": key},
                    },
                    "project",
                )
            elif role == "materials":
                with acks.lock:
                    pid = rng.choice(list(acks.projects))
                body = PDF + key.encode()
                user = "enterprise1"  # only its own projects succeed; the other answers 404 (not an ack)
                pending = (
                    user,
                    "POST",
                    f"/api/projects/{pid}/materials",
                    {
                        "data": {"code": "M-filing-form"},
                        "files": {"file": ("a.pdf", body, "application/pdf")},
                        "headers": {"Idempotency-Key": key},
                    },
                    "material",
                )
            else:
                r = call("reviewer-fgw", "GET", "/api/tasks")
                items = r.json()["items"] if r is not None and r.status_code == 200 else []
                open_ = [
                    t
                    for t in items
                    if t["status"] in {"ready", "in_review"}
                    and not t["blocked_by"]
                    and (t["id"], t["version"]) not in refused
                ]
                task = rng.choice(open_) if open_ else None
                if task is None:
                    time.sleep(0.05)
                    continue
                action = "accept" if task["status"] == "ready" else "approve"
                pending = (
                    "reviewer-fgw",
                    "POST",
                    f"/api/tasks/{task['id']}/{action}",
                    {"json": {"version": task["version"]}, "headers": {"Idempotency-Key": key}},
                    f"task:{task['id']}:{task['version']}",
                )
        user, method, path, kwargs, what = pending
        r = call(user, method, path, **dict(kwargs))
        with acks.lock:
            acks.requests += 1
        if r is None or r.status_code >= 500:
            with acks.lock:
                acks.retries += 1
            time.sleep(0.1)
            continue  # the same request again, same key
        pending = None
        if r.status_code >= 300:
            if what.startswith("task:"):  # e.g. materials still missing: try another task
                refused.add((int(what.split(":")[1]), int(what.split(":")[2])))
            continue  # refused (e.g. a stale version, a material the task does not need): not acknowledged
        body = r.json()
        with acks.lock:
            if what == "project":
                acks.projects[body["id"]] = body["code"]
            elif what == "material":
                acks.materials[body["id"]] = body["sha256"]
            else:
                acks.decisions[int(what.split(":")[1])] = body["status"]


def check(url: str, acks: Acks) -> list[str]:
    problems: list[str] = []
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        for pid, code in acks.projects.items():
            p = s.get(ProjectRow, pid)
            if p is None or p.code != code:
                problems.append(f"acknowledged project {pid} ({code}) is missing")
                continue
            steps = s.scalars(select(StepRow).where(StepRow.project_id == pid)).all()
            if len(steps) != len(p.baseline["items"]):
                problems.append(f"project {code}: {len(steps)} steps of {len(p.baseline['items'])}")
            if not s.scalar(
                select(AuditRow.id).where(
                    AuditRow.action == "project.file", AuditRow.project_id == pid
                )
            ):
                problems.append(f"project {code}: no audit entry")
        half = s.scalar(select(func.count()).select_from(ProjectRow).where(~ProjectRow.steps.any()))
        if half:
            problems.append(f"{half} projects without steps (half filed)")
        no_tasks = s.scalar(select(func.count()).select_from(StepRow).where(~StepRow.tasks.any()))
        if no_tasks:
            problems.append(f"{no_tasks} steps without tasks")
        orphans = s.scalar(
            select(func.count())
            .select_from(TaskRow)
            .join(StepRow, TaskRow.step_id == StepRow.id)
            .where(TaskRow.project_id != StepRow.project_id)
        )
        if orphans:
            problems.append(f"{orphans} tasks whose project differs from their step's")
        for mid, sha in acks.materials.items():
            m = s.get(MaterialRow, mid)
            if m is None or m.sha256 != sha:
                problems.append(f"acknowledged material {mid} is missing or changed")
        order = {
            "ready": 0,
            "in_review": 1,
            "corrections": 1,
            "special": 1,
            "approved": 2,
            "rejected": 2,
        }
        for tid, status in acks.decisions.items():
            t = s.get(TaskRow, tid)
            if t is None or order.get(t.status, -1) < order.get(status, 0):
                problems.append(
                    f"acknowledged decision on task {tid} ({status}) lost: now {t.status if t else 'missing'}"
                )
    engine.dispose()
    verify = subprocess.run(
        [sys.executable, "-m", "api.cli", "ledger", "verify", "--db", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if verify.returncode not in (0, 2) or (
        verify.returncode == 2 and "No such command" not in verify.stderr + verify.stdout
    ):
        problems.append(f"ledger verify failed: {(verify.stderr or verify.stdout).strip()[-300:]}")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", default="sqlite:///crash.sqlite3")
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--writers", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    prepare(args.db)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Server(args.db, port)
    server.start()
    acks = Acks()
    stop = threading.Event()
    roles = ["enterprise", "materials", "reviewer"]
    threads = [
        threading.Thread(
            target=writer,
            args=(server, acks, stop, random.Random(rng.random()), roles[i % 3]),
            daemon=True,
        )
        for i in range(args.writers)
    ]
    for t in threads:
        t.start()
    t0 = time.time()
    for k in range(args.kills):
        time.sleep(rng.uniform(1.0, 3.0))  # writes in flight when the kill comes
        server.kill9()
        server.start()
        print(
            f"  kill {k + 1}/{args.kills}: {len(acks.projects)} projects, {len(acks.materials)} materials, "
            f"{len(acks.decisions)} decisions acknowledged, {acks.retries} retries",
            flush=True,
        )
    time.sleep(2.0)  # let the last retries land
    stop.set()
    for t in threads:
        t.join(timeout=30)
    server.kill9()
    problems = check(args.db, acks)
    print(
        f"\n{args.kills} kill -9 in {time.time() - t0:.0f} s on {make_url(args.db).get_backend_name()}: {acks.requests} requests, "
        f"{acks.retries} retried after a crash; acknowledged: {len(acks.projects)} projects, {len(acks.materials)} materials, "
        f"{len(acks.decisions)} decisions"
    )
    print("  invariants: " + ("all held" if not problems else f"{len(problems)} broken"))
    for p in problems[:50]:
        print("   -", p)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
