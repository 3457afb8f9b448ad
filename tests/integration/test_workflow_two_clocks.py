"""Filing a project whose catalogue has enterprise and intermediary activities (SQLite and
PostgreSQL): the live workflow follows the review items; activities give no department a task."""

from __future__ import annotations

from datetime import date

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.catalog import parse_catalog
from approvals.service import store_catalogue, work_calendar
from approvals.services import filing

MON = date(2026, 3, 2)

CATALOG = {
    "catalog": {"code": "test-two-clocks", "version": "1"},
    "departments": [{"code": "fgw", "name": "发改"}, {"code": "zjj", "name": "住建"}],
    "items": [
        {"code": "A", "name": "备案", "department": "fgw", "stage": 1, "days": 2},
        {"code": "D", "name": "施工图设计", "kind": "intermediary", "unit": "calendar_days",
         "stage": 3, "days": 30, "requires": ["A"]},
        {"code": "B", "name": "施工许可", "department": "zjj", "stage": 3, "days": 3,
         "requires": ["D"]},
        {"code": "W", "name": "施工", "kind": "enterprise", "unit": "calendar_days", "stage": 3,
         "days": 200, "requires": ["B"]},
        {"code": "C", "name": "竣工验收", "department": "zjj", "stage": 4, "days": 5,
         "requires": ["W"]},
    ],
}  # fmt: skip


def test_filed_steps_are_the_review_items_with_department_tasks(session):
    accounts = seed_demo_accounts(session)
    store_catalogue(session, parse_catalog(CATALOG))
    session.commit()
    ent = Actor(
        "enterprise1",
        "enterprise",
        accounts.users["enterprise1"].id,
        enterprise_id=accounts.enterprises[0].id,
    )
    p = filing.file_project(
        session, ent, work_calendar(session), name="两个时钟", attributes={}, filed_on=MON
    )
    session.commit()
    steps = {s.code: s for s in p.steps}
    assert set(steps) == {"A", "B", "C"}
    assert steps["B"].requires == {"A": 0} and steps["C"].requires == {"B": 0}
    assert {t.department for s in p.steps for t in s.tasks} == {"fgw", "zjj"}
    assert p.baseline["makespan_workdays"] == 2 + 3 + 5
