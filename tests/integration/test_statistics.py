"""Efficiency statistics (效能统计) on a real database (SQLite and PostgreSQL): a hand-made
project run through the review workflow, whose figures are worked out by hand below."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from access.policy import AccessForbidden
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import ProjectRow, RatingRow, TaskRow
from approvals.services import statistics as st
from tests.integration.statistics_support import D, add_plot, make_world, run_project


@pytest.fixture
def world(session):
    return make_world(session)


MARCH = st.Filters(D(1), D(31))


def test_compact_columns_and_project_facts(session, world):
    p = run_project(session, world)
    tasks = {
        t.step_code: t for t in session.scalars(select(TaskRow).where(TaskRow.project_id == p.id))
    }
    assert {c: (t.stage, t.wait_workdays, t.workdays) for c, t in tasks.items()} == {
        "A": (1, 0, 2),
        "B": (2, 1, 8),
        "C": (1, 1, 3),
        "E": (3, 1, 2),
        "F": (4, 0, 1),
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
    assert (
        o["correction_rate"],
        o["correction_rounds"],
        o["stopped_tasks"],
        o["stopped_days"],
    ) == (0.2, 1, 1, 4)
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
    assert (
        st.statistics(session, world["admin"], st.Filters(D(18), D(31)), world["cal"]).overall[
            "cases"
        ]
        == 0
    )
    other_industry = st.Filters(D(1), D(31), industry="chemical")
    assert st.statistics(session, world["reg"], other_industry, world["cal"]).overall["cases"] == 0
    assert (
        st.statistics(
            session, world["reg"], st.Filters(D(1), D(31), industry="equipment"), world["cal"]
        ).overall["cases"]
        == 5
    )


def test_a_reviewer_sees_its_own_department_only(session, world):
    run_project(session, world)
    mine = st.statistics(session, world["rev"]("zjj"), MARCH, world["cal"])
    assert [d["department"] for d in mine.departments] == ["zjj"]
    assert mine.overall["cases"] == 2 and mine.projects is None and mine.comments == []
    zrzy = st.statistics(session, world["rev"]("zrzy"), MARCH, world["cal"])
    assert [c["step"] for c in zrzy.comments] == ["B"] and zrzy.overall["ratings"] == [
        0,
        1,
        0,
        0,
        0,
    ]
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


def test_the_migration_backfills_what_decisions_store(engine):
    """Revision 0011 fills the compact columns of existing rows from what is stored: down to
    0015 (the revision before it) and up again gives the figures the decisions themselves kept."""
    from migrations.runner import downgrade, upgrade
    from storage.engine import make_session_factory

    factory = make_session_factory(engine)
    with factory() as s:
        run_project(s, make_world(s))
    cols = "step_code, stage, wait_workdays, workdays"
    pcols = "approval_workdays, coded_on, permit_on, completed_on, saved_waivers, saved_merges"
    from sqlalchemy import text

    def snapshot():
        with engine.connect() as c:
            return (
                sorted(map(tuple, c.execute(text(f"SELECT id, {cols} FROM tasks")))),
                sorted(map(tuple, c.execute(text(f"SELECT id, {pcols} FROM projects")))),
                sorted(map(tuple, c.execute(text("SELECT * FROM task_figures")))),
            )

    live = snapshot()
    assert live[1][0][1] == 16 and len(live[2]) == 5
    downgrade(engine, "0015")
    upgrade(engine)
    assert snapshot() == live


FILTERS = [
    {},
    {"department": "zjj"},
    {"industry": "equipment"},
    {"industry": "chemical"},
    {"zone": "Z1"},
    {"zone": "Z2"},
    {"industry": "equipment", "zone": "Z1"},
    {"industry": "chemical", "zone": "Z1"},
    {"department": "sthj", "industry": "chemical", "zone": "Z2"},
]
PERIODS = [
    (D(1), D(31)),  # a whole month: the figures alone
    (D(2), D(30)),  # within a month: the tasks alone
    (D(4), D(13)),  # cutting through the decisions (the 3rd, 12th, 13th, 17th)
    (date(2026, 2, 14), date(2026, 4, 10)),  # edges before and after a whole month
    (date(2026, 1, 1), date(2026, 12, 31)),  # whole months
]


def _figures(s):
    return (s.overall, s.departments, s.items, s.projects, s.comments)


def test_monthly_figures_agree_with_the_tasks(session, world):
    """Whole months read the figures the decisions added up (by industry and zone when one is
    asked for), the days outside them the tasks: for every filter and period the answer is the
    one every task gives read one by one."""
    add_plot(session, "P-1", "Z1")
    add_plot(session, "P-2", "Z2")
    run_project(session, world, "equipment", "P-1", name="设备项目")
    run_project(session, world, "chemical", "P-2", name="化工项目")
    run_project(session, world, "chemical", "P-1", name="化工项目二")
    run_project(session, world, "equipment", None, name="非标准地项目")
    assert st.whole_months(MARCH) and not st.whole_months(st.Filters(D(2), D(30)))
    seen = set()
    for period in PERIODS:
        for kw in FILTERS:
            f = st.Filters(*period, **kw)
            parts = st.statistics(session, world["admin"], f, world["cal"])
            tasks = st.statistics(session, world["admin"], f, world["cal"], from_tasks=True)
            assert _figures(parts) == _figures(tasks), (period, kw)
            seen.add((period, tuple(sorted(kw.items())), parts.overall["cases"]))
    by = {(p, k): n for p, k, n in seen}
    march = {k: n for (p, k), n in by.items() if p == (D(1), D(31))}
    # the filters do select: four projects of five tasks each
    assert march == {
        (): 20,
        (("department", "zjj"),): 8,
        (("industry", "equipment"),): 10,
        (("industry", "chemical"),): 10,
        (("zone", "Z1"),): 10,
        (("zone", "Z2"),): 5,
        (("industry", "equipment"), ("zone", "Z1")): 5,
        (("industry", "chemical"), ("zone", "Z1")): 5,
        (("department", "sthj"), ("industry", "chemical"), ("zone", "Z2")): 1,
    }
    assert by[((D(4), D(13)), ())] == 4 * 2  # C (the 12th) and B (the 13th) of each
    # the zone recorded at filing
    zones = dict(session.execute(select(ProjectRow.name, ProjectRow.zone_code)).all())
    assert zones == {"设备项目": "Z1", "化工项目": "Z2", "化工项目二": "Z1", "非标准地项目": None}


def test_ratings_count_in_the_period_of_the_rated_decision(session, world):
    """A rating given in April of a step decided in March counts in March (B was decided on
    the 13th, A on the 3rd), whatever the day it was given."""
    run_project(session, world)
    for r in session.scalars(select(RatingRow)):
        r.rated_at = datetime(2026, 4, 2, 2, tzinfo=UTC)
    session.commit()
    march = st.statistics(session, world["admin"], MARCH, world["cal"])
    assert march.overall["ratings"] == [0, 1, 0, 0, 1]
    assert [c["step"] for c in march.comments] == ["B"]
    april = st.statistics(
        session, world["admin"], st.Filters(date(2026, 4, 1), date(2026, 4, 30)), world["cal"]
    )
    assert april.overall["ratings"] == [0, 0, 0, 0, 0] and april.comments == []
    # within March: B's rating falls in the days of its decision only
    assert st.statistics(session, world["admin"], st.Filters(D(13), D(31)), world["cal"]).overall[
        "ratings"
    ] == [0, 1, 0, 0, 0]
    assert st.statistics(session, world["admin"], st.Filters(D(1), D(12)), world["cal"]).overall[
        "ratings"
    ] == [0, 0, 0, 0, 1]
    assert {r.step_code: r.decided_on for r in session.scalars(select(RatingRow))} == {
        "A": D(3),
        "B": D(13),
    }


def test_migration_0020_backfills_industry_zone_and_figures(engine):
    """Revision 0020 fills the projects' industry and zone, the ratings' decision day and the
    figures by industry and zone from what is stored: down to 0011 and up again gives what the
    filings, decisions and ratings themselves kept."""
    from sqlalchemy import text

    from migrations.runner import downgrade, upgrade
    from storage.engine import make_session_factory

    factory = make_session_factory(engine)
    with factory() as s:
        w = make_world(s)
        add_plot(s, "P-1", "Z1")
        run_project(s, w, "equipment", "P-1", name="设备项目")
        run_project(s, w, "chemical", None, name="化工项目")

    def snapshot():
        with engine.connect() as c:
            return (
                sorted(map(tuple, c.execute(text("SELECT id, industry, zone_code FROM projects")))),
                sorted(map(tuple, c.execute(text("SELECT id, decided_on FROM ratings")))),
                sorted(map(tuple, c.execute(text("SELECT * FROM task_figures_kind")))),
            )

    live = snapshot()
    assert [r[1:] for r in live[0]] == [("equipment", "Z1"), ("chemical", None)]
    assert len(live[2]) == 10 and all(r[1] is not None for r in live[1])
    downgrade(engine, "0019")
    with engine.connect() as c:
        assert "task_figures_kind" not in sa_inspect(c).get_table_names()
        assert "industry" not in {col["name"] for col in sa_inspect(c).get_columns("projects")}
    upgrade(engine)
    assert snapshot() == live
