"""The HTTP API over a real server: roles, one-window filing, parallel review, idempotency,
stale versions, concurrency and the documented statuses."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from approvals.samples import sample_project_doc
from storage.audit import AuditRow
from storage.engine import make_engine, make_session_factory

PDF = b"%PDF-1.7\n%onetrip test\n"


def file_sample(client, name="测试项目", **extra):
    doc = sample_project_doc()
    body = {
        "name": name,
        "attributes": doc["attributes"],
        "regional_assessments": doc["regional_assessments"],
        **extra,
    }
    return client.post("/api/projects", json=body)


def task_for(client, project_id, step):
    tasks = client.get(f"/api/projects/{project_id}/tasks").json()["items"]
    return next(t for t in tasks if t["step_code"] == step)


def test_login_tokens_and_anonymous_callers(live):
    anon = live.client()
    assert anon.get("/api/projects").status_code == 401
    r = anon.post("/api/auth/login", json={"username": "enterprise1", "password": "wrong"})
    assert r.status_code == 401 and "密码" in r.json()["detail"]
    assert anon.post("/api/auth/login", json={"username": "enterprise1"}).status_code == 400
    me = live.client("enterprise1").get("/api/me").json()
    assert me["role"] == "enterprise" and me["enterprise_id"] == 1
    # a forged token (signed with another key) and an expired one are refused
    import jwt

    now = datetime.now(UTC)
    claims = {"exp": now + timedelta(minutes=5), "sub": "1", "usr": "admin", "role": "admin"}
    forged = jwt.encode(claims, "x" * 48, "HS256")
    r = anon.get("/api/projects", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and "invalid" in r.json()["detail"]
    engine = make_engine(live.db_url)
    with make_session_factory(engine)() as s:
        from access.orm import AppSecretRow

        key = s.get(AppSecretRow, "token_signing_key").value
    engine.dispose()
    expired = jwt.encode(
        {
            "exp": now - timedelta(seconds=5),
            "iat": now - timedelta(minutes=31),
            "sub": "1",
            "usr": "admin",
            "role": "admin",
        },
        key,
        "HS256",
    )
    r = anon.get("/api/projects", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_login_is_rate_limited(live):
    anon = live.client()
    codes = [
        anon.post(
            "/api/auth/login", json={"username": "agent1", "password": f"guess{i}"}
        ).status_code
        for i in range(7)
    ]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    assert (
        "Retry-After"
        in anon.post("/api/auth/login", json={"username": "agent1", "password": "x"}).headers
    )


def test_enterprises_see_only_their_own_projects(live):
    e1, e2 = live.client("enterprise1"), live.client("enterprise2")
    r = file_sample(e1)
    assert r.status_code == 201, r.text
    project = r.json()
    assert project["code"].startswith("2026-330110-34-03-") or project["code"][4:12] == "-330110-"
    assert {m["code"] for m in project["notice"]["materials_to_submit"]} >= {"M-filing-form"}
    assert all(m["provided_by"] for m in project["notice"]["certificates_passed_on"])
    pid = project["id"]
    assert e2.get(f"/api/projects/{pid}").status_code == 404
    assert e2.get(f"/api/projects/{pid}/plan").status_code == 404
    assert [p["id"] for p in e1.get("/api/projects").json()["items"]] == [pid]
    assert e2.get("/api/projects").json()["items"] == []
    assert live.client("regulator1").get(f"/api/projects/{pid}").status_code == 200
    assert file_sample(live.client("regulator1")).status_code == 403
    plan = e1.get(f"/api/projects/{pid}/plan").json()
    # just filed: on plan on both clocks (the review steps after the planned design and
    # construction), later than the government's clock alone, nobody's delay yet
    assert plan["plan_finish"] == plan["predicted_finish"] and plan["steps"]
    assert plan["predicted_finish"] > plan["baseline_finish"] and plan["variance_workdays"] == 0
    assert plan["finish_delays"] == {
        "department": 0, "enterprise": 0, "intermediary": 0, "note": ""
    }  # fmt: skip
    summary = e1.get(f"/api/projects/{pid}").json()
    assert summary["plan_finish"] == plan["plan_finish"]
    assert summary["finish_delays"]["department"] == 0


def test_incomplete_questionnaire_and_malformed_bodies_are_4xx(live):
    e1 = live.client("enterprise1")
    r = e1.post("/api/projects", json={"name": "缺少答案", "attributes": {"industry": "equipment"}})
    assert r.status_code == 422 and "land_source" in r.json()["detail"]
    r = e1.post("/api/projects", content=b'{"name": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    r = e1.post("/api/projects", json={"name": "x", "colour": "red"})
    assert r.status_code == 400 and "colour" in r.text
    assert e1.get("/api/projects/999999").status_code == 404
    assert e1.get("/api/projects/abc").status_code in {400, 404}


def test_parallel_review_over_http(live):
    e1 = live.client("enterprise1")
    pid = file_sample(e1).json()["id"]
    fgw = live.client("reviewer-fgw")
    work = fgw.get("/api/tasks").json()["items"]
    task = next(t for t in work if t["project_id"] == pid and t["step_code"] == "S1-01")
    # acting before the material is there names it
    r = fgw.post(f"/api/tasks/{task['id']}/accept", json={"version": task["version"]})
    assert r.status_code == 422 and "M-filing-form" in r.json()["detail"]
    up = e1.post(
        f"/api/projects/{pid}/materials",
        data={"code": "M-filing-form"},
        files={"file": ("备案表.pdf", PDF, "application/pdf")},
    )
    assert up.status_code == 201, up.text
    r = fgw.post(f"/api/tasks/{task['id']}/accept", json={"version": task["version"]})
    assert r.status_code == 200, r.text
    accepted = r.json()
    # another department cannot see it, a regulator cannot decide it
    assert live.client("reviewer-zjj").get(f"/api/tasks/{task['id']}").status_code == 404
    assert (
        live.client("regulator1").post(f"/api/tasks/{task['id']}/approve", json={}).status_code
        == 403
    )
    # a decision on a stale version is refused
    assert (
        fgw.post(f"/api/tasks/{task['id']}/approve", json={"version": task["version"]}).status_code
        == 409
    )
    r = fgw.post(f"/api/tasks/{task['id']}/approve", json={"version": accepted["version"]})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    # the certificate is passed on and the next departments work at the same time
    certs = e1.get(f"/api/projects/{pid}/certificates").json()["items"]
    assert [c["code"] for c in certs] == ["C-project-code"]
    ready = {
        t["step_code"]: t["department"]
        for t in e1.get(f"/api/projects/{pid}/tasks").json()["items"]
        if t["status"] == "ready"
    }
    assert {"S1-02", "S1-05", "S1-06", "S1-07"} <= set(ready)
    assert len(set(ready.values())) >= 3
    # 好差评 for the completed item
    assert (
        e1.post(
            f"/api/projects/{pid}/ratings",
            json={"step": "S1-01", "score": 5, "comment": "当日办结"},
        ).status_code
        == 201
    )
    assert (
        e1.post(f"/api/projects/{pid}/ratings", json={"step": "S1-01", "score": 6}).status_code
        == 400
    )
    audit = live.client("regulator1").get(f"/api/projects/{pid}/audit").json()["items"]
    assert [a["action"] for a in audit][:5] == [
        "project.file",
        "agent.assign",  # an agent (代办员) is assigned by rule on filing
        "material.upload",
        "task.accept",
        "task.approve",
    ]


def test_idempotency_key_acts_once(live):
    e1 = live.client("enterprise1")
    headers = {"Idempotency-Key": "file-once-123"}
    doc = sample_project_doc()
    body = {
        "name": "幂等申报",
        "attributes": doc["attributes"],
        "regional_assessments": doc["regional_assessments"],
    }
    first = e1.post("/api/projects", json=body, headers=headers)
    again = e1.post("/api/projects", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert (
        first.json()["id"] == again.json()["id"]
        and again.headers.get("Idempotency-Replayed") == "true"
    )
    assert len(e1.get("/api/projects").json()["items"]) == 1
    different = e1.post("/api/projects", json={**body, "name": "另一个"}, headers=headers)
    assert different.status_code == 409


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_decisions_on_one_project_both_succeed(live):
    e1 = live.client("enterprise1")
    pid = file_sample(e1).json()["id"]
    e1.post(
        f"/api/projects/{pid}/materials",
        data={"code": "M-filing-form"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    fgw = live.client("reviewer-fgw")
    t = task_for(e1, pid, "S1-01")
    v = fgw.post(f"/api/tasks/{t['id']}/accept", json={}).json()["version"]
    fgw.post(f"/api/tasks/{t['id']}/approve", json={"version": v})
    # three departments now hold ready tasks on the same project; they all accept at once
    wanted = {"S1-05": "fgw", "S1-06": "sthj", "S1-07": "sl"}
    for m in ("M-energy-report", "M-eia-report", "M-soil-water-plan"):
        e1.post(
            f"/api/projects/{pid}/materials",
            data={"code": m},
            files={"file": (f"{m}.pdf", PDF + m.encode(), "application/pdf")},
        )
    tasks = {code: task_for(e1, pid, code) for code in wanted}
    clients = {code: live.client(f"reviewer-{dept}") for code, dept in wanted.items()}
    barrier = threading.Barrier(len(wanted))
    results: dict[str, int] = {}

    def act(code: str) -> None:
        barrier.wait()
        r = clients[code].post(
            f"/api/tasks/{tasks[code]['id']}/accept", json={"version": tasks[code]["version"]}
        )
        results[code] = r.status_code

    threads = [threading.Thread(target=act, args=(c,)) for c in wanted]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == {c: 200 for c in wanted}
    # the same idempotency key sent twice at the same moment acts once
    approve = {code: task_for(e1, pid, code) for code in wanted}
    code = "S1-06"
    barrier2 = threading.Barrier(2)
    statuses: list[int] = []

    def twice() -> None:
        barrier2.wait()
        r = clients[code].post(
            f"/api/tasks/{approve[code]['id']}/approve",
            json={"version": approve[code]["version"]},
            headers={"Idempotency-Key": "approve-eia"},
        )
        statuses.append(r.status_code)

    ts = [threading.Thread(target=twice) for _ in range(2)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    assert statuses == [200, 200]
    engine = make_engine(live.db_url)
    with make_session_factory(engine)() as s:
        n = s.scalar(
            select(func.count())
            .select_from(AuditRow)
            .where(
                AuditRow.action == "task.approve", AuditRow.entity_id == str(approve[code]["id"])
            )
        )
    engine.dispose()
    assert n == 1


def test_no_handler_is_wrapped_twice(live):
    """Regression: litestar 2.25 double-wraps sync handlers registered one by one on a shared
    path; the rating POST (sharing its path with a GET) then answered 500."""
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(database_url=live.db_url))
    doubled = [
        (route.path, sorted(h.http_methods))
        for route in app.routes
        for h in getattr(route, "route_handlers", [])
        if type(getattr(h.fn, "func", None)).__name__ == "AsyncCallable"
    ]
    assert doubled == []


def test_every_operation_documents_its_statuses(live):
    spec = live.client().get("/schema/openapi.json").json()
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op.get("responses", {}))
            public = op.get("security") in ([], [{}])
            if not public and "401" not in codes:
                missing.append(f"{method.upper()} {path}: 401")
            if "requestBody" in op and not ({"400", "422"} & codes):
                missing.append(f"{method.upper()} {path}: 400/422")
            if "{" in path and "404" not in codes and not path.startswith("/ogc"):
                missing.append(f"{method.upper()} {path}: 404")
    assert not missing, missing
