"""The commitment checkpoints (对标验收, 达产复核, 整改复查) on the proxy agents' 代办清单.

Implements the port :class:`agent_service.ports.CheckpointSource`; the composition roots (the app
factory, the CLI, the jobs, the demo) pass :func:`checkpoint_entries` to the agents' use cases.
One query answers for all the projects the daily alert scan asks about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_service.model import ExtraEntry
from commitments.model import Status
from commitments.orm import CheckpointRow, CommitmentRow
from i18n import Text
from landplots.model import MILESTONE_LABELS, Milestone

#: Who inspects: the development zone's administrative committee (开发区管委会), which signs the
#: commitment with the enterprise (a department of the shipped catalogue).
REGULATOR = "kfq"

_CHUNK = 900  # stay under SQLite's bound-parameter limit


def _title(milestone: str, attempt: int) -> Text:
    zh, en = MILESTONE_LABELS.get(Milestone(milestone), (milestone, milestone))
    if attempt > 1:
        return Text(f"{zh}（整改后复查，第 {attempt} 次）", f"{en} (re-check no. {attempt})")
    return Text(zh, en)


def checkpoint_entries(
    session: Session, project_ids: Sequence[int], today: date
) -> Iterable[ExtraEntry]:
    """One entry per checkpoint of the projects' signed commitments; a closed checkpoint is done
    on its closing day, whatever its verdict (the agent's job was to get it inspected)."""
    ids = list(project_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(
                CommitmentRow.project_id,
                CommitmentRow.number,
                CheckpointRow.id,
                CheckpointRow.milestone,
                CheckpointRow.attempt,
                CheckpointRow.due_on,
                CheckpointRow.status,
                CheckpointRow.closed_on,
            )
            .join(CheckpointRow, CheckpointRow.commitment_id == CommitmentRow.id)
            .where(CommitmentRow.project_id.in_(ids[start : start + _CHUNK]))
            .order_by(CheckpointRow.due_on, CheckpointRow.id)
        )
        for project_id, number, cp_id, milestone, attempt, due_on, status, closed_on in rows:
            done = status != Status.SCHEDULED and status != Status.OVERDUE
            yield ExtraEntry(
                project_id=project_id,
                key=f"commitment-checkpoint-{cp_id}",
                title=_title(milestone, attempt),
                due_on=due_on,
                phase="post_completion",
                kind="checkpoint",
                done_on=(closed_on or due_on) if done else None,
                source=f"承诺书 {number}",
                departments=(REGULATOR,),
            )
