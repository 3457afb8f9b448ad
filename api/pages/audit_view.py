"""The audit trail made readable: local time (Asia/Shanghai, to the minute) and each change as
``key: value`` lines, Chinese as it is (no ``\\u`` escapes)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")


def local_time(at: datetime | None) -> str:
    """``2026-12-05 08:03`` in China's time (naive values are UTC, as the database keeps them)."""
    if at is None:
        return ""
    if at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


#: What each recorded action is called on the page (the code stays in the database).
ACTIONS: dict[str, tuple[str, str]] = {
    "project.file": ("申报项目", "project filed"),
    "material.upload": ("提交材料", "material uploaded"),
    "task.accept": ("受理", "accepted"),
    "task.approve": ("准予许可", "approved"),
    "task.reject": ("不予许可", "rejected"),
    "task.refuse": ("不予受理", "refused at intake"),
    "task.corrections": ("一次性告知补正", "corrections requested"),
    "task.intake_corrections": ("受理前一次性告知补正", "missing materials asked for"),
    "task.resubmit": ("提交补正", "corrections submitted"),
    "task.special.start": ("启动特别程序", "special procedure started"),
    "task.special.end": ("结束特别程序", "special procedure ended"),
    "task.escalate.warning": ("督办：临近时限", "escalated: time limit near"),
    "task.escalate.overdue": ("督办：超期", "escalated: overdue"),
    "step.rate": ("好差评", "service rated"),
    "agent.assign": ("指派代办员", "agent assigned"),
    "agent.meeting.create": ("召集联席会议", "joint meeting called"),
    "agent.meeting.minutes": ("会议纪要", "meeting minutes"),
    "agent.action.close": ("跟进事项办结", "follow-up action closed"),
    "agent.reassign": ("改派代办员", "agent reassigned"),
    "agent.checklist.note": ("代办清单备注", "checklist note"),
    "agent.milestone.add": ("新增里程碑", "milestone added"),
    "agent.milestone.met": ("里程碑达成", "milestone met"),
    "agent.profile": ("代办员资料", "agent profile"),
    "catalog.load": ("导入事项清单", "catalogue loaded"),
    "catalog.edit": ("修改事项（事项清单新版本）", "catalogue item edited (new version)"),
    "catalog.add_item": ("新增事项（事项清单新版本）", "catalogue item added (new version)"),
    "catalog.activate": ("重新启用事项清单版本", "catalogue version re-activated"),
    "department.absence": ("部门缺勤登记", "department absence"),
    "department.capacity": ("部门承载量", "department capacity"),
    "department.contact": ("部门联系人", "department contact"),
    "enterprise.create": ("新建企业", "enterprise created"),
    "user.create": ("新建用户", "user created"),
    "commitment.key.register": ("登记企业签名公钥", "signing key registered"),
    "commitment.draft": ("起草承诺书", "commitment drafted"),
    "commitment.sign": ("企业签署承诺书", "commitment signed"),
    "commitment.accept": ("确认并公示承诺书", "commitment accepted and published"),
    "commitment.task": ("承诺核查任务", "inspection task"),
    "commitment.inspect": ("承诺核查", "inspection"),
    "plots.import": ("导入地块", "plots imported"),
    "zones.import": ("导入片区", "zones imported"),
    "user.update": ("修改用户", "user changed"),
    "user.password_reset": ("重置密码", "password reset"),
    "intermediary.register": ("登记中介机构", "intermediary registered"),
    "intermediary.choose": ("中介超市选定中介", "intermediary chosen"),
    "intermediary.rate": ("评价中介服务", "intermediary rated"),
    "intermediary.report": ("中介上传报告", "intermediary report uploaded"),
    "intermediary.deliver": ("中介交付", "intermediary delivered"),
    "activity.start": ("企业活动开始", "activity started"),
    "activity.finish": ("企业活动完成", "activity finished"),
    "activity.backfill": ("补录企业与中介活动", "activities filled in"),
    "intermediary.supervise.overdue": ("督办：中介超期", "supervised: intermediary overdue"),
    "intermediary.supervise.overdue_5": (
        "督办：中介超期 5 个工作日以上",
        "supervised: intermediary overdue 5+ working days",
    ),
    "certificate.revoke": ("注销电子证照", "certificate revoked"),
    "document.issue": ("出具办事文书", "document issued"),
    "prices.set": ("设定差别化价格", "grade prices set"),
}

