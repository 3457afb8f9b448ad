"""Efficiency statistics (效能统计) on a real database (SQLite and PostgreSQL): a hand-made
project run through the review workflow, whose figures are worked out by hand below."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from access.actor import Actor
from access.policy import AccessForbidden
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import ProjectRow, RatingRow, StepRow, TaskRow
from approvals.service import store_catalogue, work_calendar
from approvals.services import filing, materials, ratings, review
from approvals.services import statistics as st

PDF = b"%PDF-1.7\n%test material\n"
D = lambda d: date(2026, 3, d)  # noqa: E731 - March 2026 has no holiday

CATALOG = {
    "catalog": {"code": "test-stats", "version": "1"},
    "departments": [
        {"code": c, "name": n}
        for c, n in [("fgw", "发改"), ("zrzy", "规划"), ("sthj", "环保"), ("zjj", "住建")]
    ],
    "items": [
        {"code": "A", "name": "备案", "department": "fgw", "stage": 1, "days": 2,
         "statutory_days": 20, "milestone": "project_code",
         "materials": [{"code": "M-form", "name": "备案表"}]},
        {"code": "B", "name": "规划许可", "department": "zrzy", "stage": 2, "days": 5,
         "requires": ["A"],
         "materials": [{"code": "M-plan", "name": "总平面图"},
                       {"code": "M-render", "name": "效果图", "deferrable": True,
                        "deferral_days": 3}]},
        {"code": "C", "name": "环评", "department": "sthj", "stage": 1, "days": 3,
         "statutory_days": 3, "requires": ["A"],
         "materials": [{"code": "M-eia", "name": "环评报告"}]},
        {"code": "E", "name": "施工许可", "department": "zjj", "stage": 3, "days": 2,
         "requires": ["B", "C"], "milestone": "construction_permit"},
        {"code": "F", "name": "竣工验收", "department": "zjj", "stage": 4, "days": 2,
         "requires": ["E"], "milestone": "completion_acceptance"},
    ],
}


@pytest.fixture
def world(session):
    accounts = seed_demo_accounts(session)
    store_catalogue(session, parse_catalog(CATALOG))
    session.commit()
    users = accounts.users
    ent = Actor("enterprise1", "enterprise", users["enterprise1"].id,
                enterprise_id=accounts.enterprises[0].id)

    def rev(dept):
        return Actor(f"reviewer-{dept}", "reviewer", users[f"reviewer-{dept}"].id, department=dept)

    return {"ent": ent, "rev": rev, "cal": work_calendar(session),
            "admin": Actor("admin", "admin", users["admin"].id),
            "reg": Actor("regulator1", "regulator", users["regulator1"].id)}


def _task(session, project, code):
    step = session.scalar(
        select(StepRow).where(StepRow.project_id == project.id, StepRow.code == code)
    )
    return step.tasks[0]


def run_project(session, w):
    """The timeline worked out in the module's tests (working days, March 2026)."""
    cal, ent, rev = w["cal"], w["ent"], w["rev"]
    p = filing.file_project(session, ent, cal, name="统计项目", attributes={"industry": "equipment"},
                            filed_on=D(2))

    def up(code, on):
        materials.upload_material(session, ent, p.id, code, f"{code}.pdf", PDF + code.encode(),
                                  on, cal)

    up("M-form", D(2))
    a = _task(session, p, "A")
    review.accept_task(session, rev("fgw"), a.id, D(2), cal)
    review.approve_task(session, rev("fgw"), a.id, D(3), cal)  # 2 working days, on time
    up("M-eia", D(4))
    c = _task(session, p, "C")
    review.accept_task(session, rev("sthj"), c.id, D(4), cal)  # waited 1 (ready on the 3rd)
    review.request_corrections(session, rev("sthj"), c.id, D(5), cal, reasons="数据缺失",
                               materials=["M-eia"])
    up("M-eia", D(11))
    session.flush()
    materials.resubmit_corrections(session, ent, p.id, c.id, D(11), cal)  # stopped 4
    review.approve_task(session, rev("sthj"), c.id, D(12), cal)  # 7 − 4 = 3, on time
    up("M-plan", D(4))
    b = _task(session, p, "B")
    review.accept_task(session, rev("zrzy"), b.id, D(4), cal)  # 容缺: M-render, waited 1
    up("M-render", D(6))
    review.approve_task(session, rev("zrzy"), b.id, D(13), cal)  # 8 working days, due the 10th
    e = _task(session, p, "E")
    review.accept_task(session, rev("zjj"), e.id, D(16), cal)  # ready the 13th (Fri): waited 1
    review.approve_task(session, rev("zjj"), e.id, D(17), cal)  # 2, on time
    f = _task(session, p, "F")
    review.accept_task(session, rev("zjj"), f.id, D(17), cal)
    review.approve_task(session, rev("zjj"), f.id, D(17), cal)  # 1
    session.commit()
    ratings.rate_step(session, ent, p.id, "B", 2, "审批太慢")
    ratings.rate_step(session, ent, p.id, "A", 5, "")
    for r in session.scalars(select(RatingRow)):
        r.rated_at = datetime(2026, 3, 18, 2, tzinfo=timezone.utc)
    session.commit()
    return p


