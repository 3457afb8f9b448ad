"""A hand-made world for the efficiency statistics: a catalogue with milestones and one project
run through the review workflow on known days (shared by the integration and the HTTP tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.orm import RatingRow, StepRow
from approvals.service import store_catalogue, work_calendar
from approvals.services import filing, materials, ratings, review

PDF = b"%PDF-1.7\n%test material\n"
D = lambda d: date(2026, 3, d)  # noqa: E731 - March 2026 has no holiday

CATALOG = {
    "catalog": {"code": "test-stats", "version": "1"},
    "departments": [
        {"code": c, "name": n}
        for c, n in [("fgw", "发改"), ("zrzy", "规划"), ("sthj", "环保"), ("zjj", "住建")]
    ],
    "items": [
        {
            "code": "A",
            "name": "备案",
            "department": "fgw",
            "stage": 1,
            "days": 2,
            "statutory_days": 20,
            "milestone": "project_code",
            "materials": [{"code": "M-form", "name": "备案表"}],
        },
        {
            "code": "B",
            "name": "规划许可",
            "department": "zrzy",
            "stage": 2,
            "days": 5,
            "requires": ["A"],
            "materials": [
                {"code": "M-plan", "name": "总平面图"},
                {"code": "M-render", "name": "效果图", "deferrable": True, "deferral_days": 3},
            ],
        },
        {
            "code": "C",
            "name": "环评",
            "department": "sthj",
            "stage": 1,
            "days": 3,
            "statutory_days": 3,
            "requires": ["A"],
            "materials": [{"code": "M-eia", "name": "环评报告"}],
        },
        {
            "code": "E",
            "name": "施工许可",
            "department": "zjj",
            "stage": 3,
            "days": 2,
            "requires": ["B", "C"],
            "milestone": "construction_permit",
        },
        {
            "code": "F",
            "name": "竣工验收",
            "department": "zjj",
            "stage": 4,
            "days": 2,
            "requires": ["E"],
            "milestone": "completion_acceptance",
        },
    ],
}


def make_world(session):
    accounts = seed_demo_accounts(session)
    store_catalogue(session, parse_catalog(CATALOG))
    session.commit()
    users = accounts.users
    ent = Actor(
        "enterprise1",
        "enterprise",
        users["enterprise1"].id,
        enterprise_id=accounts.enterprises[0].id,
    )

    def rev(dept):
        return Actor(f"reviewer-{dept}", "reviewer", users[f"reviewer-{dept}"].id, department=dept)

    return {
        "ent": ent,
        "rev": rev,
        "cal": work_calendar(session),
        "admin": Actor("admin", "admin", users["admin"].id),
        "reg": Actor("regulator1", "regulator", users["regulator1"].id),
    }


def _task(session, project, code):
    step = session.scalar(
        select(StepRow).where(StepRow.project_id == project.id, StepRow.code == code)
    )
    return step.tasks[0]


def add_plot(session, code, zone):
    """A standard plot of the registry in ``zone`` (what filing records as the project's zone)."""
    from shapely.geometry import box

    from landplots.orm import PlotRow

    session.add(
        PlotRow(
            code=code,
            name=code,
            status="listed",
            land_use="工业用地",
            zone_code=zone,
            geometry=box(0, 0, 100, 100),
            area_m2=10_000.0,
            area_mu=15.0,
            gk_epsg=4549,
            extra={},
        )
    )
    session.flush()


def run_project(session, w, industry="equipment", plot_code=None, name="统计项目"):
    """The timeline worked out in the module's tests (working days, March 2026)."""
    cal, ent, rev = w["cal"], w["ent"], w["rev"]
    p = filing.file_project(
        session,
        ent,
        cal,
        name=name,
        attributes={"industry": industry},
        filed_on=D(2),
        plot_code=plot_code,
    )

    def up(code, on):
        materials.upload_material(
            session, ent, p.id, code, f"{code}.pdf", PDF + code.encode(), on, cal
        )

    up("M-form", D(2))
    a = _task(session, p, "A")
    review.accept_task(session, rev("fgw"), a.id, D(2), cal)
    review.approve_task(session, rev("fgw"), a.id, D(3), cal)  # 2 working days, on time
    up("M-eia", D(4))
    c = _task(session, p, "C")
    review.accept_task(session, rev("sthj"), c.id, D(4), cal)  # waited 1 (ready on the 3rd)
    review.request_corrections(
        session, rev("sthj"), c.id, D(5), cal, reasons="数据缺失", materials=["M-eia"]
    )
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
    for r in session.scalars(select(RatingRow).where(RatingRow.project_id == p.id)):
        r.rated_at = datetime(2026, 3, 18, 2, tzinfo=UTC)
    session.commit()
    return p
