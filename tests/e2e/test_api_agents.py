"""Proxy agents over a real HTTP server: assignment on filing, roles (another agent gets 404,
the enterprise sees its agent's contact, only administrators reassign), the 代办清单, meetings,
the inbox, the dashboard, the workload, and the calendar parsed with ``icalendar``."""

from __future__ import annotations

from icalendar import Calendar

from tests.e2e.test_api_workflow import file_sample


def test_agents_over_http(live):
    e1, e2 = live.client("enterprise1"), live.client("enterprise2")
    a1, a2 = live.client("agent1"), live.client("agent2")
    admin, regulator = live.client("admin"), live.client("regulator1")
    agent1_id = a1.get("/api/me").json()["id"]
    agent2_id = a2.get("/api/me").json()["id"]

    r = file_sample(e1)  # an equipment factory in 330110: agent1's
    assert r.status_code == 201, r.text
    project = r.json()
    pid, filed_on = project["id"], project["filed_on"]
    assert project["agent"]["name"] == "代办员 张敏" and project["agent_user_id"] == agent1_id

    # the enterprise sees its agent's name and contact; another enterprise gets 404
    mine = e1.get(f"/api/projects/{pid}/agent").json()["agent"]
    assert mine["phone"] == "0571-86001234" and mine["email"] == "agent1@example.org"
    assert e2.get(f"/api/projects/{pid}/agent").status_code == 404
    assert e1.get(f"/api/projects/{pid}/checklist").status_code == 403

    # the agent sees the projects assigned to them; another agent gets 404
    assert [p["id"] for p in a1.get("/api/agents/me/projects").json()["items"]] == [pid]
    assert a2.get("/api/agents/me/projects").json()["items"] == []
    for path in ("checklist", "milestones", "meetings", "agent/history"):
        assert a2.get(f"/api/projects/{pid}/{path}").status_code == 404, path
    checklist = a1.get(f"/api/projects/{pid}/checklist").json()
    assert [p["name"] for p in checklist["phases"]] == ["落点前", "落点后", "竣工后"]
    pre = {e["key"] for e in checklist["phases"][0]["entries"]}
    assert pre == {"step:S1-01", "step:S1-02", "step:S1-03"}
    english = a1.get(f"/api/projects/{pid}/checklist?lang=en").json()
    assert english["phases"][0]["name"] == "before landing"
    r = a1.post(
        f"/api/projects/{pid}/checklist/notes", json={"key": "step:S1-02", "note": "已联系"}
    )
    assert r.status_code == 200 and r.json()["note"] == "已联系"
    r = a1.post(f"/api/projects/{pid}/checklist/notes", json={"key": "step:NOPE", "note": "x"})
    assert r.status_code == 422 and "step:NOPE" in r.json()["detail"]

    # only administrators reassign, with a reason kept in the history
    body = {"agent_id": agent2_id, "reason": "agent1 出差，移交 agent2"}
    assert a1.post(f"/api/projects/{pid}/agent", json=body).status_code == 403
    assert e1.post(f"/api/projects/{pid}/agent", json=body).status_code == 403
    assert admin.post(f"/api/projects/{pid}/agent", json={"agent_id": agent2_id}).status_code == 400
    r = admin.post(f"/api/projects/{pid}/agent", json=body)
    assert r.status_code == 200 and r.json()["agent"]["id"] == agent2_id
    assert admin.post(f"/api/projects/{pid}/agent", json=body).status_code == 409
    history = admin.get(f"/api/projects/{pid}/agent/history").json()["items"]
    assert [h["kind"] for h in history] == ["rule", "manual"]
    assert history[1]["reason"] == "agent1 出差，移交 agent2"
    assert a1.get(f"/api/projects/{pid}/checklist").status_code == 404
    assert e1.get(f"/api/projects/{pid}/agent").json()["agent"]["name"] == "代办员 刘洋"

    # a joint meeting with decisions and a follow-up action, tracked to closure
    r = a2.post(
        f"/api/projects/{pid}/meetings",
        json={"title": "土地出让协调会", "held_on": filed_on, "departments": ["zrzy", "fgw"]},
    )
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = a2.post(
        f"/api/projects/{pid}/meetings/{mid}/minutes",
        json={
            "decisions": ["出让与设计方案审查并联推进"],
            "actions": [{"text": "提交竞买申请书", "owner": "企业 王经理", "due_on": filed_on}],
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "held"
    aid = r.json()["actions"][0]["id"]
    assert (
        a1.post(f"/api/projects/{pid}/meetings/{mid}/actions/{aid}/close", json={}).status_code
        == 404
    )
    r = a2.post(f"/api/projects/{pid}/meetings/{mid}/actions/{aid}/close", json={"note": "已交"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert a2.get(f"/api/projects/{pid}/meetings/{mid}").json()["status"] == "closed"

    # the calendar: that agent, administrators and regulators; another agent 404
    r = a2.get(f"/api/agents/{agent2_id}/calendar.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert any("土地出让协调会" in s for s in summaries) and any("项目落点" in s for s in summaries)
    assert [str(t["STATUS"]) for t in cal.walk("VTODO")] == ["COMPLETED"]
    assert a1.get(f"/api/agents/{agent2_id}/calendar.ics").status_code == 404
    assert admin.get(f"/api/agents/{agent2_id}/calendar.ics").status_code == 200
    assert regulator.get(f"/api/agents/{agent2_id}/calendar.ics").status_code == 200
    assert e1.get(f"/api/agents/{agent2_id}/calendar.ics").status_code == 403

    # the scan, the inbox, the dashboard and the workload figures
    assert a2.post("/api/agents/scan").status_code == 403
    assert admin.post("/api/agents/scan").status_code == 200
    box = a2.get("/api/agents/me/inbox").json()
    assert box["unread"] == box["total"]
    r = a2.post("/api/agents/me/inbox/read", json={"all": True})
    assert r.status_code == 200 and r.json()["marked"] == box["total"]
    board = a2.get("/api/agents/me/dashboard").json()
    assert [p["id"] for p in board["projects"]] == [pid] and board["agent"]["load"] == 1
    assert a1.get(f"/api/agents/{agent2_id}/dashboard").status_code == 404
    assert a1.get("/api/agents/workload").status_code == 403
    figures = {a["username"]: a for a in admin.get("/api/agents/workload").json()["agents"]}
    assert figures["agent2"]["active"] == 1 and figures["agent1"]["active"] == 0

    # administrators set profiles and department contacts
    r = admin.put(
        f"/api/agents/{agent1_id}/profile",
        json={"regions": ["330110"], "industries": ["*"], "capacity": 12},
    )
    assert r.status_code == 200 and r.json()["capacity"] == 12
    assert (
        a1.put(
            f"/api/agents/{agent1_id}/profile", json={"regions": [], "industries": []}
        ).status_code
        == 403
    )
    r = admin.put("/api/departments/zrzy/contact", json={"contact_person": "周科长", "phone": "1"})
    assert r.status_code == 200
    assert admin.put("/api/departments/nope/contact", json={}).status_code == 404
