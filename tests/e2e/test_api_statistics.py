"""效能统计 over HTTP on a real server: the JSON figures, the CSV and Excel exports parsed back
(openpyxl), the monthly report PDF, the role scoping, and localized 4xx for bad filters."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from storage.engine import make_engine, make_session_factory
from tests.integration.statistics_support import add_plot, make_world, run_project

MARCH = {"month": "2026-03"}


@pytest.fixture
def stats_live(live):
    engine = make_engine(live.db_url)
    with make_session_factory(engine)() as session:
        run_project(session, make_world(session))
    engine.dispose()
    return live


def test_figures_and_exports_agree(stats_live):
    admin = stats_live.client("admin")
    body = admin.get("/api/statistics", params=MARCH).json()
    assert (body["start"], body["end"]) == ("2026-03-01", "2026-03-31")
    assert body["overall"]["cases"] == 5 and body["overall"]["p90_workdays"] == 6.0
    assert body["projects"]["code_to_permit"]["other"]["median"] == 14.0
    assert [r["code"] for r in body["project_rows"]] and body["comments"][0][
        "follow_up"
    ] == "pending"

    r = admin.get("/api/statistics/export.xlsx", params=MARCH)
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["按部门", "按事项", "按项目", "改革机制", "好差评"]
    depts = list(wb["按部门"].iter_rows(values_only=True))
    assert depts[0][:3] == ("部门代码", "部门", "办件量")
    by_code = {row[0]: row for row in depts[1:]}
    assert by_code["zjj"][1] == "住建" and by_code["zjj"][2] == 2
    assert depts[-1][1] == "合计" and depts[-1][2] == 5
    items = list(wb["按事项"].iter_rows(values_only=True))
    b = next(row for row in items if row[0] == "B")
    assert b[1] == "规划许可" and b[4] == 1 and b[7] == 8  # one case, median 8 working days
    projects = list(wb["按项目"].iter_rows(values_only=True))
    assert projects[1][6] == 14 and projects[1][8] == 16

    c = admin.get("/api/statistics/export.csv", params=MARCH)
    assert c.status_code == 200 and c.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert rows[0] == ["按部门"] and rows[1][:3] == ["部门代码", "部门", "办件量"]
    csv_depts = {r[0]: r for r in rows[2:7] if r and r[0]}
    assert {k: int(v[2]) for k, v in csv_depts.items()} == {
        k: v[2] for k, v in by_code.items() if k
    }

    pdf = admin.get("/api/statistics/report.pdf", params=MARCH)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_role_scoping(stats_live):
    rev = stats_live.client("reviewer-zjj")
    own = rev.get("/api/statistics", params=MARCH).json()
    assert [d["department"] for d in own["departments"]] == ["zjj"]
    assert own["overall"]["cases"] == 2 and own["projects"] is None
    other = rev.get("/api/statistics", params={**MARCH, "department": "fgw"})
    assert other.status_code == 404 and "fgw" in other.json()["detail"]
    assert (
        rev.get("/api/statistics/export.csv", params={**MARCH, "department": "fgw"}).status_code
        == 404
    )
    wb = load_workbook(io.BytesIO(rev.get("/api/statistics/export.xlsx", params=MARCH).content))
    assert [r[0] for r in wb["按部门"].iter_rows(min_row=2, values_only=True)] == ["zjj", None]
    assert stats_live.client("enterprise1").get("/api/statistics").status_code == 403
    assert stats_live.client().get("/api/statistics").status_code == 401
    reg = stats_live.client("regulator1").get("/api/statistics", params=MARCH).json()
    assert len(reg["departments"]) == 4
    # a reviewer follows up a bad rating of its own department, not another's
    rating = reg["comments"][0]["id"]
    assert rev.post(f"/api/ratings/{rating}/follow-up", json={"note": "已回访"}).status_code == 404
    ok = stats_live.client("reviewer-zrzy").post(
        f"/api/ratings/{rating}/follow-up", json={"note": "已电话回访，说明延误原因"}
    )
    assert ok.status_code == 200 and ok.json()["follow_up_by"] == "reviewer-zrzy"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"start": "2026-03-01"}, "start"),
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),
        ({"start": "yesterday", "end": "2026-03-01"}, "start"),
    ],
)
def test_bad_filters_are_named(live, params, field):
    r = live.client("admin").get("/api/statistics", params=params)
    assert r.status_code == 422 and field in r.json()["detail"]


def test_filters_by_industry_zone_and_days(live):
    """The industry and the zone (of the plot at filing) select projects, over a month and over
    days off the month's boundaries; a rating counts in the period of the decision it rates."""
    engine = make_engine(live.db_url)
    with make_session_factory(engine)() as session:
        world = make_world(session)
        add_plot(session, "P-Z1", "Z1")
        run_project(session, world, "equipment", "P-Z1", name="设备项目")
        run_project(session, world, "chemical", None, name="化工项目")
    engine.dispose()
    admin = live.client("admin")

    def cases(**params):
        r = admin.get("/api/statistics", params=params)
        assert r.status_code == 200, r.text
        return r.json()["overall"]["cases"]

    assert cases(**MARCH) == 10
    assert cases(**MARCH, industry="equipment") == 5
    assert cases(**MARCH, industry="textile") == 0
    assert cases(**MARCH, zone="Z1") == 5 and cases(**MARCH, zone="Z9") == 0
    assert cases(**MARCH, zone="Z1", industry="chemical") == 0
    # the 4th … 13th: C and B of each project (A was decided on the 3rd, E and F on the 17th)
    assert cases(start="2026-03-04", end="2026-03-13") == 4
    assert cases(start="2026-03-04", end="2026-03-13", industry="chemical") == 2
    assert cases(start="2026-02-20", end="2026-04-10", zone="Z1") == 5
    # both ratings were given on the 18th, of decisions of the 3rd (A, 5) and the 13th (B, 2)
    body = admin.get("/api/statistics", params={"start": "2026-03-14", "end": "2026-03-31"})
    assert body.json()["overall"]["ratings"] == [0, 0, 0, 0, 0]
    body = admin.get("/api/statistics", params={"start": "2026-03-13", "end": "2026-03-31"})
    assert body.json()["overall"]["ratings"] == [0, 2, 0, 0, 0]
