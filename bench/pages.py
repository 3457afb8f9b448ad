"""Server time of every role's pages on the demo data (issue 8: p50 under 50 ms).

``onetrip demo`` fills a fresh SQLite file; the app is then driven in process through its ASGI
interface (litestar's TestClient: no sockets, so the time is the server's own — routing, the
database, the template), logged in through the login form as each role.  Each page is asked
``--rounds`` times after one warm-up; the script prints p50 and p95 per page and the overall p50.

    python bench/pages.py --rounds 30
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.seed import DEMO_PASSWORD  # noqa: E402
from storage.engine import make_engine  # noqa: E402


def ids(url: str) -> dict[str, int]:
    """Objects of the demo the pages show (the first of each)."""
    engine = make_engine(url)
    with engine.connect() as c:

        def first(sql: str) -> int:
            value = c.execute(text(sql)).scalar()
            if value is None:
                raise SystemExit(f"the demo data lacks: {sql}")
            return int(value)

        out = {
            "project": first("select min(id) from projects"),
            "task": first(
                "select min(t.id) from tasks t join users u on u.department = t.department "
                "where u.username = 'reviewer-zjj'"
            ),
            "meeting": first("select min(id) from agent_meetings"),
            "commitment": first("select min(id) from commitments"),
            "agent": first("select min(id) from users where role = 'agent'"),
        }
        out["meeting_project"] = first(
            f"select project_id from agent_meetings where id = {out['meeting']}"
        )
    engine.dispose()
    return out


def pages_by_role(i: dict[str, int]) -> dict[str | None, list[str]]:
    p = i["project"]
    return {
        None: ["/login", "/public/commitments"],
        "enterprise1": ["/enterprise", f"/projects/{p}", "/enterprise/projects/new"],
        "reviewer-zjj": ["/reviewer", f"/tasks/{i['task']}"],
        "agent1": [
            "/agent",
            f"/projects/{i['meeting_project']}/checklist",
            f"/projects/{i['meeting_project']}/meetings",
            f"/projects/{i['meeting_project']}/meetings/{i['meeting']}",
        ],
        "regulator1": [
            "/map",
            "/regulator",
            "/regulator/commitments",
            f"/commitments/{i['commitment']}",
            f"/projects/{p}",
        ],
        "admin": [
            "/admin/projects",
            "/admin/catalog",
            "/admin/plots",
            "/admin/calendar",
            "/admin/users",
            "/admin/agents",
            f"/projects/{p}/agent",
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from litestar.testing import TestClient

    from api.app import create_app
    from api.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="onetrip-pages-"))
    url = f"sqlite:///{work / 'demo.sqlite3'}"
    print(f"onetrip demo → {url} …", flush=True)
    subprocess.run(
        [sys.executable, "-m", "api.cli", "demo", "--db", url, "--out", str(work / "out")],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "ONETRIP_TODAY": os.environ.get("ONETRIP_TODAY", "2026-11-22")},
    )
    found = ids(url)
    app = create_app(Settings.from_env({"DATABASE_URL": url}))
    rows: list[tuple[str, str, float, float]] = []
    every: list[float] = []
    for role, paths in pages_by_role(found).items():
        with TestClient(app=app, base_url="http://testserver.local") as client:
            if role:
                client.get("/login")
                r = client.post(
                    "/login",
                    data={"username": role, "password": DEMO_PASSWORD},
                    headers={"x-csrftoken": client.cookies.get("csrftoken", "")},
                    follow_redirects=False,
                )
                if r.status_code != 303:
                    raise SystemExit(f"login as {role} failed: {r.status_code} {r.text[:200]}")
            for path in paths:
                r = client.get(path, follow_redirects=False)  # warm-up, and a check
                if r.status_code != 200:
                    raise SystemExit(f"{path} as {role}: {r.status_code} {r.headers}")
                times = []
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    client.get(path, follow_redirects=False)
                    times.append(time.perf_counter() - t0)
                times.sort()
                every += times
                p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
                rows.append((role or "anonymous", path, statistics.median(times), p95))
    print(f"\n{'role':14} {'page':44} {'p50 ms':>8} {'p95 ms':>8}")
    for role, path, p50, p95 in rows:
        print(f"{role:14} {path:44} {p50 * 1000:>8.1f} {p95 * 1000:>8.1f}")
    worst = max(rows, key=lambda r: r[2])
    print(
        f"\nall pages: p50 {statistics.median(every) * 1000:.1f} ms over {len(every)} requests; "
        f"slowest page p50 {worst[2] * 1000:.1f} ms ({worst[1]})"
    )


if __name__ == "__main__":
    main()
