"""SQL statements per request, for every GET operation of the API and the main pages of each role.

A real server (uvicorn in a thread) runs over a demo-like database: the demo accounts and a few
filed projects with their materials.  SQLAlchemy's ``before_cursor_execute`` on the app's engine
counts the statements each request issues; an ASGI wrapper puts a per-request key in a context
variable, which follows the request into the handler's worker thread (statements of background
jobs have no key and are not counted).  Transaction control (``BEGIN``) is not counted.

Two rules (issue 16, target 2):

* **At most** :data:`LIMIT` statements per request, every page and operation alike.  Eight is
  what a page needs when each thing it shows comes in one query: the subject row, its children,
  the names those refer to, one or two aggregates, plus the checks of the user's rights —
  anything above that is a query per item.
* **No N+1**: every operation is called with 2 projects in the database and again with 20
  (list endpoints then return ten times the items); the count may not grow.
"""

from __future__ import annotations

import contextvars
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from access.actor import Actor
from agent_service.services.assignment import assign_on_filing
from api.app import create_app
from api.auth import TOKEN_COOKIE
from api.seed import DEMO_PASSWORD, reviewer_username, seed_demo_accounts
from api.settings import Settings
from approvals.orm import ActivitySupervisionRow
from approvals.samples import sample_project_doc
from approvals.service import work_calendar
from approvals.services import filing, intermediaries, materials
from storage.engine import begin_write, make_engine, make_session_factory
from tests.e2e.conftest import free_port, run_server

#: The most statements a request may issue (see the module's docstring for why eight).
LIMIT = 8
#: Every page's header shows the user's unread notifications (issue 15): read together with the
#: cache version this costs nothing; a page whose first statement reads the version (its
#: project's, its task's) has the count ride along (``api.pages.layout.header_first``).  The
#: project page, which shows the most sources, reads its agent and commitment with the project
#: (``queries.get_project_with``) to stay within the limit.
TODAY = date(2026, 3, 2)
PDF = b"%PDF-1.7\n%statement count\n"

_request_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sql_count_key", default=None
)


