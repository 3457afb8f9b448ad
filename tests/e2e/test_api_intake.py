"""Intake over HTTP: 受理前一次性告知补正, the 受理时限 and 不予受理 (apart from 不予许可)."""

from __future__ import annotations

from tests.e2e.test_api_workflow import PDF, file_sample


def _intake_task(live, e1, pid):
    fgw = live.client("reviewer-fgw")
    work = fgw.get("/api/tasks").json()["items"]
    task = next(t for t in work if t["project_id"] == pid and t["step_code"] == "S1-01")
    return fgw, task


def test_intake_notice_supply_and_acceptance_over_http(live):
    e1 = live.client("enterprise1")
    pid = file_sample(e1).json()["id"]
    fgw, task = _intake_task(live, e1, pid)
    assert task["status"] == "ready" and task["intake_due_on"] and not task["intake_overdue"]
    url = f"/api/tasks/{task['id']}/intake-corrections"
    # only the task's department decides; the notice must name materials
    assert (
        live.client("regulator1").post(url, json={"materials": ["M-filing-form"]}).status_code
        == 403
    )
    assert fgw.post(url, json={"materials": []}).status_code == 400
    r = fgw.post(url, json={"materials": ["M-filing-form"], "version": task["version"]})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "corrections" and out["stop_kind"] == "intake"
    assert out["corrections"][-1]["stage"] == "intake"
    assert out["corrections"][-1]["materials"] == ["M-filing-form"]
    assert out["intake_due_on"] is None  # the intake clock is stopped
    # the enterprise supplies the material through the usual 补正 flow
    up = e1.post(
        f"/api/projects/{pid}/materials",
        data={"code": "M-filing-form"},
        files={"file": ("备案表.pdf", PDF, "application/pdf")},
    )
    assert up.status_code == 201, up.text
    r = e1.post(f"/api/projects/{pid}/resubmissions", json={"task_id": task["id"]})
    assert r.status_code == 200, r.text
    back = fgw.get(f"/api/tasks/{task['id']}").json()
    assert back["status"] == "ready" and back["intake_due_on"]
    # once only
    assert fgw.post(url, json={"materials": ["M-filing-form"]}).status_code in {400, 422}
    r = fgw.post(f"/api/tasks/{task['id']}/accept", json={})
    assert r.status_code == 200 and r.json()["status"] == "in_review", r.text


def test_refusal_at_intake_over_http(live):
    e1 = live.client("enterprise1")
    pid = file_sample(e1).json()["id"]
    fgw, task = _intake_task(live, e1, pid)
    url = f"/api/tasks/{task['id']}/refuse"
    assert fgw.post(url, json={}).status_code == 400  # reasons required
    r = fgw.post(url, json={"reasons": "不属于本部门职权范围"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "refused" and r.json()["note"] == "不属于本部门职权范围"
    assert e1.get(f"/api/projects/{pid}").json()["status"] == "refused"
    # refused is final: neither accepted nor rejected afterwards
    assert fgw.post(f"/api/tasks/{task['id']}/accept", json={}).status_code == 409
