"""好差评: the enterprise rates each completed step once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Actor
from approvals import workflow as wf
from approvals.errors import NotFoundError, ProjectError
from approvals.orm import RatingRow
from approvals.services.common import require_supplier
from approvals.services.queries import get_project
from storage.audit import record

RATING_LABELS = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


def rate_step(
    session: Session, actor: Actor, project_id: int, step_code: str, score: int, comment: str = ""
) -> RatingRow:
    """好差评: the enterprise rates a completed step once (1 非常不满意 … 5 非常满意)."""
    project = get_project(session, actor, project_id, lock=True)
    require_supplier(actor, project)
    step = next((s for s in project.steps if s.code == step_code), None)
    if step is None:
        raise NotFoundError(
            f"事项 {step_code} 不在本项目中", f"step {step_code} is not part of this project"
        )
    if step.status != "done":
        raise wf.WorkflowError(
            f"事项 {step_code} 尚未办结，不能评价", f"step {step_code} is not completed yet"
        )
    if not 1 <= score <= 5:
        raise ProjectError("评分应为 1–5", "the score must be 1 to 5")
    if session.scalar(
        select(RatingRow.id).where(
            RatingRow.project_id == project.id, RatingRow.step_code == step_code
        )
    ):
        raise wf.WorkflowError(
            f"事项 {step_code} 已评价", f"step {step_code} has been rated already"
        )
    row = RatingRow(
        project_id=project.id,
        step_code=step_code,
        departments=list(step.departments),
        department_key=",".join(step.departments),
        score=score,
        comment=comment,
        rated_by=actor.username,
        # the rated decision: the step's last (the statistics count the rating in its period)
        decided_on=max(
            (t.decided_on for t in step.tasks if t.decided_on is not None),
            default=step.actual_end,
        ),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="step.rate",
        entity="step",
        entity_id=step.id,
        project_id=project.id,
        after={"score": score, "label": RATING_LABELS[score], "comment": comment},
    )
    return row
