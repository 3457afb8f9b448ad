"""The counter's lists and accounts over real HTTP (issue 15): malformed list parameters are a
400 naming the parameter on every list (API and pages), a page past the end is corrected; a
disabled account's token and cookie are refused at once (401) and it cannot log in; weak
passwords are refused with a Chinese message naming the field."""

from __future__ import annotations

import httpx
import pytest

from api.auth import TOKEN_COOKIE

LISTS = ["/api/projects", "/api/tasks", "/api/users", "/api/commitments"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_bad_list_parameters_are_400_naming_the_parameter(live):
    admin = live.client("admin")
    for path in LISTS:
        for params, field in [
            ({"page": "0"}, "page"),
            ({"page": "abc"}, "page"),
            ({"size": "100000"}, "size"),
            ({"size": "-3"}, "size"),
            ({"sort": "password_hash"}, "sort"),
        ]:
            r = admin.get(path, params=params)
            assert r.status_code == 400, (path, params, r.text)
            assert r.json()["detail"].startswith(f"{field}："), (path, r.json())
            en = admin.get(path, params=params, headers={"Accept-Language": "en"})
            assert en.status_code == 400 and en.json()["detail"].startswith(f"{field}: ")
        ok = admin.get(path, params={"page": "999", "size": "5"})
        assert ok.status_code == 200, (path, ok.text)
        body = ok.json()
        assert body["page"] == body["pages"] >= 1 and body["size"] == 5  # corrected, not refused
    # pages: the same checks, shown on the error page
    cookies = {TOKEN_COOKIE: admin.headers["Authorization"].split()[1]}
    with httpx.Client(base_url=live.url, cookies=cookies, timeout=30) as pages:
        for path in ["/admin/projects", "/admin/users", "/regulator/commitments"]:
            r = pages.get(path, params={"sort": "nope"})
            assert r.status_code == 400 and "sort：" in r.text, path
            assert pages.get(path, params={"page": "50"}).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_paging_sorting_and_search_over_http(live):
    admin = live.client("admin")
    all_users = admin.get("/api/users", params={"size": "200"}).json()
    names = sorted(u["username"] for u in all_users["items"])
    assert all_users["total"] == len(names)
    first = admin.get("/api/users", params={"size": "3", "sort": "username"}).json()
    second = admin.get("/api/users", params={"size": "3", "page": "2", "sort": "username"}).json()
    assert [u["username"] for u in first["items"] + second["items"]] == names[:6]
    down = admin.get("/api/users", params={"size": "3", "sort": "-username"}).json()
    assert [u["username"] for u in down["items"]] == names[::-1][:3]
    found = admin.get("/api/users", params={"q": "reviewer", "role": "reviewer"}).json()
    assert found["total"] >= 5 and all(u["role"] == "reviewer" for u in found["items"])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_disabled_user_is_refused_at_once(live):
    admin = live.client("admin")
    reg = live.client("regulator1")  # holds a valid token
    assert reg.get("/api/projects").status_code == 200
    uid = next(
        u["id"]
        for u in admin.get("/api/users", params={"q": "regulator1"}).json()["items"]
        if u["username"] == "regulator1"
    )
    r = admin.patch(f"/api/users/{uid}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    r = reg.get("/api/projects")
    assert r.status_code == 401 and "停用" in r.json()["detail"]
    token = reg.headers["Authorization"].split()[1]
    page = httpx.get(f"{live.url}/regulator", cookies={TOKEN_COOKIE: token}, timeout=30)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    login = httpx.post(
        f"{live.url}/api/auth/login",
        json={"username": "regulator1", "password": "demo-password"},
        timeout=30,
    )
    assert login.status_code == 401
    # enabled again: the same token works; a reset password replaces the old one
    assert admin.patch(f"/api/users/{uid}", json={"active": True}).status_code == 200
    assert reg.get("/api/projects").status_code == 200
    weak = admin.post(f"/api/users/{uid}/password", json={"password": "12345678"})
    assert weak.status_code == 422 and weak.json()["detail"].startswith("密码：")
    assert (
        admin.post(f"/api/users/{uid}/password", json={"password": "Jianguan-2026"}).status_code
        == 200
    )
    assert live.client("regulator1", "Jianguan-2026").get("/api/me").status_code == 200
    # only an administrator manages accounts
    assert reg.patch(f"/api/users/{uid}", json={"active": False}).status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_accounts_api_refuses_weak_passwords_and_needs_an_agents_profile(live):
    admin = live.client("admin")
    r = admin.post(
        "/api/users", json={"username": "weak1", "password": "12345678", "role": "regulator"}
    )
    assert r.status_code == 422 and "连续" in r.json()["detail"]
    body = {"username": "agent-x", "password": "Agent-2026-x", "role": "agent", "phone": "138"}
    r = admin.post("/api/users", json=body)
    assert r.status_code == 422 and r.json()["detail"].startswith("regions")
    r = admin.post(
        "/api/users", json={**body, "regions": ["330110"], "industries": ["C34"], "capacity": 4}
    )
    assert r.status_code == 201, r.text
    r = admin.post(
        "/api/enterprises", json={"name": "错位企业", "credit_code": "91330100716105852G"}
    )
    assert r.status_code == 422 and "校验位" in r.json()["detail"]
    r = admin.post(
        "/api/enterprises", json={"name": "阿里示例", "credit_code": "91330100716105852F"}
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_notifications_over_http(live):
    from tests.e2e.test_api_workflow import file_sample

    e1, e2 = live.client("enterprise1"), live.client("enterprise2")
    pid = file_sample(e1).json()["id"]
    fgw = live.client("reviewer-fgw")
    ready = fgw.get("/api/notifications", params={"unread": "true"}).json()
    assert ready["unread"] >= 1 and ready["items"][0]["kind"] == "task_ready"
    work = fgw.get("/api/tasks", params={"q": "", "size": "200"}).json()["items"]
    task = next(t for t in work if t["project_id"] == pid and t["step_code"] == "S1-01")
    r = fgw.post(
        f"/api/tasks/{task['id']}/intake-corrections",
        json={"materials": ["M-filing-form"], "version": task["version"]},
    )
    assert r.status_code == 200, r.text
    mine = e1.get("/api/notifications").json()
    assert mine["unread"] == 1 and mine["total"] == 1
    note = mine["items"][0]
    assert (note["kind"], note["link"], note["read"]) == (
        "intake_corrections",
        f"/projects/{pid}",
        False,
    )
    assert "补正" in note["text"]
    assert e2.get("/api/notifications").json()["total"] == 0  # not another enterprise's
    # another user's id is ignored; one's own is marked
    assert e2.post("/api/notifications/read", json={"ids": [note["id"]]}).json()["marked"] == 0
    done = e1.post("/api/notifications/read", json={"ids": [note["id"]]}).json()
    assert done == {"marked": 1, "unread": 0}
    assert e1.get("/api/notifications", params={"page": "x"}).status_code == 400
    assert live.client().get("/api/notifications").status_code == 401
