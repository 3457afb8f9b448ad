"""Kept project answers (api.answers) over real HTTP, with two servers on one database: what one
server, a job or a tool changes shows at once on the other, whose answers were kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from api.app import create_app
from api.settings import Settings
from storage.engine import make_engine
from tests.e2e.conftest import LiveServer, free_port, run_server
from tests.e2e.test_api_workflow import PDF, file_sample


@pytest.fixture
def two(live: LiveServer) -> Iterator[tuple[LiveServer, LiveServer, object]]:
    """``live`` and a second server (its own process state: pool, caches) on the same database;
    the second's app too, to read its cache's counters."""
    app = create_app(Settings(database_url=live.db_url))
    port = free_port()
    server, thread = run_server(app, port)
    yield live, LiveServer(f"http://127.0.0.1:{port}", live.db_url), app
    server.should_exit = True
    thread.join(timeout=10)


def _task(plan: dict, step: str) -> dict:
    return next(t for s in plan["steps"] if s["code"] == step for t in s["tasks"])


def test_a_change_made_anywhere_shows_on_the_other_server(two):
    a, b, b_app = two
    e1_a, e1_b = a.client("enterprise1"), b.client("enterprise1")
    pid = file_sample(e1_a).json()["id"]
    plan = e1_b.get(f"/api/projects/{pid}/plan").json()
    detail = e1_b.get(f"/api/projects/{pid}").json()
    listed = e1_b.get("/api/projects").json()["items"]
    trail = e1_b.get(f"/api/projects/{pid}/audit").json()["items"]
    assert listed == [detail]  # the summary a list shows is the detail's
    answers = b_app.state.answers
    hits = answers.hits
    # asked again, unchanged: the same answers, kept
    assert e1_b.get(f"/api/projects/{pid}/plan").json() == plan
    assert e1_b.get(f"/api/projects/{pid}").json() == detail
    assert e1_b.get("/api/projects").json()["items"] == listed
    assert answers.hits == hits + 3
    # and the operators see how often (Prometheus)
    metrics = b.client().get("/metrics").text
    assert 'onetrip_kept_answers_total{kind="plan",outcome="hit"}' in metrics
    assert 'onetrip_kept_answers_total{kind="summary",outcome="miss"}' in metrics
    assert _task(plan, "S1-01")["status"] == "ready"

    # a material uploaded and a decision made through server A ...
    up = e1_a.post(
        f"/api/projects/{pid}/materials",
        data={"code": "M-filing-form"},
        files={"file": ("备案表.pdf", PDF, "application/pdf")},
    )
    assert up.status_code == 201, up.text
    fgw = a.client("reviewer-fgw")
    task = _task(plan, "S1-01")
    r = fgw.post(f"/api/tasks/{task['id']}/accept", json={"version": task["version"]})
    assert r.status_code == 200, r.text
    # ... show on server B at once
    after = e1_b.get(f"/api/projects/{pid}/plan").json()
    assert _task(after, "S1-01")["status"] == "in_review"
    steps = e1_b.get(f"/api/projects/{pid}").json()["steps"]
    assert steps.get("in_progress") == 1 and steps != detail["steps"]
    assert e1_b.get("/api/projects").json()["items"][0]["steps"] == steps
    actions = [e["action"] for e in e1_b.get(f"/api/projects/{pid}/audit").json()["items"]]
    assert actions[: len(trail)] == [e["action"] for e in trail] and "task.accept" in actions

    # a write outside the API (a tool, a job, an administrator's SQL) shows too
    engine = make_engine(a.db_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE steps SET name = :n WHERE project_id = :p AND code = 'S1-01'"),
            {"n": "项目备案（改）", "p": pid},
        )
        conn.execute(text("UPDATE enterprises SET name = :n WHERE id = 1"), {"n": "改名企业"})
    engine.dispose()
    renamed = e1_b.get(f"/api/projects/{pid}/plan").json()
    assert next(s for s in renamed["steps"] if s["code"] == "S1-01")["name"] == "项目备案（改）"
    assert e1_b.get(f"/api/projects/{pid}").json()["enterprise"]["name"] == "改名企业"
    assert e1_b.get("/api/projects").json()["items"][0]["enterprise"]["name"] == "改名企业"


def test_who_may_see_is_checked_before_the_kept_answer(two):
    a, b, _ = two
    pid = file_sample(a.client("enterprise1")).json()["id"]
    e1 = b.client("enterprise1")
    assert e1.get(f"/api/projects/{pid}/plan").status_code == 200  # kept now
    assert e1.get(f"/api/projects/{pid}").status_code == 200
    assert e1.get(f"/api/projects/{pid}/audit").status_code == 200
    e2 = b.client("enterprise2")
    for path in (f"/api/projects/{pid}/plan", f"/api/projects/{pid}", f"/api/projects/{pid}/audit"):
        r = e2.get(path)
        assert r.status_code == 404 and str(pid) in r.json()["detail"]
    assert b.client("reviewer-rfb").get(f"/api/projects/{pid}/plan").status_code == 404
    assert b.client("regulator1").get(f"/api/projects/{pid}/plan").status_code == 200


def test_each_language_keeps_its_own_answer(two):
    a, b, _ = two
    pid = file_sample(a.client("enterprise1")).json()["id"]
    e1 = b.client("enterprise1")
    zh = e1.get(f"/api/projects/{pid}/plan").json()
    en = e1.get(f"/api/projects/{pid}/plan", headers={"Accept-Language": "en"}).json()
    zh_again = e1.get(f"/api/projects/{pid}/plan").json()
    assert zh == zh_again
    assert zh["steps"][0]["name"] != en["steps"][0]["name"] or zh["changes"] != en["changes"]
