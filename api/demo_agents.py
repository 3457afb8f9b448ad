"""The demo's proxy agents (代办员): assignment on filing, a joint meeting (联席会议) during the
parallel review with decisions and follow-up actions tracked to closure, the daily alert scan,
and agent1's digest and dashboard on the busiest morning with something overdue.

Everything goes through :mod:`agent_service.services`, the same use cases the HTTP API and the
CLI call, with the simulated date as "today".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import SYSTEM, Actor, Role
from agent_service.digest import format_digest
from agent_service.orm import AgentAssignmentRow, MeetingRow
from agent_service.services import alert_scan as alert_scan_service
from agent_service.services import assignment as assignment_service
from agent_service.services import dashboard as dashboard_service
from agent_service.services import digest as digest_service
from agent_service.services import meetings as meetings_service
from api.agent_ports import AGENT_CHECKPOINTS
from api.demo_workflow import actor
from api.seed import DemoAccounts
from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow, StepRow

#: The step whose 补正 the agent answers with a joint meeting.
MEETING_STEP = "G-DESIGN"


@dataclass
class AgentDemo:
    """What the agents do during the simulation, and what the demo prints afterwards."""

    accounts: DemoAccounts
    calendar: WorkCalendar
    lang: str = "zh"
    assignments: list[tuple[str, str, AgentAssignmentRow]] = field(default_factory=list)
    meeting_project: int | None = None
    meeting_id: int | None = None
    digest_day: date | None = None
    digest_alerts: int = 0
    digest_lines: list[str] = field(default_factory=list)
    dashboard: dict[str, Any] | None = None
    raised: int = 0

    def t(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh

    def _username(self, user_id: int | None) -> str | None:
        return next((u.username for u in self.accounts.users.values() if u.id == user_id), None)

    def assign(self, session: Session, project: ProjectRow, on: date, by: str) -> None:
        """Right after filing, in the same unit of work: an agent by rule."""
        row = assignment_service.assign_on_filing(session, project, on, by=by)
        self.assignments.append((project.code, self._username(row.agent_user_id) or "—", row))
        if self.meeting_project is None and self._username(row.agent_user_id) == "agent1":
            self.meeting_project = project.id

    def on_day(self, session: Session, day: date) -> None:
        """The daily job: the alert scan; the agent's meeting and its actions; the digest."""
        self.raised += alert_scan_service.scan_alerts(
            session, day, self.calendar, checkpoints=AGENT_CHECKPOINTS
        ).new
        self._meeting(session, day)
        (d,) = digest_service.digest(
            session, day, self.calendar, username="agent1", checkpoints=AGENT_CHECKPOINTS
        )
        overdue = any(a.level == "overdue" for p in d.at_risk for a in p.alerts)
        if overdue and d.alert_count > self.digest_alerts:
            self.digest_alerts, self.digest_day = d.alert_count, day
            self.digest_lines = format_digest(d, self.lang)  # type: ignore[arg-type]
            self.dashboard = dashboard_service.dashboard(
                session,
                actor(self.accounts, "agent1"),
                day,
                self.calendar,
                lang=self.lang,  # type: ignore[arg-type]
                checkpoints=AGENT_CHECKPOINTS,
            )

    def _meeting(self, session: Session, day: date) -> None:
        if self.meeting_project is None:
            return
        step = session.scalar(
            select(StepRow).where(
                StepRow.project_id == self.meeting_project, StepRow.code == MEETING_STEP
            )
        )
        if step is None:
            return
        agent = actor(self.accounts, "agent1")
        in_corrections = any(t.status == "corrections" for t in step.tasks)
        if self.meeting_id is None:
            if not in_corrections:
                return
            seq = self.calendar.sequence(day)
            meeting = meetings_service.create_meeting(
                session,
                agent,
                self.meeting_project,
                title="设计方案与初步设计联合审查协调会",
                held_on=day,
                departments=["zrzy", "zjj", "rfb"],
                location="开发区行政服务中心 3 楼联席会议室",
                agenda="初步设计补正（结构计算书）与后续施工图联合审查的衔接",
            )
            meetings_service.record_minutes(
                session,
                agent,
                self.meeting_project,
                meeting.id,
                decisions=[
                    "补正期间规划、住建、人防继续并联审查其余内容，不重新排队",
                    "结构计算书补齐后由住建局当日复核，施工图联合审查提前介入",
                ],
                actions=[
                    meetings_service.ActionSpec(
                        "补充提交结构计算书", "企业 王经理", seq.date_of(2)
                    ),
                    meetings_service.ActionSpec(
                        "收到补正材料后当日完成复核", "住建局 吴科长", seq.date_of(4), "zjj"
                    ),
                ],
                on=day,
            )
            self.meeting_id = meeting.id
            return
        meeting = session.get(MeetingRow, self.meeting_id)
        assert meeting is not None
        for action in list(meeting.actions):
            if action.status != "open":
                continue
            supplied = action.owner_department is None and not in_corrections
            reviewed = action.owner_department == "zjj" and step.status == "done"
            if supplied or reviewed:
                meetings_service.close_action(
                    session,
                    agent,
                    self.meeting_project,
                    meeting.id,
                    action.id,
                    on=day,
                    note="已补齐" if supplied else "已复核，设计审查办结",
                )

    def report(self, console: Any, session: Session, end: date) -> None:
        """Print the assignments, the meeting, agent1's digest and dashboard, and the workload
        at the end of the simulation."""
        t = self.t
        self._print_assignments(console)
        if self.meeting_id is not None:
            self._print_meeting(console, session, self.meeting_id)
        if self.digest_day is not None:
            console.print(
                t(
                    f"代办员 agent1 在 {self.digest_day} 早上收到的每日提醒：",
                    f"agent1's daily digest on the morning of {self.digest_day}:",
                ),
                style="bold",
            )
            for line in self.digest_lines:
                console.print(line, highlight=False, markup=False)
        if self.dashboard is not None:
            self._print_dashboard(console, self.dashboard)
        console.print(
            t(
                f"模拟期间每日巡检共产生提醒 {self.raised} 条。",
                f"the daily scans raised {self.raised} alerts over the simulation.",
            ),
            style="dim",
        )
        self._print_workload(console, session, end)

    def _print_assignments(self, console: Any) -> None:
        """Each project's agent and the rule's reason for choosing them."""
        users = {u.username: u for u in self.accounts.users.values()}
        for code, username, row in self.assignments:
            name = users[username].display_name if username in users else self.t("（无）", "(none)")
            reason = row.reason_en if self.lang == "en" else row.reason_zh
            console.print(f"{code} → {name}（{username}）：{reason}")

    def _print_meeting(self, console: Any, session: Session, meeting_id: int) -> None:
        """The joint meeting: attendees, decisions, follow-up actions and its status."""
        t = self.t
        m = meetings_service.get_meeting(
            session,
            SYSTEM,
            self.meeting_project or 0,
            meeting_id,
            self.lang,  # type: ignore[arg-type]
        )
        console.print(
            t(
                f"联席会议 {m['held_on']}「{m['title']}」：{'、'.join(a['name'] for a in m['attendees'])}",
                f"joint meeting {m['held_on']} '{m['title']}': {', '.join(a['name'] for a in m['attendees'])}",
            )
        )
        for d in m["decisions"]:
            console.print(t(f"  决定：{d['text']}", f"  decision: {d['text']}"))
        for a in m["actions"]:
            state = (
                t(f"已于 {a['closed_on']} 关闭", f"closed on {a['closed_on']}")
                if a["status"] == "closed"
                else t("未关闭", "open")
            )
            console.print(
                t(
                    f"  跟进：{a['text']}（{a['owner']}，{a['due_on']} 前）— {state}",
                    f"  action: {a['text']} ({a['owner']}, by {a['due_on']}) — {state}",
                )
            )
        console.print(
            t(f"  会议状态：{m['status_name']}", f"  meeting status: {m['status_name']}"),
            style="dim",
        )

    def _print_dashboard(self, console: Any, dashboard: dict[str, Any]) -> None:
        """agent1's dashboard: the summary figures, then each project's risk and next milestone."""
        t = self.t
        s = dashboard["summary"]
        console.print(
            t(
                f"agent1 工作台（{dashboard['today']}）：负责 {s['projects']} 个项目，存在风险 {s['at_risk']} 个（超期 {s['overdue']} 个），"
                f"提醒 {s['alerts']} 条，未读 {s['unread_alerts']} 条，待办跟进事项 {s['open_actions']} 项",
                f"agent1's dashboard ({dashboard['today']}): {s['projects']} project(s), {s['at_risk']} at risk "
                f"({s['overdue']} overdue), {s['alerts']} alert(s), {s['unread_alerts']} unread, {s['open_actions']} open action(s)",
            )
        )
        for p in dashboard["projects"]:
            nxt = p["next_milestone"]
            risk = {"overdue": t("超期", "overdue"), "warning": t("预警", "warning")}.get(
                p["risk"], t("正常", "ok")
            )
            console.print(
                f"  {p['code']} [{risk}] {p['phase_name']}"
                + (f" · {nxt['title']} {nxt['due_on']}（{nxt['status_name']}）" if nxt else ""),
                highlight=False,
                markup=False,
            )

    def _print_workload(self, console: Any, session: Session, end: date) -> None:
        """The agents' workload table (the administrator's view) on ``end``."""
        t = self.t
        figures = dashboard_service.workload(
            session, Actor("admin", Role.ADMIN), end, self.calendar, checkpoints=AGENT_CHECKPOINTS
        )
        table = Table(
            *t(
                "代办员,区域,行业,在办,已竣工,容量,风险项目,待办跟进",
                "agent,regions,industries,active,completed,capacity,at risk,open actions",
            ).split(","),
            title=t("代办员工作量（管理员视图）", "agents' workload (administrator's view)"),
        )
        for a in figures["agents"]:
            table.add_row(
                f"{a['name']}（{a['username']}）",
                "、".join(a["regions"]),
                "、".join(a["industries"]),
                str(a["active"]),
                str(a["completed"]),
                str(a["capacity"]),
                str(a["at_risk"]),
                str(a["open_actions"]),
            )
        console.print(table)
