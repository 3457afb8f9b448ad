"""The demo's simulation of parallel review: departments working day by day on two projects.

Each working day every department takes the tasks that became ready (受理) and decides those
whose time has come; the enterprise supplies deferred materials (容缺) and answers a correction
request (补正); the clock scan records escalations.  Everything goes through the same services
the HTTP API uses, with the simulated date as "today".
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from api.seed import DemoAccounts, reviewer_username
from approvals import workflow as wf
from approvals.calendar import WorkCalendar
from approvals.orm import EscalationRow, ProjectRow, StepRow, TaskRow
from approvals.services import clocks, materials, queries, review
from approvals.services.common import task_clock
from storage.engine import begin_write


def material_pdf(code: str, name: str, project: str) -> bytes:
    """A one-page PDF standing for an uploaded material (ASCII text: no font is needed)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(f"{code} - onetrip demo material")
    c.drawString(72, 770, f"onetrip demo material {code}")
    c.drawString(72, 750, f"project {project}")
    c.drawString(72, 730, f"({len(name)} characters of Chinese title omitted)")
    c.showPage()
    c.save()
    return buf.getvalue()


@dataclass
class Behaviour:
    """What the simulated people do differently from the plan."""

    held_back: dict[str, int] = field(
        default_factory=dict
    )  # material → working days after acceptance it is supplied (容缺)
    corrections: dict[str, str] = field(
        default_factory=dict
    )  # step code → reasons (asked on its 2nd review day)
    answer_after: int = 2  # working days the enterprise takes to answer a 补正
    late: dict[str, int] = field(
        default_factory=dict
    )  # step code → working days its department runs late
    early: set[str] = field(default_factory=set)  # steps decided a day before their due day


def actor(accounts: DemoAccounts, username: str) -> Actor:
    u = accounts.users[username]
    return Actor(u.username, u.role, u.id, u.department, u.enterprise_id, u.intermediary_id)


def upload_all(
    session: Session,
    accounts: DemoAccounts,
    project: ProjectRow,
    on: date,
    calendar: WorkCalendar,
    held_back: set[str],
) -> list[str]:
    """The enterprise uploads its one set of materials at filing, except those it holds back."""
    owner = next(u for u in accounts.users.values() if u.enterprise_id == project.enterprise_id)
    who = actor(accounts, owner.username)
    uploaded = []
    for entry in project.baseline["materials"]:
        code = entry["code"]
        if entry["provided_by"] or code in held_back:
            continue
        materials.upload_material(
            session,
            who,
            project.id,
            code,
            f"{code}.pdf",
            material_pdf(code, entry["name"], project.code),
            on,
            calendar,
        )
        uploaded.append(code)
    return uploaded


def simulate(
    session: Session,
    accounts: DemoAccounts,
    projects: list[tuple[ProjectRow, Behaviour]],
    calendar: WorkCalendar,
    start: date,
    max_days: int = 200,
    on_day: Callable[[Session, date], None] | None = None,
) -> date:
    """Run the departments and enterprises day by day until every project is decided.

    ``on_day`` runs at the end of each simulated working day (after the clock scan), in that
    day's unit of work: the daily jobs of later capabilities (the agents' alert scan) hook in."""
    seq = calendar.sequence(start)
    pending_answers: dict[int, tuple[int, date]] = {}  # task id → (project id, day to answer)
    pending_supply: dict[tuple[int, str], date] = {}  # (project, material) → day to supply
    day = start
    for n in range(max_days):
        day = seq.date_of(n)
        open_projects = [
            (p, b) for p, b in projects if p.status == "in_review" and p.filed_on <= day
        ]
        if not open_projects and all(p.filed_on <= day for p, _ in projects):
            break
        today = _Day(day, calendar, pending_supply, pending_answers)
        for project, behaviour in open_projects:
            owner = next(
                u for u in accounts.users.values() if u.enterprise_id == project.enterprise_id
            )
            enterprise = actor(accounts, owner.username)
            # the enterprise supplies deferred materials and answers corrections when it said it would
            _supply_deferred(session, enterprise, project, pending_supply, day, calendar)
            _answer_corrections(session, enterprise, project, pending_answers, day, calendar)
            for step in list(project.steps):
                for task in list(step.tasks):
                    reviewer = actor(accounts, reviewer_username(task.department))
                    _work_on_task(session, reviewer, today, project, behaviour, step, task)
            session.flush()
        clocks.scan_clocks(session, day, calendar)
        if on_day is not None:
            on_day(session, day)
        session.commit()
        begin_write(session)
    return day


