"""The review workflow on a real database (SQLite and PostgreSQL): filing once, parallel review,
容缺, 补正, merged reviews, clocks, the live plan, worklists, ratings and the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.errors import AccessDenied, NotFoundError, ProjectError, StaleVersion
from approvals.orm import CertificateRow, PlanChangeRow, StepRow, TaskRow
from approvals.service import store_catalogue, work_calendar
from approvals.services import clocks, filing, materials, progress, queries, ratings, review
from approvals.workflow import MaterialsMissing, WorkflowError
from storage.audit import AuditRow

PDF = b"%PDF-1.7\n%test material\n"
MON = date(2026, 3, 2)  # a Monday with no holiday for weeks

CATALOG = {
    "catalog": {"code": "test-flow", "version": "1"},
    "departments": [
        {"code": c, "name": n}
        for c, n in [
            ("fgw", "发改"),
            ("zrzy", "规划"),
            ("sthj", "环保"),
            ("zjj", "住建"),
            ("rfb", "人防"),
        ]
    ],
    "items": [
        {
            "code": "A",
            "name": "备案",
            "department": "fgw",
            "stage": 1,
            "days": 2,
            "materials": [{"code": "M-form", "name": "备案表"}],
            "outputs": [{"code": "C-code", "name": "项目代码"}],
        },
        {
            "code": "B",
            "name": "规划许可",
            "department": "zrzy",
            "stage": 2,
            "days": 5,
            "requires": ["A"],
            "materials": [
                {"code": "C-code", "name": "项目代码"},
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
            "requires": ["A"],
            "materials": [{"code": "M-eia", "name": "环评报告"}],
        },
        {
            "code": "D1",
            "name": "施工图审查",
            "department": "zjj",
            "stage": 3,
            "days": 4,
            "requires": ["B", "C"],
        },
        {
            "code": "D2",
            "name": "人防审查",
            "department": "rfb",
            "stage": 3,
            "days": 4,
            "requires": ["B", "C"],
        },
        {
            "code": "E",
            "name": "施工许可",
            "department": "zjj",
            "stage": 3,
            "days": 2,
            "requires": ["D1", "D2"],
        },
    ],
    "merge_groups": [
        {"code": "G", "name": "联合审图", "members": ["D1", "D2"], "days": 3, "department": "zjj"}
    ],
}


@pytest.fixture
def world(session):
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
    other = Actor(
        "enterprise2",
        "enterprise",
        users["enterprise2"].id,
        enterprise_id=accounts.enterprises[1].id,
    )

    def reviewer(dept: str) -> Actor:
        u = users[f"reviewer-{dept}"]
        return Actor(u.username, "reviewer", u.id, department=dept)

    return {
        "ent": ent,
        "other": other,
        "rev": reviewer,
        "reg": Actor("regulator1", "regulator", users["regulator1"].id),
        "cal": work_calendar(session),
    }


def file(session, w, on=MON):
    p = filing.file_project(
        session, w["ent"], w["cal"], name="测试项目", attributes={}, filed_on=on
    )
    session.commit()
    return p


def task_of(session, project, step_code, dept=None):
    step = session.scalar(
        select(StepRow).where(StepRow.project_id == project.id, StepRow.code == step_code)
    )
    return next(t for t in step.tasks if dept is None or t.department == dept)


def upload(session, w, project, code, on, data=PDF, name=None):
    materials.upload_material(
        session,
        w["ent"],
        project.id,
        code,
        name or f"{code}.pdf",
        data + code.encode(),
        on,
        w["cal"],
    )
    session.commit()


def test_filing_plans_once_and_makes_the_first_tasks_ready(session, world):
    p = file(session, world)
    assert p.code.startswith("2026-330110-41-03-")
    assert p.baseline["makespan_workdays"] == 2 + 5 + 3 + 2 and p.predicted_finish == date(
        2026, 3, 17
    )
    statuses = {s.code: s.status for s in p.steps}
    assert statuses == {
        "A": "ready",
        "B": "waiting",
        "C": "waiting",
        "G": "waiting",
        "E": "waiting",
    }
    assert task_of(session, p, "A").ready_on == MON
    assert [t.department for t in task_of(session, p, "G").step.tasks] == ["zjj", "rfb"]


def test_visibility_is_enforced_by_the_service(session, world):
    p = file(session, world)
    with pytest.raises(NotFoundError):
        queries.get_project(session, world["other"], p.id)
    assert queries.get_project(session, world["rev"]("fgw"), p.id).id == p.id  # has a ready task
    with pytest.raises(NotFoundError):
        queries.get_project(session, world["rev"]("rfb"), p.id)  # nothing for it yet
    with pytest.raises(NotFoundError):
        queries.get_task(session, world["rev"]("zjj"), task_of(session, p, "A").id)
    assert queries.get_project(session, world["reg"], p.id).id == p.id


def test_plain_reads_see_what_get_project_sees(session, world):
    """The plan's and the audit trail's statements, built once per visibility rule (bound
    parameters), find a project exactly when :func:`queries.get_project` does."""
    p = file(session, world)
    agent = Actor("agent1", "agent", p.agent_user_id or -5)
    actors = [
        world["ent"],
        world["other"],
        world["rev"]("fgw"),  # has a ready task
        world["rev"]("rfb"),  # nothing for it yet
        world["reg"],
        agent,
        Actor("nobody-agent", "agent", None),
        Actor("intermediary1", "intermediary", None),
        Actor("admin", "admin", None),
    ]
    for actor in actors:
        try:
            queries.get_project(session, actor, p.id)
            sees = True
        except NotFoundError:
            sees = False
        for read in (queries.plan_project, queries.project_audit):
            if sees:
                read(session, actor, p.id)
            else:
                with pytest.raises(NotFoundError):
                    read(session, actor, p.id)
        with pytest.raises(NotFoundError):  # a project that does not exist
            queries.plan_project(session, actor, p.id + 1000)
    plan = queries.plan_project(session, world["ent"], p.id)
    assert [s.code for s in plan.steps] == [s.code for s in p.steps]
    assert [[t.id for t in s.tasks] for s in plan.steps] == [
        [t.id for t in s.tasks] for s in p.steps
    ]
    assert queries.project_audit(session, world["ent"], p.id)  # filing is recorded


def test_parallel_review_certificates_and_dependents_becoming_ready(session, world):
    p = file(session, world)
    a = task_of(session, p, "A")
    with pytest.raises(MaterialsMissing) as err:
        review.accept_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])
    assert err.value.codes == ["M-form"]
    session.rollback()
    upload(session, world, p, "M-form", MON)
    review.accept_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])
    review.approve_task(session, world["rev"]("fgw"), a.id, date(2026, 3, 3), world["cal"])
    session.commit()
    certs = session.scalars(select(CertificateRow).where(CertificateRow.project_id == p.id)).all()
    assert [(c.code, c.item_code) for c in certs] == [("C-code", "A")]
    # B and C are ready at once, for two departments: parallel review
    assert task_of(session, p, "B").status == task_of(session, p, "C").status == "ready"
    # the certificate is passed on: B never asks the enterprise for it
    status = {
        m["code"]: m["state"]
        for m in queries.material_status(session, p, task_of(session, p, "B").step)
    }
    assert status == {"C-code": "certificate", "M-plan": "missing", "M-render": "missing"}


def _through_a(session, world):
    p = file(session, world)
    upload(session, world, p, "M-form", MON)
    a = task_of(session, p, "A")
    review.accept_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])
    review.approve_task(session, world["rev"]("fgw"), a.id, date(2026, 3, 3), world["cal"])
    session.commit()
    return p


def test_deferred_material_gets_a_deadline_and_blocks_when_overdue(session, world):
    p = _through_a(session, world)
    upload(session, world, p, "M-plan", date(2026, 3, 4))
    b = task_of(session, p, "B")
    review.accept_task(session, world["rev"]("zrzy"), b.id, date(2026, 3, 4), world["cal"])
    session.commit()
    assert [(d.material_code, d.due_on) for d in b.deferrals] == [("M-render", date(2026, 3, 9))]
    assert b.due_on == date(2026, 3, 10)  # 5 working days counting the day of acceptance
    with pytest.raises(WorkflowError, match="M-render"):
        review.approve_task(session, world["rev"]("zrzy"), b.id, date(2026, 3, 10), world["cal"])
    session.rollback()
    upload(session, world, p, "M-render", date(2026, 3, 10))
    assert task_of(session, p, "B").deferrals[0].supplied_on == date(2026, 3, 10)
    review.approve_task(session, world["rev"]("zrzy"), b.id, date(2026, 3, 10), world["cal"])
    session.commit()
    assert task_of(session, p, "B").status == "approved"


def test_corrections_stop_the_clock_until_resubmission(session, world):
    p = _through_a(session, world)
    upload(session, world, p, "M-eia", date(2026, 3, 4))
    c = task_of(session, p, "C")
    review.accept_task(session, world["rev"]("sthj"), c.id, date(2026, 3, 4), world["cal"])
    assert c.due_on == date(2026, 3, 6)
    review.request_corrections(
        session,
        world["rev"]("sthj"),
        c.id,
        date(2026, 3, 5),
        world["cal"],
        reasons="监测数据缺失",
        materials=["M-eia"],
    )
    session.commit()
    assert c.status == "corrections" and c.stopped_since == date(2026, 3, 5)
    with pytest.raises(ProjectError, match="M-eia"):  # nothing was uploaded again
        materials.resubmit_corrections(
            session, world["ent"], p.id, c.id, date(2026, 3, 11), world["cal"]
        )
    session.rollback()
    upload(session, world, p, "M-eia", date(2026, 3, 11), data=b"%PDF-1.7\n%corrected\n")
    materials.resubmit_corrections(
        session, world["ent"], p.id, c.id, date(2026, 3, 11), world["cal"]
    )
    session.commit()
    # stopped from Thu 5 to Wed 11 March: 4 working days; due moves from 6 to 12 March
    assert (c.status, c.stopped_days, c.due_on) == ("in_review", 4, date(2026, 3, 12))


def test_special_procedure_stops_the_clock(session, world):
    p = _through_a(session, world)
    upload(session, world, p, "M-eia", date(2026, 3, 4))
    c = task_of(session, p, "C")
    review.accept_task(session, world["rev"]("sthj"), c.id, date(2026, 3, 4), world["cal"])
    review.start_special_procedure(
        session, world["rev"]("sthj"), c.id, date(2026, 3, 4), world["cal"], kind="expert_review"
    )
    review.end_special_procedure(
        session, world["rev"]("sthj"), c.id, date(2026, 3, 9), world["cal"]
    )
    session.commit()
    assert c.stopped_days == 3 and c.due_on == date(2026, 3, 11)
    with pytest.raises(ProjectError, match="unknown special procedure"):
        review.start_special_procedure(
            session, world["rev"]("sthj"), c.id, date(2026, 3, 9), world["cal"], kind="astrology"
        )


def test_merged_review_completes_when_every_member_department_approves(session, world):
    p = _through_a(session, world)
    for code, dept, material in (("B", "zrzy", ["M-plan", "M-render"]), ("C", "sthj", ["M-eia"])):
        for m in material:
            upload(session, world, p, m, date(2026, 3, 4))
        t = task_of(session, p, code)
        review.accept_task(session, world["rev"](dept), t.id, date(2026, 3, 4), world["cal"])
        review.approve_task(session, world["rev"](dept), t.id, date(2026, 3, 5), world["cal"])
    session.commit()
    g_zjj, g_rfb = task_of(session, p, "G", "zjj"), task_of(session, p, "G", "rfb")
    assert g_zjj.status == g_rfb.status == "ready"
    for t, dept in ((g_zjj, "zjj"), (g_rfb, "rfb")):
        review.accept_task(session, world["rev"](dept), t.id, date(2026, 3, 6), world["cal"])
    review.approve_task(session, world["rev"]("zjj"), g_zjj.id, date(2026, 3, 9), world["cal"])
    session.commit()
    assert g_zjj.step.status == "in_progress" and task_of(session, p, "E").status == "waiting"
    with pytest.raises(NotFoundError):  # one department cannot sign for another
        review.approve_task(session, world["rev"]("zjj"), g_rfb.id, date(2026, 3, 9), world["cal"])
    review.approve_task(session, world["rev"]("rfb"), g_rfb.id, date(2026, 3, 10), world["cal"])
    session.commit()
    assert g_rfb.step.status == "done" and task_of(session, p, "E").status == "ready"
    assert g_rfb.step.actual_start == date(2026, 3, 6) and g_rfb.step.actual_end == date(
        2026, 3, 10
    )


def test_stale_version_and_wrong_department_are_refused(session, world):
    p = file(session, world)
    upload(session, world, p, "M-form", MON)
    a = task_of(session, p, "A")
    stale = a.version
    review.accept_task(session, world["rev"]("fgw"), a.id, MON, world["cal"], version=stale)
    session.commit()
    with pytest.raises(StaleVersion):
        review.approve_task(session, world["rev"]("fgw"), a.id, MON, world["cal"], version=stale)
    session.rollback()
    with pytest.raises(AccessDenied):
        review.approve_task(session, world["reg"], a.id, MON, world["cal"])
    session.rollback()
    with pytest.raises(WorkflowError):  # cannot approve twice
        review.approve_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])
        review.approve_task(session, world["rev"]("fgw"), a.id, MON, world["cal"])


def test_clock_states_escalations_and_the_worklist_order(session, world):
    late = _through_a(session, world)
    upload(session, world, late, "M-eia", date(2026, 3, 4))
    c = task_of(session, late, "C")
    review.accept_task(
        session, world["rev"]("sthj"), c.id, date(2026, 3, 4), world["cal"]
    )  # due 6 March
    session.commit()
    cal = world["cal"]
    assert (
        progress.task_summary(c, c.step, date(2026, 3, 4), cal)["clock"] == "normal"
    )  # three working days left
    assert progress.task_summary(c, c.step, date(2026, 3, 5), cal)["clock"] == "warning"  # two left
    assert progress.task_summary(c, c.step, date(2026, 3, 10), cal)["clock"] == "overdue"
    raised = clocks.scan_clocks(session, date(2026, 3, 10), cal)
    session.commit()
    assert {(e.task_id, e.level) for e in raised} == {
        (c.id, "overdue")
    }  # 督办 for overdue tasks only
    assert clocks.scan_clocks(session, date(2026, 3, 11), cal) == []  # once
    assert (
        session.scalar(select(AuditRow).where(AuditRow.action == "task.escalate.overdue"))
        is not None
    )
    # the live plan moves the finish and says why
    progress.replan(session, late, date(2026, 3, 10), cal, "巡检：环评超期", "scan: EIA overdue")
    session.commit()
    plan = progress.live_plan(session, late, date(2026, 3, 10), cal)
    assert plan["predicted_finish"] > plan["baseline_finish"]
    assert plan["variance_workdays"] > 0
    step_c = next(s for s in plan["steps"] if s["code"] == "C")
    assert step_c["change_reason"] and step_c["tasks"][0]["clock"] == "overdue"
    # worklist: the overdue task first
    fresh = _through_a(session, world)  # a second project: B and C ready, not overdue
    work = clocks.worklist(session, world["reg"], date(2026, 3, 10), cal, "sthj")
    assert [w["project_id"] for w in work][:1] == [late.id] and work[0]["clock"] == "overdue"
    assert {w["project_id"] for w in work} == {late.id, fresh.id}
    with pytest.raises(AccessDenied):
        clocks.worklist(session, world["rev"]("fgw"), date(2026, 3, 10), cal, "sthj")


def test_live_plan_records_each_change_with_its_reason(session, world):
    p = _through_a(session, world)  # A done a day early? A took 2 days: on plan
    changes = session.scalars(select(PlanChangeRow).where(PlanChangeRow.project_id == p.id)).all()
    assert changes[0].reason_zh.startswith("项目申报")
    plan = progress.live_plan(session, p, date(2026, 3, 3), world["cal"])
    a = next(s for s in plan["steps"] if s["code"] == "A")
    assert (a["actual_start"], a["actual_end"], a["baseline_end"]) == (
        "2026-03-02",
        "2026-03-03",
        "2026-03-03",
    )
    assert plan["predicted_finish"] == plan["baseline_finish"] == "2026-03-17"


def test_ratings_for_completed_steps_once(session, world):
    p = _through_a(session, world)
    with pytest.raises(WorkflowError):
        ratings.rate_step(session, world["ent"], p.id, "B", 5)
    ratings.rate_step(session, world["ent"], p.id, "A", 5, "当天办结")
    session.commit()
    with pytest.raises(WorkflowError, match="already"):
        ratings.rate_step(session, world["ent"], p.id, "A", 4)
    session.rollback()
    with pytest.raises(NotFoundError):
        ratings.rate_step(session, world["other"], p.id, "A", 1)


def test_uploads_are_checked_and_stored_once(session, world):
    p = file(session, world)
    for name, data, culprit in [
        ("../../etc/passwd", PDF, "../../etc/passwd"),
        ("evil.exe", b"MZ\x90\x00binary", "file type"),
        ("empty.pdf", b"", "empty"),
    ]:
        with pytest.raises(ProjectError, match=culprit.replace(".", r"\.").replace("(", r"\(")):
            materials.upload_material(
                session, world["ent"], p.id, "M-form", name, data, MON, world["cal"]
            )
        session.rollback()
    with pytest.raises(ProjectError, match="M-nothing"):
        materials.upload_material(
            session, world["ent"], p.id, "M-nothing", "x.pdf", PDF, MON, world["cal"]
        )
    session.rollback()
    with pytest.raises(AccessDenied):
        materials.upload_material(
            session, world["reg"], p.id, "M-form", "x.pdf", PDF, MON, world["cal"]
        )
    session.rollback()


def test_the_audit_trail_is_append_only(session, world):
    p = _through_a(session, world)
    actions = [
        r.action
        for r in session.scalars(
            select(AuditRow).where(AuditRow.project_id == p.id).order_by(AuditRow.id)
        )
    ]
    assert actions[:4] == ["project.file", "material.upload", "task.accept", "task.approve"]
    approve = session.scalar(select(AuditRow).where(AuditRow.action == "task.approve"))
    assert (
        approve.before["status"] == "in_review"
        and approve.after["status"] == "approved"
        and approve.actor == "reviewer-fgw"
    )
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE audit_log SET actor = 'nobody'"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM audit_log"))
    session.rollback()


def test_filing_refuses_incomplete_or_malformed_input(session, world):
    with pytest.raises(ProjectError, match="project code"):
        filing.file_project(
            session,
            world["ent"],
            world["cal"],
            name="x",
            attributes={},
            filed_on=MON,
            code="2026-33-1",
        )
    with pytest.raises(ProjectError, match="name"):
        filing.file_project(
            session, world["ent"], world["cal"], name="  ", attributes={}, filed_on=MON
        )
    with pytest.raises(AccessDenied):
        filing.file_project(
            session, world["rev"]("fgw"), world["cal"], name="x", attributes={}, filed_on=MON
        )
    session.rollback()
    assert session.scalar(select(TaskRow.id)) is None  # nothing half-filed
