"""The daily digest (每日提醒) of an agent, and its text form for the CLI and the demo.

What an agent needs every morning: how many projects they carry and which are at risk, the
day's alerts per project (worst first), milestones due soon or missed, joint meetings coming,
and follow-up actions due soon or overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from agent_service.alerts import KIND_NAMES
from agent_service.model import MILESTONE_STATUS, Alert, Milestone
from i18n import Lang, Text

LEVEL_NAMES = {"overdue": Text("超期", "overdue"), "warning": Text("预警", "warning")}


@dataclass
class DigestProject:
    """A project of the agent with the day's alerts (worst first)."""

    id: int
    code: str
    name: str
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class AgentDigest:
    """One agent's digest for one day.  ``agent_user_id`` is ``None`` for the projects no agent
    carries (the administrator's share)."""

    agent_user_id: int | None
    username: str
    name: str
    phone: str
    on: date
    projects: int = 0
    at_risk: list[DigestProject] = field(default_factory=list)
    milestones: list[tuple[str, Milestone]] = field(default_factory=list)  # (project code, …)
    meetings: list[tuple[str, date, str]] = field(default_factory=list)  # (code, date, title)
    actions: list[tuple[str, date, str, str]] = field(
        default_factory=list
    )  # (code, due, text, owner)

    @property
    def alert_count(self) -> int:
        return sum(len(p.alerts) for p in self.at_risk)


def format_digest(d: AgentDigest, lang: Lang = "zh") -> list[str]:
    """The digest as lines of text (Simplified Chinese, or English)."""

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    who = f"{d.name}（{d.username}）" if lang == "zh" else f"{d.name} ({d.username})"
    if d.agent_user_id is None:
        who = t("未分配代办员的项目", "projects without an agent")
    lines = [
        t(f"■ {who} · {d.on} 每日提醒", f"■ {who} · daily digest for {d.on}"),
        t(
            f"  负责项目 {d.projects} 个，存在风险 {len(d.at_risk)} 个；今日提醒 {d.alert_count} 条"
            + (f"；联系电话 {d.phone}" if d.phone else ""),
            f"  {d.projects} project(s), {len(d.at_risk)} at risk; {d.alert_count} alert(s) today"
            + (f"; phone {d.phone}" if d.phone else ""),
        ),
    ]
    for p in d.at_risk:
        lines.append(f"  ▲ {p.code} {p.name}")
        for a in p.alerts:
            level = LEVEL_NAMES.get(a.level, Text(a.level, a.level))(lang)
            kind = KIND_NAMES.get(a.kind, Text(a.kind, a.kind))(lang)
            lines.append(f"     [{level}·{kind}] {a.title(lang)}")
    if d.milestones:
        lines.append(t("  里程碑：", "  milestones:"))
        for code, m in d.milestones:
            status = MILESTONE_STATUS.get(m.status, Text(m.status, m.status))(lang)
            forecast = (
                t(f"，预计 {m.forecast_on}", f", forecast {m.forecast_on}")
                if m.forecast_on and m.forecast_on != m.due_on
                else ""
            )
            lines.append(f"     {m.due_on} {code} {m.title(lang)}（{status}{forecast}）")
    if d.meetings:
        lines.append(t("  联席会议：", "  joint meetings:"))
        for code, on, title in d.meetings:
            lines.append(f"     {on} {code} {title}")
    if d.actions:
        lines.append(t("  会议跟进事项：", "  follow-up actions:"))
        for code, due, text, owner in d.actions:
            lines.append(
                t(
                    f"     {due} 前 {code} {text}（责任人：{owner}）",
                    f"     by {due} {code} {text} (owner: {owner})",
                )
            )
    if not (d.at_risk or d.milestones or d.meetings or d.actions):
        lines.append(t("  今日无风险事项。", "  nothing at risk today."))
    return lines
