"""POST /api/projects refuses an impossible filing with 422 naming the field (Chinese, English
on request) and stores nothing; a plot in reserve or claimed by another company is refused."""

from __future__ import annotations

from approvals.samples import sample_project_doc
from tests.e2e.test_api_commitments import import_registry


def count_projects(client) -> int:
    return client.get("/api/projects").json()["total"]


def post(client, plot: str | None, lang: str = "zh", **changes):
    doc = sample_project_doc()
    body = {"name": "接口校验项目", "attributes": {**doc["attributes"], **changes}}
    if plot:
        body["plot"] = plot
    return client.post("/api/projects", json=body, headers={"Accept-Language": lang})


def test_impossible_filings_get_422_naming_the_field(live):
    import_registry(live.db_url)
    ent, other = live.client("enterprise1"), live.client("enterprise2")

    r = post(ent, "CD-A05", investment=-500)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["fields"].keys() == {"investment"}
    assert "项目总投资" in body["detail"] and "应大于 0" in body["fields"]["investment"]
    assert any("项目总投资" in e for e in body["errors"])
    r = post(ent, "CD-A05", lang="en", annual_energy_tce=99_999_999_999, building_area=-1)
    assert r.status_code == 422
    assert r.json()["fields"].keys() == {"annual_energy_tce", "building_area"}
    assert "Total floor area" in r.json()["fields"]["building_area"]
    r = post(ent, "CD-A03", land_area_mu=155)
    assert r.status_code == 422 and "land_area_mu" in r.json()["fields"]
    r = post(ent, "CD-A06")
    assert r.status_code == 422 and "储备" in r.json()["fields"]["plot"]
    assert count_projects(ent) == 0  # nothing stored

    assert post(ent, "CD-A03").status_code == 201  # sold, to enterprise1 from now on
    r = post(other, "CD-A03")
    assert r.status_code == 422 and "其他企业" in r.json()["fields"]["plot"]
    assert count_projects(other) == 0 and count_projects(ent) == 1


def test_the_questionnaire_previews_the_plan_filing_gives(live):
    import_registry(live.db_url)
    ent = live.client("enterprise1")
    attributes = sample_project_doc()["attributes"]
    r = ent.post("/api/questionnaire", json={"answers": attributes, "plot": "CD-A04"})
    assert r.status_code == 200, r.text
    notice = r.json()["notice"]
    assert notice["waived"] and notice["reduced_to_commitment"]
    filed = ent.post(
        "/api/projects", json={"name": "预览一致", "attributes": attributes, "plot": "CD-A04"}
    )
    assert filed.status_code == 201, filed.text
    items = filed.json()["notice"]["items"]
    assert [(i["code"], i["days"]) for i in items] == [
        (i["code"], i["days"]) for i in notice["items"]
    ]
    assert filed.json()["notice"]["waived"] == notice["waived"]
    # refused the same way as filing: a plot another company claims, an impossible figure
    other = live.client("enterprise2")
    r = other.post("/api/questionnaire", json={"answers": attributes, "plot": "CD-A04"})
    assert r.status_code == 422 and "plot" in r.json()["fields"]
    r = live.client().post(
        "/api/questionnaire", json={"answers": {**attributes, "land_area_mu": 0}}
    )
    assert r.status_code == 422 and "land_area_mu" in r.json()["fields"]
