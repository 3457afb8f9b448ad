"""Issue 17 §1–2 over real HTTP (SQLite and PostgreSQL): a filed project's own activities, the
enterprise's progress, the 中介超市, an intermediary that sees only what it was chosen for,
uploads, delivers and is measured; the registry and accounts of the new role."""

from __future__ import annotations

from approvals.samples import sample_project_doc

PDF = b"%PDF-1.4\n% intermediary report\n"


def _file(live, who: str = "enterprise1") -> dict:
    doc = sample_project_doc()
    r = live.client(who).post(
        "/api/projects",
        json={
            "name": "中介测试项目",
            "attributes": doc["attributes"],
            "regional_assessments": doc["regional_assessments"],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def _org_id(live, name_part: str) -> int:
    orgs = live.client("admin").get("/api/intermediaries").json()["items"]
    return next(o["id"] for o in orgs if name_part in o["name"])


def test_the_intermediary_journey_over_http(live):
    ent = live.client("enterprise1")
    project = _file(live)
    pid = project["project"]["id"] if "project" in project else project["id"]
    acts = ent.get(f"/api/projects/{pid}/activities").json()
    codes = {a["code"]: a for a in acts["items"]}
    assert {"I-EIA", "E-SCHEME", "E-BUILD-ABOVE"} <= set(codes)
    assert codes["E-SCHEME"]["owner"] == "enterprise"
    assert codes["I-EIA"]["service_state"] == "not_chosen"
    # no department holds a task for an activity
    tasks = ent.get(f"/api/projects/{pid}/tasks").json()["items"]
    assert not {t["step_code"] for t in tasks} & set(codes)

    # 中介超市: both organisations registered for I-EIA, with their committed days
    market = ent.get(f"/api/projects/{pid}/activities/I-EIA/market").json()
    offered = {o["name"]: o["committed_days"] for o in market["offers"]}
    assert offered == {"浙江环科环境咨询有限公司": 15, "杭州勘测规划设计院有限公司": 20}
    # a service the organisation does not provide is refused, naming the field
    other = _org_id(live, "环科")
    r = ent.post(
        f"/api/projects/{pid}/activities/I-SURVEY/intermediary", json={"intermediary_id": other}
    )
    assert r.status_code == 422 and "intermediary_id" in r.text
    # the enterprise's own activity has no market
    assert ent.get(f"/api/projects/{pid}/activities/E-SCHEME/market").status_code == 422
    r = ent.post(
        f"/api/projects/{pid}/activities/I-EIA/intermediary", json={"intermediary_id": other}
    )
    assert r.status_code == 200, r.text
    chosen = r.json()
    assert chosen["intermediary"]["id"] == other and chosen["committed_days"] == 15
    assert chosen["service_state"] in ("running", "due_today") and chosen["workdays_used"] in (0, 1)
    assert (
        ent.post(
            f"/api/projects/{pid}/activities/I-EIA/intermediary", json={"intermediary_id": other}
        ).status_code
        == 409
    )

    # the intermediary sees only its activity; the other organisation sees nothing
    im1, im2 = live.client("intermediary1"), live.client("intermediary2")
    mine = im1.get("/api/intermediary/activities").json()["items"]
    assert [a["code"] for a in mine] == ["I-EIA"] and mine[0]["project_id"] == pid
    aid = mine[0]["id"]
    assert im2.get("/api/intermediary/activities").json()["items"] == []
    assert im2.get(f"/api/intermediary/activities/{aid}").status_code == 404
    assert (
        im2.post(
            f"/api/intermediary/activities/{aid}/report",
            files={"file": ("x.pdf", PDF, "application/pdf")},
        ).status_code
        == 404
    )
    # and no project, no department work, no other enterprise's things
    assert im1.get(f"/api/projects/{pid}").status_code in (403, 404)
    assert im1.get("/api/projects").json()["items"] == []
    assert im1.get(f"/api/projects/{pid}/activities").status_code in (403, 404)
    assert ent.get("/api/intermediary/activities").status_code == 403

    # delivery needs the report first
    r = im1.post(f"/api/intermediary/activities/{aid}/delivery")
    assert r.status_code == 422 and "report" in r.text
    r = im1.post(
        f"/api/intermediary/activities/{aid}/report",
        files={"file": ("../x.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 422
    r = im1.post(
        f"/api/intermediary/activities/{aid}/report",
        files={"file": ("环评报告.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    material_id = r.json()["material_id"]
    r = im1.post(f"/api/intermediary/activities/{aid}/delivery")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "done" and done["service_state"] == "on_time"
    assert done["workdays_used"] in (0, 1) and done["due_on"]
    assert im1.post(f"/api/intermediary/activities/{aid}/delivery").status_code == 409
    # the enterprise downloads the report with its project's materials
    body = ent.get(f"/api/projects/{pid}/materials/{material_id}/content")
    assert body.status_code == 200 and body.content == PDF

    # 好差评 of the service feeds the organisation's rating in the market
    r = ent.post(
        f"/api/projects/{pid}/activities/I-EIA/rating", json={"score": 4, "comment": "及时"}
    )
    assert r.status_code == 200 and r.json()["rating"] == 4
    assert (
        ent.post(f"/api/projects/{pid}/activities/I-EIA/rating", json={"score": 5}).status_code
        == 409
    )
    orgs = {o["id"]: o for o in live.client("admin").get("/api/intermediaries").json()["items"]}
    assert orgs[other]["rating"] == 4.0 and orgs[other]["ratings"] == 1

    # the enterprise reports its design done; a bad event or a future day is refused
    r = ent.post(f"/api/projects/{pid}/activities/E-SCHEME/progress", json={"event": "finish"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done" and r.json()["actual_end"]
    r = ent.post(f"/api/projects/{pid}/activities/E-BUILD-BELOW/progress", json={"event": "stop"})
    assert r.status_code == 400
    r = ent.post(
        f"/api/projects/{pid}/activities/E-BUILD-BELOW/progress",
        json={"event": "start", "on": "2099-01-01"},
    )
    assert r.status_code == 422 and "on" in r.text
    # an intermediary's activity is not the enterprise's to report
    r = ent.post(f"/api/projects/{pid}/activities/I-SURVEY/progress", json={"event": "finish"})
    assert r.status_code == 422
    # another enterprise sees none of it
    e2 = live.client("enterprise2")
    assert e2.get(f"/api/projects/{pid}/activities").status_code == 404
    assert (
        e2.post(
            f"/api/projects/{pid}/activities/E-SCHEME/progress", json={"event": "start"}
        ).status_code
        == 404
    )


def test_registry_and_accounts_of_the_new_role(live):
    admin = live.client("admin")
    r = admin.post(
        "/api/intermediaries",
        json={
            "name": "宁波测绘有限公司",
            "credit_code": "91330200MA2H100009",
            "services": {"I-SURVEY": 6},
            "contact_name": "赵工",
        },
    )
    assert r.status_code == 201, r.text
    org = r.json()
    # refused field by field, nothing stored
    bad = admin.post(
        "/api/intermediaries",
        json={"name": "X", "credit_code": "91330200MA2H100010", "services": {"S1-01": 5}},
    )
    assert bad.status_code == 422 and "services" in bad.text
    bad = admin.post(
        "/api/intermediaries",
        json={"name": "X", "credit_code": "91330200MA2H100010", "services": {"I-SURVEY": 0}},
    )
    assert bad.status_code == 422 and "services.I-SURVEY" in bad.text
    dup = admin.post(
        "/api/intermediaries",
        json={"name": "Y", "credit_code": "91330200MA2H100009", "services": {"I-SURVEY": 3}},
    )
    assert dup.status_code == 422 and "credit_code" in dup.text
    assert len(admin.get("/api/intermediaries").json()["items"]) == 3
    # only the administrator registers
    assert (
        live.client("enterprise1")
        .post(
            "/api/intermediaries",
            json={"name": "Z", "credit_code": "91330200MA2H100011", "services": {"I-SURVEY": 3}},
        )
        .status_code
        == 403
    )
    # an intermediary account must name its organisation
    r = admin.post(
        "/api/users",
        json={"username": "nb-survey", "password": "long-enough-1", "role": "intermediary"},
    )
    assert r.status_code == 422 and "intermediary_id" in r.text
    r = admin.post(
        "/api/users",
        json={
            "username": "nb-survey",
            "password": "long-enough-1",
            "role": "intermediary",
            "intermediary_id": org["id"],
        },
    )
    assert r.status_code == 201 and r.json()["intermediary_id"] == org["id"]
    me = live.client("nb-survey", "long-enough-1")
    assert me.get("/api/intermediary/activities").json()["items"] == []


def test_the_pages_in_english(live):
    """The same pages with ``?lang=en``: English words, the same figures."""
    from api.auth import TOKEN_COOKIE

    project = _file(live)
    pid = project["project"]["id"] if "project" in project else project["id"]

    def page(who: str, path: str) -> str:
        token = live.client(who).headers["Authorization"].removeprefix("Bearer ")
        c = live.client()
        c.cookies.set(TOKEN_COOKIE, token)
        r = c.get(path, params={"lang": "en"})
        assert r.status_code == 200, (path, r.status_code)
        return r.text

    text = page("enterprise1", f"/projects/{pid}")
    assert "The enterprise&#39;s and intermediaries&#39; clock" in text
    assert "Choose in the intermediary market" in text
    assert "Intermediary market" in page("enterprise1", f"/projects/{pid}/activities/I-EIA/market")
    assert "Services entrusted to us" in page("intermediary1", "/intermediary")
    assert "Register an organisation" in page("admin", "/admin/intermediaries")


def _supervise(live, days_later: int) -> int:
    """The daily job's 督办 run, ``days_later`` calendar days from today (in the database)."""
    from datetime import date, timedelta

    from approvals.service import work_calendar
    from approvals.services import intermediaries as im
    from storage.engine import begin_write, make_engine, make_session_factory

    engine = make_engine(live.db_url)
    try:
        with make_session_factory(engine)() as session:
            begin_write(session)
            raised = im.supervise_overdue(
                session, date.today() + timedelta(days=days_later), work_calendar(session)
            )
            session.commit()
            return len(raised)
    finally:
        engine.dispose()


def test_supervisions_over_http_scoped_by_role_and_filtered(live):
    """GET /api/supervisions: every record for the administrator and regulators, its own for an
    enterprise, an agent and an intermediary, none for a reviewer; filters checked by name."""
    ent1, ent2 = live.client("enterprise1"), live.client("enterprise2")
    admin = live.client("admin")
    a = _file(live, "enterprise1")
    b = _file(live, "enterprise2")
    pa = a["project"]["id"] if "project" in a else a["id"]
    pb = b["project"]["id"] if "project" in b else b["id"]
    org1, org2 = _org_id(live, "环科"), _org_id(live, "勘测")
    r = ent1.post(
        f"/api/projects/{pa}/activities/I-EIA/intermediary", json={"intermediary_id": org1}
    )
    assert r.status_code == 200, r.text
    r = ent2.post(
        f"/api/projects/{pb}/activities/I-EIA/intermediary", json={"intermediary_id": org2}
    )
    assert r.status_code == 200, r.text
    # nothing overdue yet: an empty page, not an error
    empty = admin.get("/api/supervisions").json()
    assert empty["items"] == [] and empty["total"] == 0
    # sixty days later both are past their committed days, five working days or more
    assert _supervise(live, 60) == 4

    def got(client, query: str = "") -> list[dict]:
        r = client.get(f"/api/supervisions{query}")
        assert r.status_code == 200, r.text
        return r.json()["items"]

    everything = got(admin)
    assert {(s["project_id"], s["level"]) for s in everything} == {
        (pa, "overdue"),
        (pa, "overdue_5"),
        (pb, "overdue"),
        (pb, "overdue_5"),
    }
    assert all(s["overdue_workdays"] >= 5 and not s["delivered"] for s in everything)
    assert {s["id"] for s in got(live.client("regulator1"))} == {s["id"] for s in everything}
    # an enterprise its own projects', an intermediary its own organisation's
    assert {s["project_id"] for s in got(ent1)} == {pa}
    assert {s["project_id"] for s in got(ent2)} == {pb}
    im1 = got(live.client("intermediary1"))
    assert {s["intermediary"] for s in im1} == {"浙江环科环境咨询有限公司"} and len(im1) == 2
    assert {s["project_id"] for s in got(live.client("intermediary2"))} == {pb}

    # an agent the projects assigned to it (and nothing of the others')
    def agent_of(pid: int) -> int | None:
        info = admin.get(f"/api/projects/{pid}/agent").json()
        return (info.get("agent") or {}).get("id") or info.get("agent_user_id")

    agents = {pid: agent_of(pid) for pid in (pa, pb)}
    assert any(agents.values()), agents  # filing assigned an agent (代办制)
    users = admin.get("/api/users?size=200").json()
    users = users["items"] if isinstance(users, dict) else users
    names = {u["id"]: u["username"] for u in users}
    for agent_id in {a for a in agents.values() if a}:
        theirs = {p for p, a in agents.items() if a == agent_id}
        seen = {s["project_id"] for s in got(live.client(names[agent_id]))}
        assert seen == theirs, (names[agent_id], seen, theirs)
    others = [
        u["username"] for u in users if u["role"] == "agent" and u["id"] not in agents.values()
    ]
    if others:
        assert got(live.client(others[0])) == []
    # a department's reviewer reads no 督办; nobody anonymous either
    assert live.client("reviewer-fgw").get("/api/supervisions").status_code == 403
    assert live.client().get("/api/supervisions").status_code == 401

    # the filters
    assert {s["level"] for s in got(admin, "?level=overdue_5")} == {"overdue_5"}
    assert {s["project_id"] for s in got(admin, f"?project_id={pb}")} == {pb}
    assert got(ent1, f"?project_id={pb}") == []  # another's project: nothing, not its records
    assert len(got(admin, "?open=true")) == 4 and got(admin, "?open=false") == []
    page = admin.get("/api/supervisions?size=1&page=2&sort=project_code").json()
    assert page["total"] == 4 and page["pages"] == 4 and len(page["items"]) == 1
    # bad filters are refused naming the field
    for query, field in (
        ("?level=urgent", "level"),
        ("?project_id=abc", "project_id"),
        ("?open=maybe", "open"),
        ("?sort=password", "sort"),
        ("?size=100000", "size"),
    ):
        r = admin.get(f"/api/supervisions{query}")
        assert r.status_code in (400, 422), (query, r.status_code)
        assert field in r.text, (query, r.text)
    # delivered late: the record stays, no longer open
    im_client = live.client("intermediary1")
    aid = got(live.client("intermediary1"))[0]["activity_id"]
    r = im_client.post(
        f"/api/intermediary/activities/{aid}/report",
        files={"file": ("环评报告.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    assert im_client.post(f"/api/intermediary/activities/{aid}/delivery").status_code == 200
    closed = got(admin, "?open=false")
    assert {s["project_id"] for s in closed} == {pa} and all(s["delivered"] for s in closed)
    assert {s["project_id"] for s in got(admin, "?open=true")} == {pb}