@dataclass
class Counter:
    counts: dict[str, int] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=itertools.count)

    def on_execute(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        key = _request_key.get()
        if key is None or statement.lstrip().upper().startswith("BEGIN"):
            return
        self.counts[key] = self.counts.get(key, 0) + 1
        self.statements.setdefault(key, []).append(statement.split("\n")[0][:160])

    def wrap(self, app: Any) -> Any:
        async def counted(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            key = dict(scope.get("headers") or []).get(b"x-count-key", b"").decode() or None
            token = _request_key.set(key)
            try:
                await app(scope, receive, send)
            finally:
                _request_key.reset(token)

        return counted


def add_projects(session_factory: Any, start: int, stop: int) -> None:
    """Projects ``start``..``stop-1`` filed by the two demo enterprises, every material uploaded."""
    with session_factory() as session:
        begin_write(session)
        accounts = seed_demo_accounts(session)
        calendar = work_calendar(session)
        doc = sample_project_doc()
        for i in range(start, stop):
            owner = accounts.users["enterprise1" if i % 2 == 0 else "enterprise2"]
            actor = Actor(owner.username, "enterprise", owner.id, enterprise_id=owner.enterprise_id)
            p = filing.file_project(
                session,
                actor,
                calendar,
                name=f"计数项目{i}",
                attributes=doc["attributes"],
                regional_assessments=doc["regional_assessments"],
                filed_on=TODAY,
            )
            assign_on_filing(session, p, TODAY)
            # the 中介超市: the demo's first intermediary writes every project's 环评 report
            org = accounts.intermediaries[0]
            chosen = intermediaries.choose(session, actor, p.id, "I-EIA", org.id, TODAY)
            # and is late: a 督办 record for GET /api/supervisions to list
            session.add(
                ActivitySupervisionRow(
                    activity_id=chosen.id,
                    project_id=p.id,
                    intermediary_id=org.id,
                    level="overdue",
                    raised_on=TODAY,
                    due_on=TODAY,
                    overdue_workdays=1,
                )
            )
            for m in p.baseline["materials"]:
                if not m["provided_by"]:
                    materials.upload_material(
                        session, actor, p.id, m["code"], f"{m['code']}.pdf", PDF, TODAY, calendar
                    )
        session.commit()


@dataclass
class Counted:
    url: str
    counter: Counter
    factory: Any
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> str:
        if username not in self.tokens:
            r = httpx.post(
                f"{self.url}/api/auth/login",
                json={"username": username, "password": DEMO_PASSWORD},
                timeout=30,
            )
            assert r.status_code == 200, r.text
            self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def get(self, path: str, username: str | None) -> tuple[int, int, list[str]]:
        """(status, statements, the statements' first lines) of one GET."""
        key = f"k{next(self.counter.ids)}"
        headers = {"x-count-key": key}
        cookies = {}
        if username:
            headers["Authorization"] = f"Bearer {self.token(username)}"
            cookies[TOKEN_COOKIE] = self.token(username)
        r = httpx.get(
            f"{self.url}{path}",
            headers=headers,
            cookies=cookies,
            timeout=60,
            follow_redirects=False,
        )
        return r.status_code, self.counter.counts.get(key, 0), self.counter.statements.get(key, [])


@pytest.fixture
def counted(db_url: str) -> Iterator[Counted]:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    add_projects(factory, 0, 2)
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter.on_execute)
    settings = Settings(database_url=db_url, today=TODAY)
    app = create_app(settings, engine=engine)
    port = free_port()
    server, thread = run_server(counter.wrap(app), port)
    yield Counted(f"http://127.0.0.1:{port}", counter, factory)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


#: Who calls each API operation (the most statements of their successful answers counts);
#: "reviewer" and "agent" are the reviewer of a department with a task and the project's agent.
USERS = ["admin", "regulator1", "enterprise1", "reviewer", "agent", "intermediary1"]

#: The main pages of each role (path ids are filled in like the API's).
PAGES = {
    None: ["/", "/login", "/register", "/public/commitments"],
    "enterprise1": [
        "/enterprise",
        "/notifications",
        "/projects/{project_id}",
        "/projects/{project_id}/audit",
        "/enterprise/projects/new",
        "/projects/{project_id}/activities/{activity_code}/market",
        "/enterprise/credit",
    ],
    "intermediary1": ["/intermediary"],
    "reviewer": [
        "/reviewer",
        "/reviewer/done",
        "/tasks/{task_id}",
        "/projects/{project_id}",
        "/stats",
    ],
    "regulator1": ["/regulator", "/regulator/commitments", "/map", "/projects/{project_id}"],
    "admin": [
        "/admin/projects",
        "/admin/jobs",
        "/admin/catalog",
        "/admin/catalog/versions",
        "/admin/catalog/items/S1-01",
        "/admin/catalog/new",
        "/admin/calendar",
        "/admin/users",
        "/admin/users/{user_id}",
        "/admin/plots",
        "/admin/agents",
        "/admin/ratings",
        "/admin/prices",
        "/stats",
        "/map/compliance",
        "/admin/intermediaries",
    ],
    "agent": [
        "/agent",
        "/agent/projects",
        "/agent/alerts",
        "/agents/{agent_id}",
        "/projects/{project_id}/agent",
        "/projects/{project_id}/checklist",
        "/projects/{project_id}/meetings",
    ],
}
#: Operations that are not about the database (process metrics) or stream a file.
SKIP = {"/metrics", "/schema/openapi.json"}


def _ids(c: Counted) -> dict[str, Any]:
    """Path ids from the seeded data (enterprise1's first project, its agent, a task of it)
    and who plays "reviewer" and "agent"."""
    h = {"Authorization": f"Bearer {c.token('enterprise1')}"}
    projects = httpx.get(f"{c.url}/api/projects?size=200", headers=h, timeout=30).json()["items"]
    pid = projects[0]["id"]
    ms = httpx.get(f"{c.url}/api/projects/{pid}/materials", headers=h, timeout=30).json()["uploads"]
    ah = {"Authorization": f"Bearer {c.token('admin')}"}
    tasks = httpx.get(f"{c.url}/api/projects/{pid}/tasks", headers=ah, timeout=30).json()
    task = (tasks["items"] if isinstance(tasks, dict) else tasks)[0]
    agent = httpx.get(f"{c.url}/api/projects/{pid}/agent", headers=ah, timeout=30).json()
    users = httpx.get(f"{c.url}/api/users", headers=ah, timeout=30).json()
    users = users["items"] if isinstance(users, dict) else users
    agent_id = (agent.get("agent") or {}).get("id") or agent.get("agent_user_id")
    agent_name = next((u["username"] for u in users if u["id"] == agent_id), "agent1")
    mine = httpx.get(
        f"{c.url}/api/intermediary/activities",
        headers={"Authorization": f"Bearer {c.token('intermediary1')}"},
        timeout=30,
    ).json()["items"]
    return {
        "activity_code": "I-EIA",
        "activity_id": mine[0]["id"],
        "project_id": pid,
        "material_id": ms[0]["id"] if ms else 1,
        "task_id": task["id"],
        "agent_id": agent_id or 1,
        "user_id": agent_id or 1,
        "code": task["department"],
        "year": 2026,
        "zone": "330110",
        "collection_id": "plots",
        "seq": 1,
        "reviewer": reviewer_username(task["department"]),
        "agent": agent_name,
    }


def _operations(c: Counted) -> list[str]:
    schema = httpx.get(f"{c.url}/schema/openapi.json", timeout=30).json()
    return [p for p, ops in schema["paths"].items() if "get" in ops and p not in SKIP]


def measure(c: Counted) -> dict[str, tuple[int, list[str], list[tuple[str | None, int]]]]:
    """Per operation or page: the most statements any role's successful answer took."""
    ids = _ids(c)
    out: dict[str, tuple[int, list[str], list[tuple[str | None, int]]]] = {}

    def who(u: str | None) -> str | None:
        return ids.get(u, u) if u else None

    targets = [(p, [who(u) for u in USERS]) for p in _operations(c)]
    targets += [(p, [who(u)]) for u, pages in PAGES.items() for p in pages]
    for path, users in targets:
        names = re.findall(r"{(\w+)}", path)
        if any(n not in ids for n in names):
            out[path] = (-1, [f"no id for {names}"], [])
            continue
        filled = path.format(**{n: ids[n] for n in names})
        best = (0, [], [])
        statuses = []
        for u in users:
            status, n, stmts = c.get(filled, u)
            statuses.append((u, status))
            if 200 <= status < 300 and n >= best[0]:
                best = (n, stmts, statuses)
        out[path] = (best[0], best[1], statuses)
    return out


def test_statements_per_request(counted: Counted, backend: str) -> None:
    small = measure(counted)
    add_projects(counted.factory, 2, 20)
    large = measure(counted)
    lines = [f"{'operation or page':58} {'2':>4} {'20':>4}"]
    too_many, grows = [], []
    for path in small:
        a, b = small[path][0], large[path][0]
        ok = any(200 <= s < 300 for _, s in large[path][2])
        note = "" if ok else f"  (not measured: {large[path][1] or large[path][2]})"
        lines.append(f"{path:58} {a:>4} {b:>4}{note}")
        if b > LIMIT:
            too_many.append(f"{path}: {b}\n    " + "\n    ".join(large[path][1]))
        if b > a:
            grows.append(f"{path}: {a} → {b}")
    print(f"\nSQL statements per request ({backend}):\n" + "\n".join(lines))
    assert not too_many, f"more than {LIMIT} statements:\n" + "\n".join(too_many)
    assert not grows, "grows with the size of a list (N+1):\n" + "\n".join(grows)
