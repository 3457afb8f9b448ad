"""Issue 17 §1–2 on the database (SQLite and PostgreSQL): a filed project's own activities on the
enterprise's and intermediaries' clock, apart from the departments' tasks; the 中介超市; the
intermediary's report, delivery and time against its committed days; whose a delay is; and an
intermediary that can reach only the activities it was chosen for."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from access.actor import Actor
from access.policy import AccessForbidden
from api.seed import seed_demo_accounts
from approvals.activities import ActivityError
from approvals.errors import AccessDenied, NotFoundError
from approvals.orm import MaterialRow, ProjectActivityRow, TaskRow
from approvals.samples import sample_project_doc
from approvals.service import active_catalogue, work_calendar
from approvals.services import clocks, filing
from approvals.services import intermediaries as im
from approvals.services.intermediaries import ActivityConflict, IntermediaryError
from storage.audit import AuditRow

MON = date(2026, 3, 2)
PDF = b"%PDF-1.4\n% report\n"


def _actor(user, role: str) -> Actor:
    return Actor(
        user.username,
        role,
        user.id,
        department=user.department,
        enterprise_id=user.enterprise_id,
        intermediary_id=user.intermediary_id,
    )


@pytest.fixture
def world(session):
    accounts = seed_demo_accounts(session)
    calendar = work_calendar(session)
    ent = _actor(accounts.users["enterprise1"], "enterprise")
    doc = sample_project_doc()
    p = filing.file_project(
        session,
        ent,
        calendar,
        name="中介集成测试",
        attributes=doc["attributes"],
        regional_assessments=doc["regional_assessments"],
        filed_on=MON,
    )
    session.commit()
    return {
        "p": p,
        "cal": calendar,
        "ent": ent,
        "ent2": _actor(accounts.users["enterprise2"], "enterprise"),
        "im1": _actor(accounts.users["intermediary1"], "intermediary"),
        "im2": _actor(accounts.users["intermediary2"], "intermediary"),
        "admin": _actor(accounts.users["admin"], "admin"),
        "reviewer": _actor(accounts.users["reviewer-sthj"], "reviewer"),
        "orgs": {o.name: o.id for o in accounts.intermediaries},
    }


def test_activities_are_stored_apart_from_the_departments_tasks(session, world):
    p, cal = world["p"], world["cal"]
    rows = session.scalars(
        select(ProjectActivityRow).where(ProjectActivityRow.project_id == p.id)
    ).all()
    by = {r.code: r for r in rows}
    assert {r.owner for r in rows} == {"enterprise", "intermediary"}
    assert by["E-SCHEME"].planned_start == date(2026, 3, 13)  # after I-SURVEY's 10 days
    assert by["E-BUILD-ABOVE"].planned_end > by["E-BUILD-BELOW"].planned_end
    # the departments' work is only the review steps
    step_codes = {s.code for s in p.steps}
    assert not step_codes & set(by)
    tasks = session.scalar(
        select(func.count()).select_from(TaskRow).where(TaskRow.project_id == p.id)
    )
    assert tasks == sum(len(s.departments) for s in p.steps)
    worklist = clocks.worklist(session, world["reviewer"], MON, cal)
    assert all(w["step_code"] not in by for w in worklist)


def test_choose_upload_deliver_and_measure(session, world):
    p, cal = world["p"], world["cal"]
    ent, im1, im2 = world["ent"], world["im1"], world["im2"]
    _, offers = im.offers(session, ent, p.id, "I-EIA")
    assert [(o.name, o.committed_days) for o in offers] == [
        ("浙江环科环境咨询有限公司", 15),
        ("杭州勘测规划设计院有限公司", 20),
    ]
    chosen_on = date(2026, 3, 5)  # two days after the planned start: the enterprise's delay
    im.choose(session, ent, p.id, "I-EIA", world["orgs"]["浙江环科环境咨询有限公司"], chosen_on)
    session.commit()
    with pytest.raises(ActivityConflict):
        im.choose(
            session, ent, p.id, "I-EIA", world["orgs"]["杭州勘测规划设计院有限公司"], chosen_on
        )
    session.rollback()

    mine = im.my_activities(session, im1, date(2026, 3, 6), cal)
    assert [a["code"] for a in mine] == ["I-EIA"]
    assert mine[0]["due_on"] == "2026-03-25"  # 15 working days, day 1 = 5 March
    assert mine[0]["workdays_used"] == 2 and mine[0]["service_state"] == "running"
    aid = mine[0]["id"]
    # another organisation reaches nothing of it
    assert im.my_activities(session, im2, date(2026, 3, 6), cal) == []
    for attempt in (
        lambda: im.my_activity(session, im2, aid),
        lambda: im.upload_report(session, im2, aid, "x.pdf", PDF),
        lambda: im.deliver(session, im2, aid, date(2026, 3, 6), cal),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    session.rollback()

    with pytest.raises(ActivityError):
        im.deliver(session, im1, aid, date(2026, 3, 6), cal)  # no report yet
    session.rollback()
    material = im.upload_report(session, im1, aid, "环评报告.pdf", PDF)
    delivered_on = date(2026, 3, 27)  # two working days after its due day
    done = im.deliver(session, im1, aid, delivered_on, cal)
    session.commit()
    assert session.get(MaterialRow, material.id).code == "I-EIA"
    out = im.activity_out(done, date(2026, 4, 1), cal)
    assert out["status"] == "done" and out["actual_end"] == "2026-03-27"
    assert out["service_state"] == "late" and out["overdue_workdays"] == 2
    assert out["workdays_used"] == 17
    # the delay on the plan: planned end 12 March, delivered 27 March = 15 days, of which the
    # 2 days before it was chosen are the enterprise's and 13 the intermediary's
    assert out["delay_days"] == 15
    assert out["delays"] == {"enterprise": 2, "intermediary": 13}
    actions = set(session.scalars(select(AuditRow.action).where(AuditRow.project_id == p.id)))
    assert {"intermediary.choose", "intermediary.report", "intermediary.deliver"} <= actions

    im.rate(session, ent, p.id, "I-EIA", 3, "略迟")
    session.commit()
    listed = {o["id"]: o for o in im.list_intermediaries(session, world["admin"])}
    assert listed[world["orgs"]["浙江环科环境咨询有限公司"]]["rating"] == 3.0


def test_the_enterprise_reports_its_own_progress_and_owns_its_delay(session, world):
    p, cal, ent = world["p"], world["cal"], world["ent"]
    # design started a week late and finished three weeks after its planned end
    im.report_progress(
        session, ent, p.id, "E-SCHEME", "start", date(2026, 3, 20), date(2026, 3, 20)
    )
    session.commit()
    with pytest.raises(ActivityError):
        im.report_progress(
            session, ent, p.id, "E-SCHEME", "start", date(2026, 3, 21), date(2026, 3, 21)
        )
    session.rollback()
    with pytest.raises(ActivityError, match="before it started"):
        im.report_progress(
            session, ent, p.id, "E-SCHEME", "finish", date(2026, 3, 19), date(2026, 4, 30)
        )
    session.rollback()
    im.report_progress(
        session, ent, p.id, "E-SCHEME", "finish", date(2026, 4, 22), date(2026, 4, 30)
    )
    session.commit()
    view = im.project_activities(session, ent, p.id, date(2026, 4, 30), cal)
    scheme = next(a for a in view["items"] if a["code"] == "E-SCHEME")
    assert scheme["delay_days"] == 21 and scheme["delays"] == {"enterprise": 21, "intermediary": 0}
    assert view["enterprise_delay_days"] >= 21
    # no department task for it; the forecast follows both clocks (the departments did nothing
    # in this test either, so by 30 April theirs is the binding delay; see
    # test_forecast_two_clocks for each cause alone)
    session.refresh(p)
    review = next(s for s in p.steps if s.code == "G-DESIGN")  # 设计方案审查 (merged)
    assert review.clock_delays["intermediary"] == 0
    assert p.predicted_finish > date.fromisoformat(p.finish_delays["plan_finish"])

    # the policy: another enterprise, a reviewer, an intermediary may not report
    with pytest.raises(NotFoundError):
        im.report_progress(session, world["ent2"], p.id, "E-SCHEME", "start", MON, MON)
    session.rollback()
    with pytest.raises((AccessDenied, NotFoundError)):
        im.report_progress(session, world["reviewer"], p.id, "E-BUILD-BELOW", "start", MON, MON)
    session.rollback()
    with pytest.raises(NotFoundError):
        im.project_activities(session, world["im1"], p.id, MON, cal)


def test_registry_refuses_field_by_field(session, world):
    admin, catalogue = world["admin"], active_catalogue(session)
    with pytest.raises(AccessForbidden):
        im.register_intermediary(
            session, world["ent"], catalogue, name="X", credit_code="91330110MA2H100099",
            services={"I-SURVEY": 3},
        )  # fmt: skip
    for services, field in (
        ({}, "services"),
        ({"S1-01": 3}, "services"),
        ({"I-SURVEY": 0}, "services.I-SURVEY"),
    ):
        with pytest.raises(IntermediaryError, match=field):
            im.register_intermediary(
                session,
                admin,
                catalogue,
                name="X",
                credit_code="91330110MA2H100099",
                services=services,
            )
    with pytest.raises(IntermediaryError, match="credit_code"):
        im.register_intermediary(
            session, admin, catalogue, name="X", credit_code="123", services={"I-SURVEY": 3}
        )
    row = im.register_intermediary(
        session, admin, catalogue, name="新测绘", credit_code="91330110MA2H100099",
        services={"I-SURVEY": 3},
    )  # fmt: skip
    session.commit()
    _, offers = im.offers(session, world["ent"], world["p"].id, "I-SURVEY")
    assert offers[0].intermediary_id == row.id  # fewest committed days among the unrated
