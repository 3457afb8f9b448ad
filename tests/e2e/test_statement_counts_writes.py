"""SQL statements per request of the main write operations (issue 16, target 2).

The GETs are counted in :mod:`tests.e2e.test_statement_counts`; this module counts the writes the
users make, over HTTP on the same real server and with the same counter: an enterprise files a
project and uploads a material, reports progress on its own activity and chooses an intermediary
(中介超市); a reviewer accepts (受理) a task, approves it (准予许可), asks for corrections (补正)
and refuses one (不予受理).

Each write is made once with 2 projects in the database and once with 20 (on a project filed for
the round, so each finds the same state): the count may not grow (no N+1) and may not pass the
operation's budget in :data:`WRITE_BUDGET` (a write does more than a page: it checks, changes,
records and tells).
"""

from __future__ import annotations

from typing import Any

import httpx

from access.actor import Actor
from api.seed import reviewer_username, seed_demo_accounts
from approvals.orm import ProjectRow
from approvals.samples import sample_project_doc
from approvals.service import work_calendar
from approvals.services import materials
from storage.engine import begin_write
from tests.e2e.test_statement_counts import (  # noqa: F401  (the fixture)
    LIMIT,
    PDF,
    TODAY,
    Counted,
    add_projects,
    counted,
)

#: The most statements each write may issue above :data:`LIMIT`, at its present constant count
#: (the larger of the two backends': SQLite writes the rows of an UPDATE one statement each where
#: PostgreSQL's driver batches those with the same columns — the filing's forecast; rows with a
#: version, the tasks, are written one by one on both, but for the tasks a decision makes ready:
#: one executemany).  Every decision locks the task's project
#: (found by the task) with its steps, their tasks and deferrals (the guards, the clock, the
#: roll-up), names the department (from the process's cache: no statement, but one SELECT of every
#: department when the cache version changed), writes the task, the project and an audit entry; then
#: re-plans (the project's activities) and records a capacity run; the answer reads the task's
#: corrections and its materials (certificates and uploads; 受理's answer reuses what it read).
WRITE_BUDGET = {
    # the plan: one INSERT per table but one UPDATE per step of the forecast on SQLite, the
    # agent's assignment (the agents' load), its notification, the answer's reads
    "POST /api/projects": 127,
    # 受理: + the materials and certificates checked (the answer's too), the step started
    "POST /api/tasks/{id}/accept": 14,  # 13 once the departments are cached
    # 准予许可: + the correction rounds and the figures rollup (task_figures and by kind), the
    # enterprise and agent told (the recipients not yet told, one INSERT), the step done, the
    # certificates issued (existing codes, the enterprise), the successors made ready (one
    # executemany UPDATE of their tasks: 4 with S1-01) and their departments told (the reviewers
    # with what they were told, one INSERT), the project's code date
    "POST /api/tasks/{id}/approve": 25,
    # the activity and its project's plan (re-forecast), an audit entry
    "POST /api/projects/{id}/activities/{code}/progress": 9,
    # the offer checked against the registry, the activity's clock started, audit, the answer
    "POST /api/projects/{id}/activities/{code}/intermediary": 11,
    # 补正: + the materials checked, the correction row, the enterprise and agent told
    "POST /api/tasks/{id}/corrections": 16,
    # 不予受理: + the open notices closed, the project closed, the enterprise and agent told
    "POST /api/tasks/{id}/refuse": 17,
}


def post(
    c: Counted, path: str, username: str, **kwargs: Any
) -> tuple[httpx.Response, int, list[str]]:
    """The answer, the statements and their first lines of one POST."""
    key = f"k{next(c.counter.ids)}"
    headers = {"x-count-key": key, "Authorization": f"Bearer {c.token(username)}"}
    r = httpx.post(f"{c.url}{path}", headers=headers, timeout=60, **kwargs)
    return r, c.counter.counts.get(key, 0), c.counter.statements.get(key, [])


def _get(c: Counted, path: str, username: str) -> Any:
    r = httpx.get(
        f"{c.url}{path}", headers={"Authorization": f"Bearer {c.token(username)}"}, timeout=60
    )
    assert r.status_code == 200, r.text
    return r.json()


def _upload_rest(c: Counted, pid: int, done: set[str]) -> None:
    """The enterprise's other materials, uploaded outside the counted requests."""
    with c.factory() as session:
        begin_write(session)
        accounts = seed_demo_accounts(session)
        owner = accounts.users["enterprise1"]
        actor = Actor(owner.username, "enterprise", owner.id, enterprise_id=owner.enterprise_id)
        calendar = work_calendar(session)
        for m in session.get(ProjectRow, pid).baseline["materials"]:
            if not m["provided_by"] and m["code"] not in done:
                materials.upload_material(
                    session, actor, pid, m["code"], f"{m['code']}.pdf", PDF, TODAY, calendar
                )
        session.commit()


