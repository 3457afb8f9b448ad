"""Capacity-aware forecasts over the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.orm import CapacityRunRow, StepRow, TaskForecastRow
from approvals.service import store_catalogue, work_calendar
from approvals.services import capacity as cs
from approvals.services import filing, review

MON = date(2026, 3, 2)
CATALOG = {
    "catalog": {"code": "cap-test", "version": "1"},
    "departments": [{"code": "fgw", "name": "发改"}, {"code": "zjj", "name": "住建"}],
    "items": [
        {"code": "A", "name": "备案", "department": "fgw", "stage": 1, "days": 2},
        {
            "code": "B",
            "name": "施工许可",
            "department": "zjj",
            "stage": 3,
            "days": 3,
            "requires": ["A"],
        },
    ],
}


def setup(session):
    accounts = seed_demo_accounts(session)
    store_catalogue(session, parse_catalog(CATALOG))
    session.commit()
    users = accounts.users
    out = []
    for name, (user, ent) in (("项目一", ("enterprise1", 0)), ("项目二", ("enterprise2", 1))):
        actor = Actor(
            user, "enterprise", users[user].id, enterprise_id=accounts.enterprises[ent].id
        )
        out.append(
            filing.file_project(
                session, actor, work_calendar(session), name=name, attributes={}, filed_on=MON
            )
        )
    session.commit()
    return out


def forecast(session, project, code):
    step = session.scalar(
        select(StepRow).where(StepRow.project_id == project.id, StepRow.code == code)
    )
    return session.get(TaskForecastRow, step.tasks[0].id)


def test_one_reviewer_queues_the_second_project(session):
    p1, p2 = setup(session)
    cal = work_calendar(session)
    cs.set_reviewers(session, "fgw", 1)
    cs.recompute(session, MON, cal, full=True, time_limit=0.5)
    session.commit()
    a1, a2 = forecast(session, p1, "A"), forecast(session, p2, "A")
    assert sorted([a1.start_day, a2.start_day]) == [0, 2]  # one reviewer: one after the other
    assert sorted([a1.queue_rank, a2.queue_rank]) == [1, 2]
    first, second = (p1, p2) if a1.start_day == 0 else (p2, p1)
    queue = cs.department_queue(session, "fgw")
    assert [q["project_id"] for q in queue] == [first.id, second.id]
    late = cs.project_forecast(session, second.id)
    assert (
        late["finish_on"] > first.predicted_finish.isoformat()
    )  # capacity delays what the plain plan promised
    # a second reviewer lets both start at once
    cs.set_reviewers(session, "fgw", 2)
    cs.recompute(session, MON, cal)
    session.commit()
    assert forecast(session, p1, "A").start_day == forecast(session, p2, "A").start_day == 0


def test_absence_and_events_keep_the_forecast_in_step(session):
    p1, _p2 = setup(session)
    cal = work_calendar(session)
    cs.set_reviewers(session, "fgw", 2)
    cs.set_absence(session, "fgw", MON, 2, "培训")
    cs.recompute(session, MON, cal)
    session.commit()
    assert forecast(session, p1, "A").start_on == date(2026, 3, 3)  # nobody on Monday
    # a workflow event recomputes incrementally, in the same unit of work
    runs_before = len(session.scalars(select(CapacityRunRow)).all())
    admin = Actor("reviewer-fgw", "reviewer", 1, department="fgw")
    step = session.scalar(select(StepRow).where(StepRow.project_id == p1.id, StepRow.code == "A"))
    review.accept_task(session, admin, step.tasks[0].id, MON, cal)
    session.commit()
    assert len(session.scalars(select(CapacityRunRow)).all()) == runs_before + 1
    started = forecast(session, p1, "A")
    assert started.start_day == 0  # under review: it holds its reviewer from today


def test_deferred_events_are_recomputed_once_by_the_refresher(session, monkeypatch):
    """In the server an event only marks the forecast pending; the refresher recomputes once
    for all the events it sees."""
    session.info[cs.DEFERRAL_KEY] = cs.DeferredRecompute()  # as the server's sessions
    one, two = setup(session)  # two filings: two markers, no forecast yet
    assert cs.is_pending(session) and cs.last_run(session) is None
    assert forecast(session, one, "A") is None
    markers = session.scalars(
        select(CapacityRunRow).where(CapacityRunRow.method == cs.PENDING)
    ).all()
    assert len(markers) == 2

    run = cs.refresh_pending(session, MON, work_calendar(session))
    session.commit()
    assert run is not None and run.method == "incremental" and "2 events" in run.reason
    assert not cs.is_pending(session) and cs.last_run(session).id == run.id
    a1, a2 = forecast(session, one, "A"), forecast(session, two, "A")
    assert {a1.start_day, a2.start_day} == {0}  # fgw has two reviewers by default
    assert cs.refresh_pending(session, MON, work_calendar(session)) is None  # nothing pending
