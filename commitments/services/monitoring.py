"""Monitoring the checkpoints (对标验收, 达产复核): scheduling them on acceptance, the daily run
that re-dates them, gives the regulators their tasks and judges overdue the ones left
uninspected, and the regulators' worklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from approvals.calendar import WorkCalendar
from approvals.orm import ProjectRow
from commitments import evaluation as ev
from commitments.errors import CommitmentAccessDenied
from commitments.model import Policy, Status
from commitments.orm import CheckpointRow, CommitmentRow, RegulatorTaskRow
from commitments.services.inspections import judge
from commitments.services.ledger_store import append, seal
from commitments.services.payloads import checkpoint_payload
from commitments.services.queries import document_of, production_start, project_completion, terms_of
from landplots.model import Milestone
from storage.audit import record


def milestone_dates(
    session: Session, c: CommitmentRow, calendar: WorkCalendar
) -> dict[str, tuple[date, str]]:
    project = session.get(ProjectRow, c.project_id)
    assert project is not None
    doc = document_of(c)
    rules = doc["checkpoints"]
    policy = Policy(
        acceptance_workdays=int(rules["acceptance"]["workdays_after_completion"]),
        production_years=int(rules["production"]["years_after_production_start"]),
        grace_workdays=int(rules["grace_workdays"]),
    )
    completion, basis = project_completion(session, project, calendar)
    start = production_start(project, completion)
    own_start = bool(rules["production"].get("production_start"))
    return {
        Milestone.ACCEPTANCE.value: (ev.acceptance_due(calendar, completion, policy), basis),
        Milestone.PRODUCTION.value: (
            ev.production_due(calendar, start, policy),
            "actual" if own_start else basis,
        ),
    }


def schedule_checkpoints(
    session: Session, c: CommitmentRow, calendar: WorkCalendar
) -> list[CheckpointRow]:
    """One checkpoint per milestone that has indicators (see :mod:`commitments.model`)."""
    terms = terms_of(session, c.id)
    dates = milestone_dates(session, c, calendar)
    out = []
    for milestone in (Milestone.ACCEPTANCE.value, Milestone.PRODUCTION.value):
        keys = [t.key for t in terms if t.milestone.value == milestone]
        if not keys:
            continue
        due, basis = dates[milestone]
        cp = CheckpointRow(
            commitment_id=c.id,
            milestone=milestone,
            attempt=1,
            keys=keys,
            due_on=due,
            basis=basis,
            status=Status.SCHEDULED.value,
        )
        session.add(cp)
        session.flush()
        cp.ledger_seq = append(
            session, "checkpoint", c.number, checkpoint_payload(cp, c.number)
        ).seq
        out.append(cp)
    session.flush()
    return out


@dataclass
class MonitorReport:
    day: date
    rescheduled: list[int] = field(default_factory=list)  # checkpoint ids re-dated
    tasks: list[int] = field(default_factory=list)  # task ids created
    overdue: list[int] = field(default_factory=list)  # checkpoint ids judged overdue

    def text(self, lang: str = "zh") -> str:
        if lang == "en":
            return (
                f"{self.day}: {len(self.tasks)} new regulator tasks, {len(self.overdue)} checkpoints overdue, "
                f"{len(self.rescheduled)} re-dated"
            )
        return (
            f"{self.day}：新增监管任务 {len(self.tasks)} 件，逾期检查点 {len(self.overdue)} 个，"
            f"调整日期 {len(self.rescheduled)} 个"
        )


def run_monitor(session: Session, today: date, calendar: WorkCalendar) -> MonitorReport:
    """The daily run (``onetrip monitor run``); idempotent for a given day.

    * checkpoints dated from a forecast completion are re-dated when the forecast moved or the
      completion became actual (a new ``checkpoint`` entry records the new date);
    * every scheduled checkpoint due on or before ``today`` gets one regulator task;
    * a checkpoint still without inspection ``grace_workdays`` after its due day is judged
      overdue: each of its indicators gets an ``overdue`` verdict and its consequence.
    """
    report = MonitorReport(today)
    rows = session.execute(
        select(CheckpointRow, CommitmentRow)
        .join(CommitmentRow, CheckpointRow.commitment_id == CommitmentRow.id)
        .where(CheckpointRow.status == Status.SCHEDULED.value)
        .order_by(CheckpointRow.id)
    ).all()
    tasks = {t.checkpoint_id: t for t in session.scalars(select(RegulatorTaskRow))}
    appended = False
    for cp, c in rows:
        if cp.basis == "forecast" and cp.attempt == 1:
            due, basis = milestone_dates(session, c, calendar)[cp.milestone]
            if (due, basis) != (cp.due_on, cp.basis) and cp.id not in tasks:
                cp.due_on, cp.basis = due, basis
                session.flush()
                cp.ledger_seq = append(
                    session, "checkpoint", c.number, checkpoint_payload(cp, c.number)
                ).seq
                report.rescheduled.append(cp.id)
                appended = True
        if cp.due_on > today:
            continue
        policy_grace = int(document_of(c)["checkpoints"]["grace_workdays"])
        overdue_on = calendar.add_workdays(cp.due_on, policy_grace)
        task = tasks.get(cp.id)
        if task is None:
            task = RegulatorTaskRow(
                checkpoint_id=cp.id,
                commitment_id=c.id,
                created_on=today,
                due_on=cp.due_on,
                overdue_on=overdue_on,
                status="open",
            )
            session.add(task)
            session.flush()
            tasks[cp.id] = task
            report.tasks.append(task.id)
            record(
                session,
                actor="system",
                role="admin",
                action="commitment.task",
                entity="checkpoint",
                entity_id=cp.id,
                project_id=c.project_id,
                after={
                    "number": c.number,
                    "milestone": cp.milestone,
                    "due_on": cp.due_on.isoformat(),
                },
            )
        if today >= overdue_on:
            terms = [t for t in terms_of(session, c.id) if t.key in cp.keys]
            judge(session, c, cp, None, ev.overdue_verdicts(terms), today, calendar)
            task.status, task.done_on = "done", today
            report.overdue.append(cp.id)
            appended = True
    session.flush()
    if appended:
        seal(session)
    return report


def regulator_tasks(session: Session, actor: Actor, today: date) -> list[dict[str, Any]]:
    """The regulators' worklist: open tasks, overdue first, then by due day."""
    if not can(actor, Action.COMPLIANCE_READ):
        raise CommitmentAccessDenied(
            "只有监管人员和管理员可以查看监管任务",
            "only regulators and administrators see regulator tasks",
        )
    rows = session.execute(
        select(RegulatorTaskRow, CheckpointRow, CommitmentRow)
        .join(CheckpointRow, RegulatorTaskRow.checkpoint_id == CheckpointRow.id)
        .join(CommitmentRow, RegulatorTaskRow.commitment_id == CommitmentRow.id)
        .where(RegulatorTaskRow.status == "open")
    ).all()
    out = [
        {
            "id": t.id,
            "checkpoint_id": cp.id,
            "commitment_id": c.id,
            "number": c.number,
            "plot": c.plot_code,
            "zone": c.zone_code,
            "milestone": cp.milestone,
            "milestone_name": Milestone(cp.milestone).text("zh"),
            "attempt": cp.attempt,
            "keys": list(cp.keys),
            "due_on": t.due_on.isoformat(),
            "overdue_on": t.overdue_on.isoformat(),
            "created_on": t.created_on.isoformat(),
            "late": today > t.due_on,
        }
        for t, cp, c in rows
    ]
    out.sort(key=lambda r: (not r["late"], r["due_on"], r["id"]))
    return out