MARCH = st.Filters(D(1), D(31))


def test_compact_columns_and_project_facts(session, world):
    p = run_project(session, world)
    tasks = {t.step_code: t for t in session.scalars(select(TaskRow).where(TaskRow.project_id == p.id))}
    assert {c: (t.stage, t.wait_workdays, t.workdays) for c, t in tasks.items()} == {
        "A": (1, 0, 2), "B": (2, 1, 8), "C": (1, 1, 3), "E": (3, 1, 2), "F": (4, 0, 1),
    }
    row = session.get(ProjectRow, p.id)
    assert (row.coded_on, row.permit_on, row.completed_on) == (D(3), D(17), D(17))
    # stage 1: 2nd → 12th = 9 working days less C's 4 stopped = 5; stage 2: 8; 3: 2; 4: 1
    assert row.approval_workdays == 16


def test_figures_for_the_administration(session, world):
    run_project(session, world)
    s = st.statistics(session, world["admin"], MARCH, world["cal"])
    o = s.overall
    assert (o["cases"], o["approved"], o["median_workdays"], o["p90_workdays"]) == (5, 5, 2.0, 6.0)
    assert (o["on_time_rate"], o["overdue_rate"], o["mean_wait_workdays"]) == (0.8, 0.2, 0.6)
    assert (o["correction_rate"], o["correction_rounds"], o["stopped_tasks"], o["stopped_days"]) == (
        0.2, 1, 1, 4)
    assert o["ratings"] == [0, 1, 0, 0, 1] and o["bad_ratings"] == 1
    depts = {d["department"]: d for d in s.departments}
    assert depts["zjj"]["cases"] == 2 and depts["zjj"]["median_workdays"] == 1.5
    assert depts["zrzy"]["ratings"] == [0, 1, 0, 0, 0] and depts["zrzy"]["overdue"] == 1
    items = {i["item"]: i for i in s.items}
    assert (items["B"]["committed_days"], items["B"]["within_committed_rate"]) == (5, 0.0)
    assert (items["C"]["statutory_days"], items["C"]["within_statutory_rate"]) == (3, 1.0)
    assert items["A"]["name"] == "备案" and items["A"]["department_name"] == "发改"
    assert [i["item"] for i in s.items] == ["A", "C", "B", "E", "F"]  # by stage
    assert [(c["step"], c["score"], c["follow_up"]) for c in s.comments] == [("B", 2, "pending")]
    pr = s.projects
    assert pr["completed"] == 1
    other = pr["code_to_permit"]["other"]
    assert (other["count"], other["median"], other["within"]) == (1, 14.0, 1)
    assert pr["approval_to_completion"]["all"]["median"] == 16.0
    mech = {m["mechanism"]: m for m in pr["mechanisms"]}
    assert (mech["deferrals"]["uses"], mech["deferrals"]["saved_workdays"]) == (1, 2)
    assert [r["days_code_to_permit"] for r in s.project_rows] == [14]
    # another period, another industry: nothing
    assert st.statistics(session, world["admin"], st.Filters(D(18), D(31)), world["cal"]).overall[
        "cases"] == 0
    other_industry = st.Filters(D(1), D(31), industry="chemical")
    assert st.statistics(session, world["reg"], other_industry, world["cal"]).overall["cases"] == 0
    assert st.statistics(session, world["reg"], st.Filters(D(1), D(31), industry="equipment"),
                         world["cal"]).overall["cases"] == 5


def test_a_reviewer_sees_its_own_department_only(session, world):
    run_project(session, world)
    mine = st.statistics(session, world["rev"]("zjj"), MARCH, world["cal"])
    assert [d["department"] for d in mine.departments] == ["zjj"]
    assert mine.overall["cases"] == 2 and mine.projects is None
    with pytest.raises(NotFoundError):
        st.statistics(session, world["rev"]("zjj"), st.Filters(D(1), D(31), "fgw"), world["cal"])
    with pytest.raises(AccessForbidden):
        st.statistics(session, world["ent"], MARCH, world["cal"])


def test_bad_rating_follow_up(session, world):
    run_project(session, world)
    bad = session.scalar(select(RatingRow).where(RatingRow.score == 2))
    good = session.scalar(select(RatingRow).where(RatingRow.score == 5))
    with pytest.raises(NotFoundError):  # not a department of the rated step
        st.follow_up_rating(session, world["rev"]("fgw"), bad.id, "已回访", D(19))
    with pytest.raises(ProjectError):
        st.follow_up_rating(session, world["admin"], good.id, "已回访", D(19))
    st.follow_up_rating(session, world["rev"]("zrzy"), bad.id, "已电话回访并整改", D(19))
    session.commit()
    with pytest.raises(ProjectError):
        st.follow_up_rating(session, world["admin"], bad.id, "再次", D(19))
    s = st.statistics(session, world["admin"], MARCH, world["cal"])
    assert s.comments[0]["follow_up"] == "done" and s.comments[0]["follow_up_by"] == "reviewer-zrzy"


def test_period_must_be_ordered():
    with pytest.raises(ProjectError):
        st.Filters(D(31), D(1))
    assert st.month_period("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(ProjectError):
        st.month_period("2026-13")