@dataclass
class _Day:
    """The simulated day and the enterprises' promises pending on it."""

    day: date
    calendar: WorkCalendar
    pending_supply: dict[tuple[int, str], date]
    pending_answers: dict[int, tuple[int, date]]


def _supply_deferred(
    session: Session,
    enterprise: Actor,
    project: ProjectRow,
    pending_supply: dict[tuple[int, str], date],
    day: date,
    calendar: WorkCalendar,
) -> None:
    """Upload the project's deferred (容缺) materials whose promised day has come."""
    for (pid, code), when in list(pending_supply.items()):
        if pid == project.id and when <= day:
            materials.upload_material(
                session,
                enterprise,
                pid,
                code,
                f"{code}.pdf",
                material_pdf(code, code, project.code),
                day,
                calendar,
            )
            del pending_supply[(pid, code)]


def _answer_corrections(
    session: Session,
    enterprise: Actor,
    project: ProjectRow,
    pending_answers: dict[int, tuple[int, date]],
    day: date,
    calendar: WorkCalendar,
) -> None:
    """Re-upload the materials of the project's correction requests (补正) due to be answered
    today, and resubmit."""
    for task_id, (pid, when) in list(pending_answers.items()):
        if pid == project.id and when <= day:
            task = session.get(TaskRow, task_id)
            for m in queries.material_status(session, project, task.step):
                if m["state"] == "uploaded":
                    materials.upload_material(
                        session,
                        enterprise,
                        pid,
                        m["code"],
                        f"{m['code']}-v2.pdf",
                        material_pdf(m["code"] + "-v2", m["code"], project.code),
                        day,
                        calendar,
                    )
            materials.resubmit_corrections(session, enterprise, pid, task_id, day, calendar)
            del pending_answers[task_id]


def _work_on_task(
    session: Session,
    reviewer: Actor,
    today: _Day,
    project: ProjectRow,
    behaviour: Behaviour,
    step: StepRow,
    task: TaskRow,
) -> None:
    """The department's day on one task: accept it when ready (noting when each deferred
    material will come), ask for corrections the day after when the behaviour says so, else
    approve it once its decision day has come and its clock is not stopped."""
    day, calendar = today.day, today.calendar
    if task.status == "ready":
        review.accept_task(session, reviewer, task.id, day, calendar)
        for d in task.deferrals:
            wait = behaviour.held_back.get(d.material_code, 3)
            today.pending_supply[(project.id, d.material_code)] = calendar.sequence(day).date_of(
                wait
            )
    if task.status != "in_review" or task.due_on is None:
        return
    if (
        step.code in behaviour.corrections
        and task.accepted_on
        and task.stopped_days == 0
        and calendar.workdays_between(task.accepted_on, day) == 1
    ):
        _request_corrections(session, reviewer, today, project, behaviour, step, task)
        return
    decide_on = calendar.sequence(task.due_on).date_of(behaviour.late.get(step.code, 0))
    if step.code in behaviour.early and task.accepted_on and task.due_on > task.accepted_on:
        decide_on = max(task.accepted_on, _previous_workday(calendar, task.due_on))
    if day >= decide_on and not wf.blocked_by(task_clock(task), day):
        review.approve_task(session, reviewer, task.id, day, calendar, note="符合要求")


def _request_corrections(
    session: Session,
    reviewer: Actor,
    today: _Day,
    project: ProjectRow,
    behaviour: Behaviour,
    step: StepRow,
    task: TaskRow,
) -> None:
    """Ask for 补正 of the step's first uploaded material; the enterprise answers after
    ``behaviour.answer_after`` working days."""
    day, calendar = today.day, today.calendar
    reasons = behaviour.corrections[step.code]
    uploaded = [
        m["code"]
        for m in queries.material_status(session, project, step)
        if m["state"] == "uploaded"
    ]
    review.request_corrections(
        session,
        reviewer,
        task.id,
        day,
        calendar,
        reasons=reasons,
        materials=uploaded[:1],
    )
    today.pending_answers[task.id] = (
        project.id,
        calendar.sequence(day).date_of(behaviour.answer_after),
    )


def _previous_workday(calendar: WorkCalendar, day: date) -> date:
    d = day - timedelta(days=1)
    while not calendar.is_workday(d):
        d -= timedelta(days=1)
    return d


def escalations(session: Session, project: ProjectRow) -> list[tuple[str, str, date]]:
    rows = session.execute(
        select(EscalationRow, TaskRow, StepRow)
        .join(TaskRow, EscalationRow.task_id == TaskRow.id)
        .join(StepRow, TaskRow.step_id == StepRow.id)
        .where(TaskRow.project_id == project.id)
        .order_by(EscalationRow.id)
    )
    return [(step.code, esc.level, esc.raised_on) for esc, _task, step in rows]
