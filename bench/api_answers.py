"""Do two trees give the same answers?  Every read of the load mix, fetched from one database.

Issue 16, target 2.  A change made for speed must not change what users are told.  This prepares
one database (``bench/api_load.py``'s projects), makes a fixed sequence of decisions on it with
the first tree's code (accepts, approvals, a 补正 request, a refusal) so that statuses, clocks and
certificates vary, then, with each tree in turn (its own process, ``PYTHONPATH`` = the tree),
fetches every read of the mix as each role makes it — project lists (pages, sorts, filters),
every project's detail, plan, tasks and audit trail as its owner, a reviewer and the regulator,
every department's worklist, every task as its reviewer and the regulator — in Chinese and in
English, and compares the parsed JSON.  Reads change nothing, so both trees see the same data.

    python bench/api_answers.py /work/wt-before /work/main
    python bench/api_answers.py /work/wt-before /work/main --db sqlite:////tmp/answers.db

Exit status 0 when every answer is identical; otherwise the first differences are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEPTS = ["fgw", "zrzy", "sthj", "sl", "zjj", "rfb", "zhzf", "sz", "dag", "kfq"]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_answers"


def _client(db: str):
    """This tree's app in this process, its lifespan run, and a login helper."""
    sys.path.insert(0, str(Path.cwd()))
    sys.path.insert(0, str(Path.cwd() / "bench"))
    os.environ.setdefault("LITESTAR_WARN_SYNC_TO_THREAD_WITH_GENERATOR", "0")
    import api_load
    from litestar.testing import TestClient

    from api.app import create_app
    from api.seed import DEMO_PASSWORD
    from api.settings import Settings
    from migrations.runner import upgrade
    from storage.engine import make_engine

    # the second tree may be newer: it brings the schema to its own head first (what a schema
    # change adds must not change an answer; an older tree never meets a newer schema, as it
    # reads first)
    engine = make_engine(db)
    upgrade(engine)
    engine.dispose()
    client = TestClient(create_app(Settings(database_url=db, today=api_load.TODAY)))

    def login(username: str) -> dict[str, str]:
        r = client.post("/api/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return client, login


def fresh_database(db: str) -> None:
    """Drop the database (a file, or a PostgreSQL database): a tree's own reset drops only the
    tables it knows, and a newer tree's run may have left others behind."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    sys.path.insert(0, str(ROOT))
    from storage.engine import is_sqlite, make_engine

    url = make_url(db)
    if is_sqlite(db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
        return
    admin = make_engine(
        url.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def act(db: str) -> None:
    """The fixed decisions, made once (with the first tree) before both trees read."""
    from api.seed import reviewer_username

    client, login = _client(db)
    with client:
        done = 0
        for n, dept in enumerate(DEPTS):
            who = login(reviewer_username(dept))
            tasks = sorted(
                client.get("/api/tasks", headers=who).json()["items"], key=lambda t: t["id"]
            )
            for i, t in enumerate(tasks):
                path, body = f"/api/tasks/{t['id']}", {"version": t["version"]}
                if t["status"] == "ready" and i % 4 != 3:
                    r = client.post(f"{path}/accept", json=body, headers=who)
                elif t["status"] == "in_review" and not t["blocked_by"] and i % 3 == 0:
                    r = client.post(f"{path}/approve", json=body, headers=who)
                elif t["status"] == "in_review" and n % 5 == 1 and i % 3 == 1:
                    r = client.post(
                        f"{path}/corrections",
                        json={**body, "reasons": "请补正材料", "materials": []},
                        headers=who,
                    )
                elif t["status"] == "ready" and n % 5 == 2:
                    r = client.post(
                        f"{path}/refuse", json={**body, "reasons": "不符合条件"}, headers=who
                    )
                else:
                    continue
                if r.status_code >= 300 and r.status_code != 409:
                    raise SystemExit(f"POST {r.request.url}: {r.status_code} {r.text[:300]}")
                done += r.status_code < 300
        print(f"  {done} decisions made", file=sys.stderr)


def dump(db: str, out: Path) -> None:
    """Every read of the mix, as each role makes it, in both languages, to ``out`` (JSON)."""
    from api.seed import reviewer_username

    client, login = _client(db)
    answers: dict[str, Any] = {}
    with client:
        who = {
            "enterprise1": login("enterprise1"),
            "enterprise2": login("enterprise2"),
            "regulator1": login("regulator1"),
            **{d: login(reviewer_username(d)) for d in DEPTS},
        }

        def get(user: str, path: str) -> Any:
            for lang in ("zh", "en"):
                r = client.get(path, headers={**who[user], "Accept-Language": lang})
                answers[f"{user} {lang} GET {path}"] = [r.status_code, r.json()]
            return answers[f"{user} zh GET {path}"][1]

        lists = []
        for user, size in (("enterprise1", 20), ("enterprise2", 20), ("regulator1", 50)):
            lists.append(get(user, f"/api/projects?size={size}"))
            get(user, "/api/projects?size=7&page=2")
            for sort in ("code", "-name", "status", "baseline_finish", "-predicted_finish"):
                get(user, f"/api/projects?size=10&sort={sort}")
            get(user, "/api/projects?status=in_progress&size=50")
            get(user, "/api/projects?q=%E8%B4%9F%E8%BD%BD%E6%B5%8B%E8%AF%951&size=50")
        owners = {p["id"]: "enterprise1" for p in lists[0]["items"]}
        owners |= {p["id"]: "enterprise2" for p in lists[1]["items"]}
        for pid, owner in sorted(owners.items()):
            for user in (owner, "regulator1", "fgw", "zrzy"):
                for tail in ("", "/plan", "/tasks", "/audit"):
                    get(user, f"/api/projects/{pid}{tail}")
        for dept in DEPTS:
            tasks = get(dept, "/api/tasks")
            get(dept, "/api/tasks?size=5&page=2")
            for t in tasks.get("items", []):
                get(dept, f"/api/tasks/{t['id']}")
                get("regulator1", f"/api/tasks/{t['id']}")
    out.write_text(json.dumps(answers, ensure_ascii=False, sort_keys=True))


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [
            f"{where}.{k}: only in {'first' if k in a else 'second'}" for k in a.keys() ^ b.keys()
        ]
        for k in a.keys() & b.keys():
            out += differences(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in differences(x, y, f"{where}[{i}]")
        ]
    return (
        []
        if a == b
        else [
            f"{where}: {json.dumps(a, ensure_ascii=False)[:120]} != {json.dumps(b, ensure_ascii=False)[:120]}"
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("trees", nargs="*", help="two checkouts to compare")
    ap.add_argument("--db", default=PG)
    ap.add_argument("--projects", type=int, default=20)
    ap.add_argument("--act", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.act:
        act(args.db)
        return
    if args.dump:
        dump(args.db, args.dump)
        return
    if len(args.trees) != 2:
        ap.error("give two trees")

    sys.path.insert(0, str(ROOT / "bench"))
    import api_load

    first, second = (Path(t).resolve() for t in args.trees)
    print(f"preparing {args.projects} projects in {args.db} …", flush=True)
    fresh_database(args.db)
    # with the first tree's code: its schema (a newer second tree migrates when it reads)
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import api_load; api_load.prepare({args.db!r}, {args.projects})",
        ],
        cwd=first,
        env={**os.environ, "PYTHONPATH": f"{first}:{first / 'bench'}"},
        check=True,
    )

    def run(tree: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(tree), "ONETRIP_TODAY": api_load.TODAY.isoformat()}
        cmd = [sys.executable, str(tree / "bench" / "api_answers.py"), "--db", args.db, *extra]
        if not (tree / "bench" / "api_answers.py").exists():  # an older tree: this script drives it
            cmd[1] = str(Path(__file__).resolve())
        subprocess.run(cmd, cwd=tree, env=env, check=True)

    run(first, "--act")
    files = []
    for i, tree in enumerate((first, second)):
        files.append(Path(f"/tmp/api_answers_{i}.json"))
        run(tree, "--dump", str(files[-1]))
    a, b = (json.loads(f.read_text()) for f in files)
    diffs = differences(a, b)
    errors = sum(1 for status, _ in a.values() if status >= 400)
    print(f"{len(a)} answers from {first}, {len(b)} from {second} ({errors} of them 4xx: roles)")
    if diffs:
        print(f"{len(diffs)} differences, the first 30:")
        for d in sorted(diffs)[:30]:
            print("  ", d)
        raise SystemExit(1)
    print("every answer identical")


if __name__ == "__main__":
    main()