#: The recorded fields' names on the page.
KEYS: dict[str, tuple[str, str]] = {
    "status": ("状态", "status"),
    "version": ("版本", "version"),
    "accepted_on": ("受理日期", "accepted on"),
    "due_on": ("办结时限", "due on"),
    "stopped_since": ("计时暂停自", "clock stopped since"),
    "stopped_days": ("暂停工作日", "days stopped"),
    "supplied_deferrals": ("已补容缺材料", "deferred materials supplied"),
    "deferred": ("容缺材料", "deferred materials"),
    "sha256": ("SHA-256", "SHA-256"),
    "code": ("编码", "code"),
    "size": ("大小（字节）", "size (bytes)"),
    "filename": ("文件名", "file name"),
    "number": ("编号", "number"),
    "plot": ("标准地", "plot"),
    "ledger": ("台账条目", "ledger entry"),
    "milestone": ("检查节点", "checkpoint"),
    "verdicts": ("核验结论", "verdicts"),
    "consequences": ("处理措施", "consequences"),
    "score": ("评分", "score"),
    "label": ("评价", "rating"),
    "comment": ("意见", "comment"),
    "name": ("名称", "name"),
    "steps": ("事项", "items"),
    "agent_user_id": ("代办员", "agent"),
    "tier": ("指派方式", "tier"),
    "over_capacity": ("超出承载量", "over capacity"),
    "reason": ("原因", "reason"),
    "reasons": ("理由", "reasons"),
    "on_behalf_of": ("代理企业", "on behalf of"),
    "materials": ("材料", "materials"),
    "closed_on": ("办结日期", "closed on"),
    "note": ("意见", "note"),
    "enterprise_id": ("企业", "enterprise"),
    "fingerprint": ("公钥指纹", "key fingerprint"),
    "key": ("公钥", "key"),
    "published_on": ("公示日期", "published on"),
    "title": ("标题", "title"),
    "held_on": ("会议日期", "held on"),
    "departments": ("部门", "departments"),
    "decisions": ("决定", "decisions"),
    "actions": ("跟进事项", "follow-up actions"),
    "level": ("级别", "level"),
    "file": ("文件", "file"),
    "summary": ("结果", "summary"),
    "kind": ("类别", "kind"),
    "department": ("部门", "department"),
    "username": ("用户名", "username"),
    "role": ("角色", "role"),
    "actual_start": ("实际开始", "actual start"),
    "actual_end": ("实际完成", "actual end"),
    "chosen_on": ("选定日期", "chosen on"),
    "committed_days": ("承诺时限（天）", "committed days"),
    "item": ("事项", "item"),
    "days": ("承诺时限（工作日）", "committed days"),
    "statutory_days": ("法定时限（工作日）", "statutory days"),
    "legal_basis": ("法律依据", "legal basis"),
    "changes": ("变更", "changes"),
    "intermediary_id": ("中介机构", "intermediary"),
    "state": ("状态", "state"),
    "workdays_used": ("已用工作日", "working days used"),
    "overdue_workdays": ("超期工作日", "working days overdue"),
    "active": ("启用", "active"),
    "display_name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "email": ("电子邮箱", "e-mail"),
}


_TIERS = {
    "zone+industry": ("区域与行业均匹配", "zone and industry"),
    "zone": ("区域匹配", "zone"),
    "system": ("系统", "system"),
}


class Names:
    """The codes an audit entry may hold, by their names in one language."""

    def __init__(self, lang: str, departments: dict[str, tuple[str, str]] | None = None) -> None:
        from access.policy import ROLE_LABELS
        from approvals.workflow import STATUS_NAMES
        from commitments.model import COMMITMENT_STATES, STATUS_LABELS
        from landplots.indicators import STANDARD

        i = 1 if lang == "en" else 0
        self.lang = lang
        self.values: dict[str, str] = {}
        for table in (ROLE_LABELS, COMMITMENT_STATES, departments or {}):
            self.values.update({str(k): v[i] for k, v in table.items()})
        self.values.update({str(k): v[i] for k, v in STATUS_LABELS.items()})
        self.values.update({k: v[i] for k, v in STATUS_NAMES.items()})
        self.values.update({k: v[i] for k, v in _TIERS.items()})
        from approvals.activities import SERVICE_STATES

        self.values.update({k: v[i] for k, v in SERVICE_STATES.items()})
        from landplots.model import Milestone

        self.values.update({m.value: m.text(lang) for m in Milestone})
        from approvals.catalog import default_catalogue

        for option in default_catalogue().questions["industry"].options:
            self.values.setdefault(str(option.value), option.label_en if i else option.label)
        self.keys = {k: v[i] for k, v in KEYS.items()}
        self.keys.update({k: (d.name_en if i else d.name) for k, d in STANDARD.items()})

    def key(self, k: str) -> str:
        return self.keys.get(k, k)

    def value(self, v: Any) -> str:
        if isinstance(v, bool):
            return ("yes" if v else "no") if self.lang == "en" else ("是" if v else "否")
        if v is None:
            return "—"
        if isinstance(v, str):
            return self.values.get(v, v)
        if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
            return "、".join(self.value(x) for x in v)
        if isinstance(v, dict):
            return "；".join(f"{self.key(str(k))}：{self.value(x)}" for k, x in v.items())
        if isinstance(v, list):
            return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
        return str(v)


def _value(v: Any) -> str:
    return Names("zh").value(v)


def lines(doc: Any, names: Names | None = None) -> list[tuple[str, str]]:
    """A change's fields as (name, value) pairs — field names, statuses, departments and
    indicator keys by their names — a scalar document as one pair with no name."""
    names = names or Names("zh")
    if doc is None or doc == {}:
        return []
    if isinstance(doc, dict):
        return [(names.key(str(k)), names.value(v)) for k, v in doc.items()]
    return [("", names.value(doc))]


def readable(
    entries: Any, lang: str = "zh", departments: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    from access.policy import ROLE_LABELS

    names = Names(lang, departments)
    i = 1 if lang == "en" else 0
    return [
        {
            "id": a.id,
            "at": local_time(a.at),
            "actor": a.actor,
            "role": ROLE_LABELS.get(a.role, (a.role, a.role))[i],
            "action": ACTIONS.get(a.action, (a.action, a.action))[i],
            "before": lines(a.before, names),
            "after": lines(a.after, names),
        }
        for a in entries
    ]
