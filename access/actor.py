"""Who acts, as the domain needs to know them: a user in one :class:`Role`.

Pure: no database, no web framework.  Adapters build an :class:`Actor` from the authenticated
session; services take it as their first argument and ask the access policy what it may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of the reform (a ``str``, so stored values and JSON stay plain text)."""

    ENTERPRISE = "enterprise"  # 项目单位
    AGENT = "agent"  # 代办员
    REVIEWER = "reviewer"  # 审批人员 (a department's)
    REGULATOR = "regulator"  # 监管人员
    ADMIN = "admin"  # 管理员 (行政服务中心)
    INTERMEDIARY = "intermediary"  # 中介机构 (a registered organisation's user)


@dataclass(frozen=True)
class Actor:
    """Who acts: the authenticated user.

    ``department`` is set for reviewers, ``enterprise_id`` for enterprises, ``intermediary_id``
    (the organisation, 中介机构) for intermediaries.
    """

    username: str
    role: str
    user_id: int | None = None
    department: str | None = None
    enterprise_id: int | None = None
    intermediary_id: int | None = None

    @property
    def reads_everything(self) -> bool:
        return self.role in {Role.REGULATOR, Role.ADMIN}


#: The system itself (scheduled jobs, the demo, migrations of data).
SYSTEM = Actor("system", Role.ADMIN)
