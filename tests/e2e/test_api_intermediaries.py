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
