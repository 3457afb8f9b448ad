"""What the agents' integration tests share: a small catalogue with a land sale (so that the
代办清单 has all three phases), the demo accounts, actors, and filing with assignment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from access.actor import Actor
from agent_service.services import assignment as assignment_service
from api.seed import seed_demo_accounts
from approvals.calendar import WorkCalendar
from approvals.catalog import parse_catalog
from approvals.orm import ProjectRow, StepRow, TaskRow
from approvals.service import store_catalogue, work_calendar
from approvals.services import filing, materials

PDF = b"%PDF-1.7\n%agent test\n"
MON = date(2026, 3, 2)  # a Monday; no holiday for weeks after it

CATALOG = {
    "catalog": {"code": "test-agents", "version": "1"},
    "items": [
        {
            "code": "A",
            "name": "备案",
            "department": "fgw",
            "stage": 1,
            "days": 1,
            "materials": [{"code": "M-form", "name": "备案表"}],
            "outputs": [{"code": "C-code", "name": "项目代码"}],
        },
        {
            "code": "L",
            "name": "土地出让",
            "department": "zrzy",
            "stage": 1,
            "days": 3,
            "requires": ["A"],
            "outputs": [{"code": "C-land-contract", "name": "出让合同"}],
        },
        {
            "code": "P",
            "name": "用地规划许可",
            "department": "zrzy",
            "stage": 1,
            "days": 1,
            "requires": ["L"],
            "outputs": [{"code": "C-land-planning-permit", "name": "用地规划许可证"}],
        },
        {
            "code": "E",
            "name": "环评",
            "department": "sthj",
            "stage": 1,
            "days": 2,
            "requires": ["A"],
            "materials": [
                {"code": "M-eia", "name": "环评报告"},
                {"code": "M-pp", "name": "公众参与说明", "deferrable": True, "deferral_days": 3},
            ],
        },
        {
            "code": "D",
            "name": "设计审查",
            "department": "zjj",
            "stage": 2,
            "days": 2,
            "requires": ["P", "E"],
        },
        {
            "code": "W",
            "name": "施工许可",
            "department": "zjj",
            "stage": 3,
            "days": 2,
            "requires": ["D"],
        },
        {
            "code": "K",
            "name": "竣工验收",
            "department": "zjj",
            "stage": 4,
            "days": 2,
            "requires": ["W"],
        },
    ],
}


@dataclass
class World:
    users: dict[str, Any]
    enterprises: list[Any]
    cal: WorkCalendar

    def actor(self, username: str) -> Actor:
        u = self.users[username]
        return Actor(u.username, u.role, u.id, u.department, u.enterprise_id)

    @property
    def admin(self) -> Actor:
        return self.actor("admin")


def make_world(session) -> World:
    accounts = seed_demo_accounts(session)
    store_catalogue(session, parse_catalog(CATALOG))
    session.commit()
    return World(accounts.users, accounts.enterprises, work_calendar(session))


def file(
    session, w: World, *, industry: str = "equipment", owner: str = "enterprise1", on=MON, **kw
) -> ProjectRow:
    p = filing.file_project(
        session,
        w.actor(owner),
        w.cal,
        name=f"{industry} 项目",
        attributes={"industry": industry},
        filed_on=on,
        **kw,
    )
    assignment_service.assign_on_filing(session, p, on, by=owner)
    session.commit()
    return p


def task(session, project: ProjectRow, step_code: str) -> TaskRow:
    from sqlalchemy import select

    step = session.scalar(
        select(StepRow).where(StepRow.project_id == project.id, StepRow.code == step_code)
    )
    return step.tasks[0]


def upload(session, w: World, project: ProjectRow, code: str, on: date, owner="enterprise1"):
    materials.upload_material(
        session, w.actor(owner), project.id, code, f"{code}.pdf", PDF + code.encode(), on, w.cal
    )
    session.commit()


def reviewer(w: World, dept: str) -> Actor:
    return w.actor(f"reviewer-{dept}")