def _tasks(c: Counted, pid: int) -> dict[str, dict[str, Any]]:
    """The project's tasks by step code (the first department's of a joint step)."""
    tasks = _get(c, f"/api/projects/{pid}/tasks?size=200", "admin")["items"]
    out: dict[str, dict[str, Any]] = {}
    for t in tasks:
        out.setdefault(t["step_code"], t)
    return out


def round_of_writes(c: Counted, spare: tuple[int, int]) -> dict[str, tuple[int, list[str]]]:
    """Every counted write once, on a project filed for the round (and, for 补正 and 不予受理,
    on two of :func:`add_projects`' projects, numbered ``spare``)."""
    out: dict[str, tuple[int, list[str]]] = {}

    def record(name: str, r: httpx.Response, n: int, stmts: list[str]) -> Any:
        assert 200 <= r.status_code < 300, f"{name}: {r.status_code} {r.text[:400]}"
        out[name] = (n, stmts)
        return r.json()

    doc = sample_project_doc()
    body = {
        "name": "计数写入",
        "attributes": doc["attributes"],
        "regional_assessments": doc["regional_assessments"],
    }
    pid = record("POST /api/projects", *post(c, "/api/projects", "enterprise1", json=body))["id"]
    needed = _get(c, f"/api/projects/{pid}/materials", "enterprise1")["needed"]
    first = next(m["code"] for m in needed if m["state"] == "missing")
    record(
        "POST /api/projects/{id}/materials",
        *post(
            c,
            f"/api/projects/{pid}/materials",
            "enterprise1",
            data={"code": first},
            files={"file": (f"{first}.pdf", PDF, "application/pdf")},
        ),
    )
    _upload_rest(c, pid, {first})

    # the reviewer: accept, then approve the first step (it unblocks several successors)
    task = _tasks(c, pid)["S1-01"]
    reviewer = reviewer_username(task["department"])
    t = record(
        "POST /api/tasks/{id}/accept",
        *post(c, f"/api/tasks/{task['id']}/accept", reviewer, json={"version": task["version"]}),
    )
    record(
        "POST /api/tasks/{id}/approve",
        *post(c, f"/api/tasks/{task['id']}/approve", reviewer, json={"version": t["version"]}),
    )
    after = _tasks(c, pid)
    assert sum(1 for s in after.values() if s["status"] == "ready") >= 2, after

    # the enterprise's own activity and the 中介超市
    record(
        "POST /api/projects/{id}/activities/{code}/progress",
        *post(
            c,
            f"/api/projects/{pid}/activities/E-SCHEME/progress",
            "enterprise1",
            json={"event": "start"},
        ),
    )
    market = _get(c, f"/api/projects/{pid}/activities/I-EIA/market", "enterprise1")
    record(
        "POST /api/projects/{id}/activities/{code}/intermediary",
        *post(
            c,
            f"/api/projects/{pid}/activities/I-EIA/intermediary",
            "enterprise1",
            json={"intermediary_id": market["offers"][0]["intermediary_id"]},
        ),
    )

    # 补正 on an accepted task and 不予受理 of a ready one, on two projects of add_projects
    projects = _get(c, "/api/projects?size=200", "admin")["items"]
    by_name = {p["name"]: p["id"] for p in projects}
    task = _tasks(c, by_name[f"计数项目{spare[0]}"])["S1-01"]
    reviewer = reviewer_username(task["department"])
    r, _, _ = post(c, f"/api/tasks/{task['id']}/accept", reviewer, json={})
    assert r.status_code == 200, r.text
    record(
        "POST /api/tasks/{id}/corrections",
        *post(
            c,
            f"/api/tasks/{task['id']}/corrections",
            reviewer,
            json={"reasons": "请补正", "materials": [first], "version": r.json()["version"]},
        ),
    )
    task = _tasks(c, by_name[f"计数项目{spare[1]}"])["S1-01"]
    record(
        "POST /api/tasks/{id}/refuse",
        *post(
            c,
            f"/api/tasks/{task['id']}/refuse",
            reviewer_username(task["department"]),
            json={"reasons": "不属于本部门职权范围", "version": task["version"]},
        ),
    )
    return out


def test_statements_per_write(counted: Counted, backend: str) -> None:  # noqa: F811
    small = round_of_writes(counted, (0, 1))
    add_projects(counted.factory, 2, 20)
    large = round_of_writes(counted, (2, 3))
    lines = [f"{'write':58} {'2':>4} {'20':>4}"]
    too_many, grows = [], []
    for name in small:
        a, b = small[name][0], large[name][0]
        lines.append(f"{name:58} {a:>4} {b:>4}")
        if b > WRITE_BUDGET.get(name, LIMIT):
            too_many.append(f"{name}: {b}\n    " + "\n    ".join(large[name][1]))
        if b > a:
            grows.append(f"{name}: {a} → {b}")
    print(f"\nSQL statements per write ({backend}):\n" + "\n".join(lines))
    assert not too_many, f"more than {LIMIT} statements (or the budget):\n" + "\n".join(too_many)
    assert not grows, "grows with the size of a list (N+1):\n" + "\n".join(grows)
