"""A review task as the API answers it and the task page shows it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from api.clock import Clock
from approvals.orm import CorrectionRow
from approvals.service import work_calendar
from approvals.services import clocks, progress, queries

#: The task's corrections, the columns shown (ORM columns: the statement autoflushes, as after a
#: decision it must; rows, not objects; built once).
_CORRECTIONS = (
    select(
        CorrectionRow.id,
        CorrectionRow.requested_on,
        CorrectionRow.reasons,
        CorrectionRow.material_codes,
        CorrectionRow.resolved_on,
        CorrectionRow.stage,
    )
    .where(CorrectionRow.task_id == bindparam("task_id"))
    .order_by(CorrectionRow.id)
)


def task_detail(session: Session, task: Any, clock: Clock) -> dict[str, Any]:
    """A task with its step, project, materials and corrections (the API's and the task page's)."""
    calendar = work_calendar(session)
    step = task.step
    project = step.project
    corrections = session.execute(_CORRECTIONS, {"task_id": task.id}).all()
    return {
        **progress.task_summary(task, step, clock.today(), calendar),
        "project_id": project.id,
        "project_code": project.code,
        "project_name": project.name,
        "step_code": step.code,
        "step_name": step.name,
        "step_kind": step.kind,
        "step_mode": step.mode,
        "items": list(step.items),
        "critical": step.critical,
        "slack": step.slack,
        # what a 受理 decided on, when it left it (no certificate or upload changes in between)
        "materials": queries.material_status(
            session, project, step, queries.kept_facts(session, project)
        ),
        **clocks.intake_info_of(task, corrections, clock.today(), calendar),
        "corrections": [
            {
                "id": c.id,
                "requested_on": c.requested_on.isoformat(),
                "reasons": c.reasons,
                "materials": c.material_codes,
                "resolved_on": c.resolved_on.isoformat() if c.resolved_on else None,
                "stage": c.stage,
            }
            for c in corrections
        ],
    }
