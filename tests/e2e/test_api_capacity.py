"""Department capacity over HTTP: roles, queues, forecasts."""

from __future__ import annotations

import time

from approvals.samples import sample_project_doc


def test_capacity_roles_queue_and_forecast(live):
    admin, reviewer, other, e1 = (
        live.client(u) for u in ("admin", "reviewer-fgw", "reviewer-zjj", "enterprise1")
    )
    doc = sample_project_doc()
    pid = e1.post(
        "/api/projects",
        json={
            "name": "排队预测",
            "attributes": doc["attributes"],
            "regional_assessments": doc["regional_assessments"],
        },
    ).json()["id"]
    assert reviewer.get("/api/departments/fgw/capacity").json()["reviewers"] == 2
    assert other.get("/api/departments/fgw/capacity").status_code == 403  # another department
    assert e1.get("/api/departments/fgw/queue").status_code == 403
    assert (
        reviewer.put("/api/departments/fgw/capacity", json={"reviewers": 1}).status_code == 403
    )  # admins set it
    r = admin.put("/api/departments/fgw/capacity", json={"reviewers": 1})
    assert r.status_code == 200 and r.json()["reviewers"] == 1
    assert admin.put("/api/departments/fgw/capacity", json={"reviewers": 0}).status_code == 400
    assert admin.put("/api/departments/nowhere/capacity", json={"reviewers": 1}).status_code == 404
    r = admin.post(
        "/api/departments/fgw/absences", json={"on": "2030-01-07", "absent": 1, "reason": "培训"}
    )
    assert r.status_code == 200
    assert (
        admin.post(
            "/api/departments/fgw/absences", json={"on": "not a date", "absent": 1}
        ).status_code
        == 400
    )
    # the server recomputes in the background after events: the queue says when it is pending
    deadline = time.monotonic() + 10
    queue = reviewer.get("/api/departments/fgw/queue").json()
    while queue["pending"] and time.monotonic() < deadline:
        time.sleep(0.1)
        queue = reviewer.get("/api/departments/fgw/queue").json()
    assert not queue["pending"]
    assert (
        queue["items"]
        and queue["items"][0]["rank"] == 1
        and queue["run"]["method"] in {"incremental", "rcpsp"}
    )
    full = admin.post("/api/admin/capacity/recompute", json={"full": True, "time_limit": 0.5})
    assert full.status_code == 200 and full.json()["method"] == "rcpsp"
    forecast = e1.get(f"/api/projects/{pid}/capacity-forecast").json()
    assert forecast["capacity"]["finish_on"] >= forecast["baseline_finish"][:4]
    assert (
        live.client("enterprise2").get(f"/api/projects/{pid}/capacity-forecast").status_code == 404
    )
