"""Demo accounts and enterprises (used by ``onetrip demo`` and the tests).

Every demo account has the password ``demo-password`` — for the demo only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.accounts import NewUser, create_user
from access.actor import Role
from access.orm import UserRow
from access.passwords import hash_password
from agent_service.orm import AgentProfileRow
from approvals.catalog import OWNER_NAMES
from approvals.orm import DepartmentRow, EnterpriseRow, IntermediaryRow
from approvals.service import ensure_default_catalogue

DEMO_PASSWORD = "demo-password"

#: Demo agents (代办员): username, name, phone, e-mail, regions, industries, capacity, office.
DEMO_AGENTS = [
    (
        "agent1",
        "代办员 张敏",
        "0571-86001234",
        "agent1@example.org",
        ["330110"],
        ["equipment", "electronics", "chemical"],
        8,
        "开发区行政服务中心二楼 代办服务窗口 3 号",
    ),
    (
        "agent2",
        "代办员 刘洋",
        "0571-86001235",
        "agent2@example.org",
        ["330110"],
        ["chemical", "textile", "food", "other"],
        8,
        "开发区行政服务中心二楼 代办服务窗口 4 号",
    ),
]

#: Demo contacts of the shipped catalogue's departments: contact person, phone, address.
DEMO_CONTACTS = {
    "fgw": ("陈科长", "0571-86010001", "开发区行政服务中心一楼 发改窗口"),
    "zrzy": ("周科长", "0571-86010002", "开发区行政服务中心一楼 自然资源和规划窗口"),
    "zjj": ("吴科长", "0571-86010003", "开发区行政服务中心一楼 住建窗口"),
    "sthj": ("郑科长", "0571-86010004", "开发区行政服务中心一楼 生态环境窗口"),
    "sl": ("冯科长", "0571-86010005", "开发区行政服务中心一楼 水利窗口"),
    "yjgl": ("褚科长", "0571-86010006", "开发区行政服务中心三楼 应急管理窗口"),
    "rfb": ("卫科长", "0571-86010007", "开发区行政服务中心三楼 人防窗口"),
    "qx": ("蒋科长", "0571-86010008", "开发区行政服务中心三楼 气象窗口"),
    "zhzf": ("沈科长", "0571-86010009", "开发区行政服务中心三楼 综合执法窗口"),
    "dag": ("韩科长", "0571-86010010", "城建档案馆 接待室"),
    "sz": ("杨经理", "0571-86010011", "开发区行政服务中心一楼 水电气联合报装窗口"),
    "kfq": ("朱主任", "0571-86010012", "开发区管委会 投资服务局 508 室"),
}

DEMO_ENTERPRISES = [
    ("杭州智造装备有限公司", "91330110MA2H000004", "王经理", "0571-86000001"),
    ("浙江新材科技股份有限公司", "91330110MA2H00002A", "李总", "0571-86000002"),
]


#: Demo intermediary organisations (中介机构): username of its account, name, credit code,
#: contact, phone, services of the shipped catalogue with committed working days.
DEMO_INTERMEDIARIES = [
    (
        "intermediary1",
        "浙江环科环境咨询有限公司",
        "91330110MA2H100001",
        "孙工",
        "0571-86020001",
        {"I-EIA": 15, "I-ENERGY": 5, "I-SOILWATER": 10},
    ),
    (
        "intermediary2",
        "杭州勘测规划设计院有限公司",
        "91330110MA2H100002",
        "钱工",
        "0571-86020002",
        {"I-SURVEY": 8, "I-GEOTECH": 12, "I-DRAWING": 25, "I-EIA": 20},
    ),
]


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """One argon2 hash of the shared demo password (argon2 is slow on purpose; the demo's
    accounts all share this password, so hashing it once per process is enough)."""
    return hash_password(DEMO_PASSWORD)


@dataclass
class DemoAccounts:
    enterprises: list[EnterpriseRow] = field(default_factory=list)
    users: dict[str, UserRow] = field(default_factory=dict)
    intermediaries: list[IntermediaryRow] = field(default_factory=list)


def reviewer_username(department: str) -> str:
    return f"reviewer-{department}"


def seed_demo_accounts(session: Session) -> DemoAccounts:
    """Create (once) two enterprises and the demo accounts: ``enterprise1``, ``enterprise2``,
    ``agent1`` and ``agent2`` (with their regions, industries and capacity),
    ``reviewer-<department>`` for every department, ``regulator1``, ``admin``, and
    ``intermediary1``/``intermediary2`` with their organisations (中介机构, the services of the
    shipped catalogue they provide); and give the departments demo contacts (联系人、电话、地址)
    where they have none."""
    ensure_default_catalogue(session)
    out = DemoAccounts()
    for name, credit, contact, phone in DEMO_ENTERPRISES:
        e = session.scalar(select(EnterpriseRow).where(EnterpriseRow.credit_code == credit))
        if e is None:
            e = EnterpriseRow(name=name, credit_code=credit, contact_name=contact, phone=phone)
            session.add(e)
            session.flush()
        out.enterprises.append(e)

    shared_hash = demo_password_hash()

    def user(username: str, role: str, display: str, **kw: Any) -> None:
        existing = session.scalar(select(UserRow).where(UserRow.username == username))
        out.users[username] = existing or create_user(
            session,
            NewUser(username, DEMO_PASSWORD, role, display_name=display, **kw),
            password_hash=shared_hash,
        )

    user("admin", Role.ADMIN, "行政服务中心管理员")
    user("regulator1", Role.REGULATOR, "开发区监管专员")
    for username, name, phone, email, *_ in DEMO_AGENTS:
        user(username, Role.AGENT, name, phone=phone, email=email)
    user(
        "enterprise1", Role.ENTERPRISE, DEMO_ENTERPRISES[0][0], enterprise_id=out.enterprises[0].id
    )
    user(
        "enterprise2", Role.ENTERPRISE, DEMO_ENTERPRISES[1][0], enterprise_id=out.enterprises[1].id
    )
    for dept in session.scalars(select(DepartmentRow).order_by(DepartmentRow.code)):
        if dept.code in OWNER_NAMES:
            continue  # the enterprise's own work, an intermediary's service: nobody reviews it
        user(
            reviewer_username(dept.code), Role.REVIEWER, f"{dept.name}审批员", department=dept.code
        )
        contact = DEMO_CONTACTS.get(dept.code)
        if contact and not (dept.contact_person or dept.phone or dept.address):
            dept.contact_person, dept.phone, dept.address = contact
    for username, name, credit, contact, phone, services in DEMO_INTERMEDIARIES:
        org = session.scalar(select(IntermediaryRow).where(IntermediaryRow.credit_code == credit))
        if org is None:
            org = IntermediaryRow(
                name=name,
                credit_code=credit,
                contact_name=contact,
                phone=phone,
                services=services,
                active=True,
            )
            session.add(org)
            session.flush()
        out.intermediaries.append(org)
        user(username, Role.INTERMEDIARY, name, phone=phone, intermediary_id=org.id)
    for username, _name, _phone, _email, regions, industries, capacity, office in DEMO_AGENTS:
        agent_id = out.users[username].id
        if session.get(AgentProfileRow, agent_id) is None:
            session.add(
                AgentProfileRow(
                    user_id=agent_id,
                    regions=regions,
                    industries=industries,
                    capacity=capacity,
                    active=True,
                    office=office,
                )
            )
    session.flush()
    return out
