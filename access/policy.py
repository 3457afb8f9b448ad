"""The access policy: what each role may do, asked by every route, page and service.

One table, :data:`GRANTS`, says which roles may take each :class:`Action` and whether the grant
is *scoped* to what the actor owns (an enterprise's own projects, a reviewer's own department's
tasks, an agent's own assignments).  Adding a role means adding it to
:class:`~access.actor.Role` and its rows here; nothing else asks ``role ==``.

>>> from access.actor import Actor, Role
>>> can(Actor("e1", Role.ENTERPRISE, 7, enterprise_id=3), Action.PROJECT_FILE)
True
>>> can(Actor("r1", Role.REVIEWER, 8, department="fgw"), Action.TASK_DECIDE, Owned(department="zj"))
False
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from access.actor import Actor, Role
from i18n import Forbidden


class Action(StrEnum):
    """Everything the policy decides, named for what the user does."""

    # projects and review (一窗受理, 并联审批)
    PROJECT_FILE = "project.file"  # 申报项目
    PROJECT_FILE_FOR = (
        "project.file_for"  # 代为申报 (the one window, 综合窗口, names the enterprise)
    )
    PROJECT_READ = "project.read"  # 查看项目 (scoped: own / assigned / department's)
    PROJECT_SUPPLY = "project.supply"  # 上传材料、补正、评价 (the owner)
    TASK_DECIDE = "task.decide"  # 受理、审批、补正通知 (the task's department)
    TASK_QUEUE_READ = "task.queue_read"  # 部门工作量与预测
    AUDIT_READ = "audit.read"  # 审计日志 (scoped: an enterprise its own projects')
    AUDIT_SEARCH = "audit.search"  # 检索全部审计日志
    # administration (行政服务中心)
    CATALOGUE_MANAGE = "catalogue.manage"  # 事项清单
    CATALOGUE_READ = "catalogue.read"  # 事项清单及其依赖图（监管查看）
    STATS_READ = "stats.read"  # 好差评统计（全部）
    EFFICIENCY_READ = "efficiency.read"  # 效能统计 (scoped: a reviewer its own department's)
    CALENDAR_MANAGE = "calendar.manage"  # 节假日安排
    USER_MANAGE = "user.manage"  # 账户
    PLOT_MANAGE = "plot.manage"  # 标准地导入
    JOBS_READ = "jobs.read"  # 后台任务
    JOBS_RUN = "jobs.run"  # 手动运行时限巡检、履约监测
    CAPACITY_MANAGE = "capacity.manage"  # 部门审批能力、请假、重算
    ENTERPRISE_READ = "enterprise.read"  # 企业名录
    ENTERPRISE_MANAGE = "enterprise.manage"  # 登记企业
    # proxy agents (代办制)
    AGENT_MANAGE = "agent.manage"  # 指派、改派、代办员资料
    AGENT_WORK = "agent.work"  # 代办清单备注、联席会议 (scoped: own assignments)
    AGENT_READ = "agent.read"  # 代办看板、工作量
    AGENT_DESK = "agent.desk"  # 我的代办：看板、项目、消息 (the agent's own)
    # commitments (承诺制) and oversight
    COMMITMENT_DRAFT = "commitment.draft"  # 起草承诺书 (scoped: own project)
    COMMITMENT_KEY_REGISTER = "commitment.key_register"  # 登记签名公钥 (scoped: own)
    COMMITMENT_SIGN = "commitment.sign"  # 企业签署 (scoped: own)
    COMMITMENT_COUNTERSIGN = "commitment.countersign"  # 管委会会签、公示
    COMMITMENT_READ = "commitment.read"  # 查看承诺 (scoped for enterprises)
    INSPECTION_RECORD = "inspection.record"  # 核查记录、认定
    COMPLIANCE_READ = "compliance.read"  # 履约情况、核查任务、地图着色、报告
    COMPLIANCE_MANAGE = "compliance.manage"  # 片区监管策略、评级
    # the enterprise's own clock and intermediaries (企业自身用时、中介服务)
    ACTIVITY_REPORT = (
        "activity.report"  # 报告企业自身活动进度（设计完成、开工、竣工） (scoped: own)
    )
    INTERMEDIARY_CHOOSE = "intermediary.choose"  # 中介超市：选择中介机构、评价其服务 (scoped: own)
    INTERMEDIARY_READ = "intermediary.read"  # 中介机构名录及评价
    INTERMEDIARY_MANAGE = "intermediary.manage"  # 登记中介机构及其服务
    INTERMEDIARY_WORK = "intermediary.work"  # 受托的中介服务：上传报告、交付 (scoped: chosen for)
    SUPERVISION_READ = (
        "supervision.read"  # 中介超期督办记录 (scoped: own projects / chosen for / assigned)
    )
    # closing the loop: 电子证照, 信用记录, 差别化价格
    CERTIFICATE_REVOKE = "certificate.revoke"  # 注销电子证照
    CREDIT_READ = "credit.read"  # 信用记录与适用价格 (scoped: an enterprise its own)
    PRICE_MANAGE = "price.manage"  # 亩均等级差别化价格表


class Scope(Enum):
    ANY = "any"  # every resource of the kind
    OWN = "own"  # only what the actor owns (see :func:`owns`)


_A, _O = Scope.ANY, Scope.OWN
E, AG, RV, RG, AD = Role.ENTERPRISE, Role.AGENT, Role.REVIEWER, Role.REGULATOR, Role.ADMIN
IM = Role.INTERMEDIARY

#: action → {role: scope}.  A role absent from a row may not take the action.
GRANTS: dict[Action, dict[Role, Scope]] = {
    Action.PROJECT_FILE: {E: _A, AD: _A},  # an administrator files at the one window (综合窗口)
    Action.PROJECT_FILE_FOR: {AD: _A},
    Action.PROJECT_READ: {E: _O, AG: _O, RV: _O, RG: _A, AD: _A},
    Action.PROJECT_SUPPLY: {E: _O},
    Action.TASK_DECIDE: {RV: _O},
    Action.TASK_QUEUE_READ: {RV: _O, RG: _A, AD: _A},
    Action.AUDIT_READ: {E: _O, RG: _A, AD: _A},
    Action.AUDIT_SEARCH: {RG: _A, AD: _A},
    Action.CATALOGUE_MANAGE: {AD: _A},
    Action.CATALOGUE_READ: {RG: _A, AD: _A},
    Action.STATS_READ: {AD: _A},
    Action.EFFICIENCY_READ: {RV: _O, RG: _A, AD: _A},
    Action.CALENDAR_MANAGE: {AD: _A},
    Action.USER_MANAGE: {AD: _A},
    Action.PLOT_MANAGE: {AD: _A},
    Action.JOBS_READ: {AD: _A},
    Action.JOBS_RUN: {AD: _A},
    Action.CAPACITY_MANAGE: {AD: _A},
    Action.ENTERPRISE_READ: {AG: _A, RG: _A, AD: _A},
    Action.ENTERPRISE_MANAGE: {AD: _A},
    Action.AGENT_MANAGE: {AD: _A},
    Action.AGENT_WORK: {AG: _O, AD: _A},
    Action.AGENT_READ: {AG: _O, RG: _A, AD: _A},
    Action.AGENT_DESK: {AG: _O},
    Action.COMMITMENT_DRAFT: {E: _O, AD: _A},
    Action.COMMITMENT_KEY_REGISTER: {E: _O, AD: _A},
    Action.COMMITMENT_SIGN: {E: _O},
    Action.COMMITMENT_COUNTERSIGN: {AD: _A},
    Action.COMMITMENT_READ: {E: _O, RG: _A, AD: _A},
    Action.INSPECTION_RECORD: {RG: _A},
    Action.COMPLIANCE_READ: {RG: _A, AD: _A},
    Action.COMPLIANCE_MANAGE: {AD: _A},
    Action.ACTIVITY_REPORT: {E: _O},
    Action.INTERMEDIARY_CHOOSE: {E: _O},
    Action.INTERMEDIARY_READ: {E: _A, AG: _A, RG: _A, AD: _A},
    Action.INTERMEDIARY_MANAGE: {AD: _A},
    Action.INTERMEDIARY_WORK: {IM: _O},
    Action.SUPERVISION_READ: {E: _O, AG: _O, IM: _O, RG: _A, AD: _A},
    Action.CERTIFICATE_REVOKE: {AD: _A},
    Action.CREDIT_READ: {E: _O, RG: _A, AD: _A},
    Action.PRICE_MANAGE: {AD: _A},
}


@dataclass(frozen=True)
class Owned:
    """What a resource says about its owners, for scoped grants (unknown fields stay ``None``)."""

    enterprise_id: int | None = None
    department: str | None = None
    agent_id: int | None = None
    intermediary_id: int | None = None


def owns(actor: Actor, resource: Any) -> bool:
    """Whether ``resource`` (anything with ``enterprise_id``/``department``/``agent_id``/
    ``intermediary_id``) is the actor's.

    An enterprise owns its enterprise's things, a reviewer its department's, an agent what it is
    assigned to, an intermediary the activities its organisation was chosen for.  Other roles own
    nothing by scope (their grants are unscoped).
    """
    if actor.role == Role.ENTERPRISE:
        own = getattr(resource, "enterprise_id", None)
        return own is not None and own == actor.enterprise_id
    if actor.role == Role.REVIEWER:
        own = getattr(resource, "department", None)
        return own is not None and own == actor.department
    if actor.role == Role.AGENT:
        own = getattr(resource, "agent_id", None)
        return own is not None and own == actor.user_id
    if actor.role == Role.INTERMEDIARY:
        own = getattr(resource, "intermediary_id", None)
        return own is not None and own == actor.intermediary_id
    return False


def roles_for(action: Action) -> frozenset[Role]:
    """The roles that may take ``action`` on something (for route guards and navigation)."""
    return frozenset(GRANTS[action])


def can(actor: Actor, action: Action, resource: Any = None) -> bool:
    """Whether ``actor`` may take ``action``; with ``resource``, on that resource.

    Without a resource a scoped grant answers ``True`` (the role may act on *its own* things):
    a guard in front of a route asks that; the service then asks again with the resource.
    """
    scope = _scope(actor, action)
    if scope is None:
        return False
    if scope is Scope.ANY or resource is None:
        return True
    return owns(actor, resource)


def scoped(actor: Actor, action: Action) -> bool:
    """Whether ``actor`` may take ``action`` only on what it owns (so a listing must be narrowed)."""
    return _scope(actor, action) is Scope.OWN


def _scope(actor: Actor, action: Action) -> Scope | None:
    """The actor's grant for ``action``; ``None`` when its role (known or not) has none."""
    try:
        return GRANTS[action][Role(actor.role)]
    except (KeyError, ValueError):
        return None


def require(actor: Actor, action: Action, resource: Any = None) -> None:
    """Raise :class:`AccessForbidden` unless :func:`can` allows the action."""
    if not can(actor, action, resource):
        raise AccessForbidden(actor, action)


class AccessForbidden(Forbidden):
    """The policy refused the action; the message names the role (and, in English, for the
    logs, the action's code — the Chinese text a page shows carries no code)."""

    def __init__(self, actor: Actor, action: Action) -> None:
        self.action = action
        super().__init__(
            f"角色“{ROLE_LABELS.get(actor.role, (actor.role,))[0]}”无权执行此操作",
            f"role '{actor.role}' may not do this ({action.value})",
        )


#: How each role is called on pages and in messages (中文, English).
ROLE_LABELS: dict[str, tuple[str, str]] = {
    Role.ENTERPRISE: ("项目单位", "enterprise"),
    Role.AGENT: ("代办员", "proxy agent"),
    Role.REVIEWER: ("审批人员", "department reviewer"),
    Role.REGULATOR: ("监管人员", "regulator"),
    Role.ADMIN: ("管理员", "administrator"),
    Role.INTERMEDIARY: ("中介机构", "intermediary"),
}
