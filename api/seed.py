"""Demo accounts and enterprises (used by ``onetrip demo`` and the tests).

Every demo account has the password ``demo-password`` — for the demo only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import UserRow, create_user, hash_password
from approvals.orm import DepartmentRow, EnterpriseRow
from approvals.service import ensure_default_catalogue

DEMO_PASSWORD = "demo-password"

DEMO_ENTERPRISES = [
    ("杭州智造装备有限公司", "91330110MA2H000001", "王经理", "0571-86000001"),
    ("浙江新材科技股份有限公司", "91330110MA2H000002", "李总", "0571-86000002"),
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


def reviewer_username(department: str) -> str:
    return f"reviewer-{department}"


def seed_demo_accounts(session: Session) -> DemoAccounts:
    """Create (once) two enterprises and the demo accounts: ``enterprise1``, ``enterprise2``,
    ``agent1``, ``reviewer-<department>`` for every department, ``regulator1`` and ``admin``."""
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

    def user(username: str, role: str, display: str, **kw: object) -> None:
        existing = session.scalar(select(UserRow).where(UserRow.username == username))
        out.users[username] = existing or create_user(
            session,
            username,
            DEMO_PASSWORD,
            role,
            display_name=display,
            password_hash=shared_hash,
            **kw,  # type: ignore[arg-type]
        )

    user("admin", "admin", "行政服务中心管理员")
    user("regulator1", "regulator", "开发区监管专员")
    user("agent1", "agent", "代办员 张敏", phone="0571-86001234", email="agent1@example.org")
    user("enterprise1", "enterprise", DEMO_ENTERPRISES[0][0], enterprise_id=out.enterprises[0].id)
    user("enterprise2", "enterprise", DEMO_ENTERPRISES[1][0], enterprise_id=out.enterprises[1].id)
    for dept in session.scalars(select(DepartmentRow).order_by(DepartmentRow.code)):
        user(reviewer_username(dept.code), "reviewer", f"{dept.name}审批员", department=dept.code)
    session.flush()
    return out
