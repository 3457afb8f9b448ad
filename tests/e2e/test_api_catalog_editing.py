"""Catalogue editing over HTTP: the administrator edits an item (a new version), a project filed
before keeps its days, a new one gets the new days; bad input is a 422 naming the item and the
field with nothing stored; the versions list and re-activation; other roles are refused."""

from __future__ import annotations

import copy

import pytest

from approvals.catalog import default_catalogue
from tests.e2e.test_browser_signing_intake import file_project


def s1_01(client) -> dict:
    return next(i for i in client.get("/api/catalog").json()["items"] if i["code"] == "S1-01")


def body(item: dict, **changes) -> dict:
    return {
        "name": item["name"],
        "department": item["department"],
        "days": item["days"],
        "statutory_days": item.get("statutory_days"),
        "legal_basis": item.get("legal_basis", ""),
        "materials": [{"code": m["code"], "name": m["name"]} for m in item["materials"]],
        **changes,
    }


def plan_days(client, project_id: int, code: str) -> int:
    plan = client.get(f"/api/projects/{project_id}/plan").json()
    return next(s["days"] for s in plan["steps"] if s["code"] == code)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_editing_an_item_over_http(live):
    admin, ent = live.client("admin"), live.client("enterprise1")
    old = file_project(live, "改版前项目")
    item = s1_01(admin)
    assert item["days"] == 1

    # bad input: 422, the item and field named, nothing stored
    r = admin.get("/api/catalog/versions")
    assert r.status_code == 200, r.text
    before = r.json()["versions"]
    for changes, words in [
        ({"days": -2}, "事项 S1-01「企业投资项目备案（赋码）」的承诺时限：不能为负数"),
        ({"days": 30}, "法定时限 20 天少于承诺时限 30 天"),
        ({"department": "nowhere"}, "承办部门：未知部门 nowhere"),
        (
            {"materials": [{"code": "M-x", "name": "甲"}, {"code": "M-x", "name": "乙"}]},
            "材料编号 M-x 重复",
        ),
        ({"requires": ["S1-03"]}, "前置条件成环"),
    ]:
        r = admin.put("/api/catalog/items/S1-01", json=body(item, **changes))
        assert r.status_code == 422, r.text
        assert words in r.json()["detail"], r.json()
    assert admin.get("/api/catalog/versions").json()["versions"] == before

    materials = [*body(item)["materials"], {"code": "M-site-photo", "name": "项目选址照片"}]
    r = admin.put("/api/catalog/items/S1-01", json=body(item, days=4, materials=materials))
    assert r.status_code == 201, r.text
    new_version = r.json()
    assert new_version["active"] and new_version["version"].endswith("-1")
    assert s1_01(admin)["days"] == 4

    stale = admin.put(
        "/api/catalog/items/S1-01", json={**body(item, days=3), "base_version_id": before[0]["id"]}
    )
    assert stale.status_code == 409 and "页面已过期" in stale.json()["detail"], stale.text
    new = file_project(live, "改版后项目")
    assert plan_days(ent, old["id"], "S1-01") == 1  # filed before: its own version
    assert plan_days(ent, new["id"], "S1-01") == 4

    versions = admin.get("/api/catalog/versions").json()["versions"]
    assert versions[0]["id"] == new_version["id"] and versions[0]["loaded_by"] == "admin"
    assert versions[0]["diff"]["changed"] == {"S1-01": ["days", "materials"]}
    assert versions[0]["diff"]["summary"] == "修改 S1-01（承诺时限、申请材料）"
    assert [v["projects"] for v in versions[:2]] == [1, 1]

    # re-activate the first version: new filings use it again
    r = admin.post(f"/api/catalog/versions/{versions[1]['id']}/activate")
    assert r.status_code == 200, r.text
    assert s1_01(admin)["days"] == 1
    third = file_project(live, "恢复后项目")
    assert plan_days(ent, third["id"], "S1-01") == 1
    assert plan_days(ent, new["id"], "S1-01") == 4
    assert admin.post("/api/catalog/versions/999999/activate").status_code == 404

    # only the administrator edits
    for who in ("regulator1", "enterprise1", "reviewer-fgw", "agent1"):
        c = live.client(who)
        assert c.put("/api/catalog/items/S1-01", json=body(item)).status_code == 403, who
        assert c.post(f"/api/catalog/versions/{versions[0]['id']}/activate").status_code == 403
    assert live.client("regulator1").get("/api/catalog/versions").status_code == 200
    assert live.client().get("/api/catalog/versions").status_code == 401  # not public
    assert live.client().get("/api/catalog").status_code == 200  # the published one is

    # loading a whole document (the existing route, behind the token now too) is a version
    doc = copy.deepcopy(default_catalogue().document)
    doc["catalog"]["version"] = "2026.2"
    r = admin.post("/api/catalog/versions", json=doc)
    assert r.status_code == 201, r.text
    assert admin.get("/api/catalog/versions").json()["versions"][0]["version"] == "2026.2"

    # a new item
    r = admin.post(
        "/api/catalog/items",
        json={**body(item, name="项目信息补录", requires=["S1-01"], stage=1), "code": "S1-90"},
    )
    assert r.status_code == 201, r.text
    assert "S1-90" in [i["code"] for i in admin.get("/api/catalog").json()["items"]]
