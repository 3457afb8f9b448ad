"""Issue 17 on the database (SQLite and PostgreSQL): the live forecast of the review steps waits
for the enterprise's and intermediaries' activities and says whose each delay is; projects filed
without activities are filled in (补录); an intermediary past its committed days is supervised
(督办) once per activity and level, and told with the enterprise and the administrators."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select, update

from access.actor import Actor
from access.orm import NotificationRow, UserRow
from agent_service.services.milestones import project_milestones
from api.jobs.work import daily_steps, run_daily
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.orm import (
    ActivitySupervisionRow,
    PlanChangeRow,
    ProjectActivityRow,
    ProjectRow,
    StepRow,
)
from approvals.service import store_catalogue, work_calendar
from approvals.services import filing, progress, review
from approvals.services import intermediaries as im
from tests.integration.test_intermediaries import _actor
from tests.integration.test_workflow_two_clocks import CATALOG

MON = date(2026, 3, 2)
PDF = b"%PDF-1.4\n% drawings\n"


@pytest.fixture
def world(session):
    accounts = seed_demo_accounts(session)
    catalogue = parse_catalog(CATALOG)
    store_catalogue(session, catalogue)
    session.flush()
    admin = _actor(accounts.users["admin"], "admin")
    org = im.register_intermediary(
        session,
        admin,
        catalogue,
        name="测试设计院",
        credit_code="91330110MA2H7Q0X1B",
        services={"D": 10},
    )
    user = accounts.users["intermediary1"]
    user.intermediary_id = org.id
    ent = _actor(accounts.users["enterprise1"], "enterprise")
    cal = work_calendar(session)
    p = filing.file_project(session, ent, cal, name="两个时钟预测", attributes={}, filed_on=MON)
    session.commit()
    fgw = accounts.users["reviewer-fgw"]
    return {
        "p": p,
        "cal": cal,
        "ent": ent,
        "admin": admin,
        "org": org,
        "im": _actor(user, "intermediary"),
        "fgw": Actor(fgw.username, "reviewer", fgw.id, department="fgw"),
    }


def _step(live, code):
    return next(s for s in live["steps"] if s["code"] == code)


def _live(session, world, today):
    session.expire_all()
    p = session.get(ProjectRow, world["p"].id)
    return progress.live_plan(session, p, today, world["cal"])


def _approve_a(session, world):
    a = next(t for s in world["p"].steps if s.code == "A" for t in s.tasks)
    review.accept_task(session, world["fgw"], a.id, MON, world["cal"])
    review.approve_task(session, world["fgw"], a.id, date(2026, 3, 3), world["cal"])
    session.commit()


def test_the_forecast_follows_both_clocks_and_names_whose_delay(session, world):
    p, cal = world["p"], world["cal"]
    rows = {r.code: r for r in session.scalars(select(ProjectActivityRow))}
    assert rows["D"].requires == {"A": 0} and rows["D"].required_by == {"B": 0}
    assert rows["W"].requires == {"B": 0} and rows["W"].required_by == {"C": 0}

    live = _live(session, world, MON)
    # filed: the permit review waits for the drawings (planned to end 2 April), nobody is late
    b = _step(live, "B")
    assert b["forecast_start"] == "2026-04-03" and b["waits_for"] == "D"
    assert b["delays"] == {"department": 0, "enterprise": 0, "intermediary": 0, "note": ""}
    assert live["predicted_finish"] == live["plan_finish"] and live["variance_workdays"] == 0
    assert live["predicted_finish"] > live["baseline_finish"]  # construction is in it

    _approve_a(session, world)
    # 20 March, nobody chosen for the drawings: the daily job re-forecasts — the enterprise's
    assert im.follow_open_activities(session, date(2026, 3, 20), cal) == 1
    session.commit()
    live = _live(session, world, date(2026, 3, 20))
    b = _step(live, "B")
    assert b["forecast_start"] == "2026-04-20"
    assert b["delays"]["enterprise"] > 0
    assert b["delays"]["department"] == 0 == b["delays"]["intermediary"]
    assert "企业原因" in b["delays"]["note"] and "企业原因" in b["change_reason"]
    assert live["finish_delays"]["enterprise"] == b["delays"]["enterprise"]
    assert live["variance_workdays"] == b["delays"]["enterprise"]

    im.choose(session, world["ent"], p.id, "D", world["org"].id, date(2026, 3, 20))
    session.commit()
    # 24 April, the drawings are not delivered (due 2 April): the rest is the intermediary's
    assert im.follow_open_activities(session, date(2026, 4, 24), cal) == 1
    session.commit()
    live = _live(session, world, date(2026, 4, 24))
    b = _step(live, "B")
    assert b["forecast_start"] == "2026-04-27"
    assert b["delays"]["intermediary"] > 0 and b["delays"]["enterprise"] > 0
    assert b["delays"]["department"] == 0
    assert "中介原因" in live["finish_delays"]["note"]

    # the agent's milestones follow and say whose the delay is
    marks = project_milestones(session, [session.get(ProjectRow, p.id)], date(2026, 4, 24), cal)
    stage3 = next(m for m in marks[p.id] if m.key == "stage-3")
    # due: the permit as planned on both clocks (3 working days after the drawings' 2 April)
    assert stage3.due_on == date(2026, 4, 8) and stage3.status == "overdue"
    assert stage3.delays["intermediary"] > 0
    assert stage3.to_dict()["delays"]["note"].startswith("企业原因")

    # delivered on 27 April: the review no longer waits for it
    material = im.upload_report(session, world["im"], rows["D"].id, "施工图.pdf", PDF)
    assert material.id
    im.deliver(session, world["im"], rows["D"].id, date(2026, 4, 27), cal)
    session.commit()
    live = _live(session, world, date(2026, 4, 27))
    b = _step(live, "B")
    assert b["waits_for"] is None and b["forecast_start"] == "2026-04-28"

    # 11 May, the department has not taken the permit in: that part is the department's
    im.follow_open_activities(session, date(2026, 5, 11), cal)
    session.commit()
    live = _live(session, world, date(2026, 5, 11))
    b = _step(live, "B")
    assert b["forecast_start"] == "2026-05-11" and b["delays"]["department"] > 0
    assert "部门原因" in live["finish_delays"]["note"]
    moved = session.scalar(
        select(func.count()).select_from(PlanChangeRow).where(PlanChangeRow.step_code == "B")
    )
    assert moved >= 3


def test_overdue_intermediary_is_supervised_once_per_level(session, world):
    p, cal = world["p"], world["cal"]
    _approve_a(session, world)
    im.choose(session, world["ent"], p.id, "D", world["org"].id, date(2026, 3, 20))
    session.commit()
    # committed 10 working days from 20 March: due 2 April
    assert im.supervise_overdue(session, date(2026, 4, 2), cal) == []
    first = im.supervise_overdue(session, date(2026, 4, 7), cal)
    session.commit()
    assert [s.level for s in first] == ["overdue"]
    assert im.supervise_overdue(session, date(2026, 4, 7), cal) == []  # the same day again
    session.commit()
    later = im.supervise_overdue(session, date(2026, 4, 14), cal)
    session.commit()
    assert [s.level for s in later] == ["overdue_5"]
    assert im.supervise_overdue(session, date(2026, 4, 15), cal) == []
    rows = session.scalars(select(ActivitySupervisionRow)).all()
    assert {(r.level, r.intermediary_id) for r in rows} == {
        ("overdue", world["org"].id),
        ("overdue_5", world["org"].id),
    }
    # told once per level: the enterprise, every administrator, the intermediary's account
    told = session.execute(
        select(UserRow.role, func.count())
        .join(NotificationRow, NotificationRow.user_id == UserRow.id)
        .where(NotificationRow.kind == "supervision")
        .group_by(UserRow.role)
    ).all()
    by_role = dict(told)
    admins = session.scalar(
        select(func.count()).select_from(UserRow).where(UserRow.role == "admin")
    )
    assert by_role["admin"] == 2 * admins
    assert by_role["enterprise"] >= 2 and by_role["intermediary"] == 2
    # the intermediary's page and the administrator's list
    mine = im.supervisions(session, intermediary_id=world["org"].id)
    assert [s["level"] for s in mine] == ["overdue_5", "overdue"]
    assert mine[0]["activity_code"] == "D" and mine[0]["overdue_workdays"] >= 5
    assert len(im.supervisions(session)) == 2
    # delivered: nothing more is raised
    im.upload_report(session, world["im"], mine[0]["activity_id"], "施工图.pdf", PDF)
    im.deliver(session, world["im"], mine[0]["activity_id"], date(2026, 4, 16), cal)
    session.commit()
    assert im.supervise_overdue(session, date(2026, 5, 30), cal) == []


def test_the_daily_job_supervises_and_reforecasts_idempotently(session, engine, world):
    p = world["p"]
    _approve_a(session, world)
    im.choose(session, world["ent"], p.id, "D", world["org"].id, date(2026, 3, 20))
    session.commit()
    from storage.engine import make_session_factory

    sessions = make_session_factory(engine)
    out = run_daily(sessions, date(2026, 4, 14))
    assert out["activities"] == {"supervised": 2, "replanned": 1}
    assert run_daily(sessions, date(2026, 4, 14)) is None  # the day's run is done
    again = daily_steps(sessions, date(2026, 4, 14))  # a crashed run retried: nothing twice
    assert again["activities"] == {"supervised": 0, "replanned": 1}
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ActivitySupervisionRow)) == 2


def test_backfill_fills_projects_filed_without_activities_once(session, world):
    p, cal = world["p"], world["cal"]
    # as before 0010: no activities, no forecast on both clocks
    session.execute(delete(ProjectActivityRow))
    session.execute(update(StepRow).values(clock_delays=None))
    session.execute(update(ProjectRow).values(finish_delays=None))
    session.commit()
    today = date(2026, 3, 20)
    assert im.backfill_activities(session, cal, today) == 1
    session.commit()
    rows = {r.code: r for r in session.scalars(select(ProjectActivityRow))}
    assert set(rows) == {"D", "W"} and rows["D"].required_by == {"B": 0}
    assert rows["D"].planned_start == date(2026, 3, 4)
    live = _live(session, world, today)
    assert live["finish_delays"] is not None and _step(live, "B")["waits_for"] == "D"
    assert im.backfill_activities(session, cal, today) == 0  # idempotent
    # stored between 0010 and 0019: the activities are there, their graph is not
    session.execute(update(ProjectActivityRow).values(requires=None, required_by=None))
    session.commit()
    assert im.backfill_activities(session, cal, today) == 1
    session.commit()
    session.expire_all()
    assert session.get(ProjectActivityRow, rows["W"].id).requires == {"B": 0}
    assert session.scalar(select(func.count()).select_from(ProjectActivityRow)) == 2
    assert im.backfill_activities(session, cal, today) == 0
    assert p.id


def test_construction_waits_for_a_late_permit_and_the_push_is_the_departments(session, world):
    """The activities' table: construction (W) starts no earlier than the permit's (B) forecast
    finish; the days that moves it are the department's (部门原因), not the enterprise's."""
    p, cal = world["p"], world["cal"]
    rows = {r.code: r for r in session.scalars(select(ProjectActivityRow))}
    _approve_a(session, world)
    im.choose(session, world["ent"], p.id, "D", world["org"].id, date(2026, 3, 4))
    session.commit()
    im.upload_report(session, world["im"], rows["D"].id, "施工图.pdf", PDF)
    im.deliver(session, world["im"], rows["D"].id, date(2026, 4, 2), cal)  # on time
    session.commit()
    # filed and on time: construction as planned, nothing pushes it
    view = im.project_activities(session, world["ent"], p.id, date(2026, 4, 2), cal)
    w = next(a for a in view["items"] if a["code"] == "W")
    assert w["forecast_start"] == w["planned_start"] and w["pushed_days"] == 0
    assert w["waits_for"] is None and view["department_push_days"] == 0

    # 11 May: the department has not taken the permit in (ready since 3 April)
    today = date(2026, 5, 11)
    im.follow_open_activities(session, today, cal)
    session.commit()
    session.expire_all()
    live = _live(session, world, today)
    b = _step(live, "B")
    assert b["forecast_start"] == "2026-05-11" and b["delays"]["department"] > 0
    view = im.project_activities(session, world["ent"], p.id, today, cal)
    w = next(a for a in view["items"] if a["code"] == "W")
    # no earlier than the day after the permit's forecast finish
    assert w["forecast_start"] > b["forecast_end"]
    assert w["forecast_start"] == "2026-05-14"
    assert w["own_forecast_start"] == "2026-05-11" and w["waits_for"] == "B"
    late = w["delay_days"]
    assert late > 0 and w["pushed_by"] == {"department": late, "enterprise": 0, "intermediary": 0}
    # the enterprise's own time is not charged with the department's days
    assert w["delays"] == {"enterprise": 0, "intermediary": 0}
    assert view["enterprise_delay_days"] == 0 and view["department_push_days"] == late
    assert "部门原因" in w["push_note"] and "B 施工许可" in w["push_note"]
    en = im.project_activities(session, world["ent"], p.id, today, cal, "en")
    assert "the departments" in next(a for a in en["items"] if a["code"] == "W")["push_note"]
    # the project page's block (企业与中介用时（第二个时钟）) shows it beside the own forecast
    from pathlib import Path

    from jinja2 import Environment, FileSystemLoader

    root = Path(__file__).resolve().parents[2] / "api" / "templates"
    block = Environment(loader=FileSystemLoader(root), autoescape=True).get_template(
        "activities_block.html"
    )
    html = block.render(
        lang="zh",
        activities={**view, "can_report": False, "can_choose": False, "rating_labels": []},
        t=lambda key: key,
        csrf_input="",
        today=today.isoformat(),
    )
    row = html[html.index('id="activity-W"') :]
    row = row[: row.index("</tr>")]
    assert "2026-05-14 →" in row and "部门原因" in row and "自身预测 <span" in row
    assert "2026-05-11 →" in row
    assert 'data-testid="department-push">' + str(late) in html


def test_first_scan_five_days_late_records_both_levels_and_tells_once(session, world):
    """The daily job did not run for a week (or the activity was chosen in the past): the first
    scan finds it ≥ 5 working days late — both records, one notice each, of the higher level."""
    p, cal = world["p"], world["cal"]
    _approve_a(session, world)
    im.choose(session, world["ent"], p.id, "D", world["org"].id, date(2026, 3, 20))
    session.commit()
    raised = im.supervise_overdue(session, date(2026, 4, 14), cal)  # due 2 April
    session.commit()
    assert [s.level for s in raised] == ["overdue", "overdue_5"]
    told = session.execute(
        select(UserRow.role, func.count())
        .join(NotificationRow, NotificationRow.user_id == UserRow.id)
        .where(NotificationRow.kind == "supervision")
        .group_by(UserRow.role)
    ).all()
    assert dict(told)["intermediary"] == 1
    assert im.supervise_overdue(session, date(2026, 4, 15), cal) == []
