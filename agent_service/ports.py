"""What the agents' use cases need from other packages, as ports the composition root fills.

A :class:`CheckpointSource` adds entries to the 代办清单, the milestones and the alerts — e.g. the
commitment checkpoints of :mod:`commitments` (对标验收, 达产复核).  The use cases that read those
entries take ``checkpoints=(source, ...)``; the app factory, the CLI, the jobs and the demo pass
the implementations they compose (``commitments.agent_port.checkpoint_entries``).  With no
source nothing is added.  ``agent_service`` imports none of the implementing packages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from agent_service.model import ExtraEntry


@runtime_checkable  # the web framework checks what it injects
class CheckpointSource(Protocol):
    """Entries of many projects at once (a few queries, not one per project): the daily alert
    scan asks about every followed project."""

    def __call__(
        self, session: Session, project_ids: Sequence[int], today: date
    ) -> Iterable[ExtraEntry]: ...


#: The sources a use case is given (none: nothing is added).
CheckpointSources = Sequence[CheckpointSource]


def extra_entries(
    sources: CheckpointSources, session: Session, project_ids: Sequence[int], today: date
) -> dict[int, list[ExtraEntry]]:
    """Every source's entries for ``project_ids``, by project."""
    out: dict[int, list[ExtraEntry]] = {}
    if not project_ids:
        return out
    wanted = set(project_ids)
    for source in sources:
        for entry in source(session, project_ids, today):
            if entry.project_id in wanted:
                out.setdefault(entry.project_id, []).append(entry)
    return out


def read_once(sources: CheckpointSources) -> CheckpointSources:
    """The same sources, each asked once per (projects, day) for the life of the returned tuple
    (一次请求内只读一次): a use case that reads the entries twice (the dashboard's alerts, then
    its milestones) wraps its sources with this for that one call, never across requests."""
    return tuple(_ReadOnce(s) for s in sources)


class _ReadOnce:
    def __init__(self, source: CheckpointSource) -> None:
        self._source = source
        self._seen: dict[tuple[frozenset[int], date], list[ExtraEntry]] = {}

    def __call__(
        self, session: Session, project_ids: Sequence[int], today: date
    ) -> Iterable[ExtraEntry]:
        key = (frozenset(project_ids), today)
        if key not in self._seen:
            self._seen[key] = list(self._source(session, project_ids, today))
        return self._seen[key]
