"""An agent's calendar as an iCalendar feed: milestones, joint meetings, follow-up actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from access.actor import Actor
from agent_service.ical import CalendarItem, to_ics
from agent_service.model import MILESTONE_STATUS, Contact
from agent_service.ports import CheckpointSources
from agent_service.services.common import agent_target, agent_user
from agent_service.services.milestones import project_milestones
from agent_service.services.queries import contacts, meetings_of, project_briefs
from approvals.calendar import WorkCalendar
from i18n import Lang


def calendar_feed(
    session: Session,
    actor: Actor,
    agent_user_id: int,
    today: date,
    calendar: WorkCalendar,
    lang: Lang = "zh",
    *,
    checkpoints: CheckpointSources = (),
) -> bytes:
    """An agent's calendar (``.ics``): every milestone of their projects as an all-day event on
    its due date, every joint meeting on its day, every follow-up action as a to-do.

    Readable by the agent, regulators and administrators; another agent gets 'not found'.
    """
    target = agent_target(actor, agent_user_id)
    user = agent_user(session, target)
    briefs = project_briefs(session, agent_user_id=user.id)
    marks = project_milestones(
        session, list(briefs.values()), today, calendar, checkpoints=checkpoints
    )
    meetings_, actions_ = meetings_of(session, list(briefs))
    names = contacts(session)
    items: list[CalendarItem] = []
    for p in briefs.values():
        for m in marks[p.id]:
            zh, en = MILESTONE_STATUS[m.status].zh, MILESTONE_STATUS[m.status].en
            mark = "✓ " if m.met_on else ("⚠ " if m.status in {"overdue", "at_risk"} else "")
            forecast = f"; forecast {m.forecast_on}" if m.forecast_on else ""
            items.append(
                CalendarItem(
                    uid=f"milestone-{p.id}-{m.key}@onetrip",
                    summary=f"{mark}{p.code} {m.title(lang)}",
                    start=m.due_on,
                    description=f"{zh} {en}{forecast}"
                    + (f"; met {m.met_on}" if m.met_on else "")
                    + f"\n{p.name}",
                    categories=("milestone", m.kind),
                    status="CONFIRMED",
                )
            )
    for m in meetings_:
        p = briefs[m.project_id]
        attendees = "、".join(
            (names.get(a.department) or Contact(a.department, a.department)).name
            for a in m.attendees
        )
        decisions = "\n".join(f"- {d.text}" for d in m.decisions)
        items.append(
            CalendarItem(
                uid=f"meeting-{m.id}@onetrip",
                summary=f"{'联席会议' if lang == 'zh' else 'joint meeting'}：{m.title}（{p.code}）",
                start=m.held_on,
                description=f"{p.name}\n{attendees}" + (f"\n{decisions}" if decisions else ""),
                location=m.location,
                categories=("meeting",),
                status="CONFIRMED",
            )
        )
    for a in actions_:
        p = briefs[a.project_id]
        items.append(
            CalendarItem(
                uid=f"action-{a.id}@onetrip",
                summary=f"{a.text}（{a.owner}，{p.code}）",
                start=a.due_on,
                kind="todo",
                categories=("action",),
                status="COMPLETED" if a.status == "closed" else "NEEDS-ACTION",
            )
        )
    name = user.display_name or user.username
    title = f"{name} 代办日程" if lang == "zh" else f"{name} — agent calendar"
    return to_ics(title, items, datetime.now(UTC).replace(microsecond=0))
