"""The hook through which other packages add entries to the 代办清单, the milestones and the
alerts — e.g. the commitment checkpoints of :mod:`commitments` (对标验收, 达产复核).

A *source* is a function ``(session, project_ids, today) -> iterable of ExtraEntry``; it must
answer for many projects at once (a few queries, not one per project), because the daily alert
scan asks it about every active project.  Sources are found two ways:

* registered by the composition root: ``register_source(fn)``;
* by convention, without any registration: a module ``<package>.agent_hooks`` of a sibling
  package (``commitments``, ``landplots``) defining ``agent_entries(session, project_ids, today)``.

With no source the hook adds nothing.  Nothing here makes ``agent_service`` depend on those
packages: they are imported only if present.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import lru_cache

from sqlalchemy.orm import Session

from agent_service.model import ExtraEntry

ExtraSource = Callable[[Session, Sequence[int], date], Iterable[ExtraEntry]]

#: Packages probed for an ``agent_hooks.agent_entries`` function.
CONVENTIONAL_PACKAGES = ("commitments", "landplots")

_registered: list[ExtraSource] = []


def register_source(source: ExtraSource) -> None:
    """Add a source (once; registering it again does nothing)."""
    if source not in _registered:
        _registered.append(source)


def unregister_source(source: ExtraSource) -> None:
    if source in _registered:
        _registered.remove(source)


def sources() -> list[ExtraSource]:
    """The registered sources, then the conventional ones that exist."""
    return [*_registered, *(fn for fn in _conventional() if fn not in _registered)]


@lru_cache(maxsize=1)
def _conventional() -> tuple[ExtraSource, ...]:
    """The conventional hooks, looked up once per process."""
    found: list[ExtraSource] = []
    for package in CONVENTIONAL_PACKAGES:
        name = f"{package}.agent_hooks"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name in {package, name}:
                continue  # no such hook: nothing to add
            raise  # the hook exists but is broken: say so
        fn = getattr(module, "agent_entries", None)
        if callable(fn):
            found.append(fn)
    return tuple(found)


def extra_entries(
    session: Session, project_ids: Sequence[int], today: date
) -> dict[int, list[ExtraEntry]]:
    """Every source's entries for ``project_ids``, by project."""
    out: dict[int, list[ExtraEntry]] = {}
    if not project_ids:
        return out
    wanted = set(project_ids)
    for source in sources():
        for entry in source(session, project_ids, today):
            if entry.project_id in wanted:
                out.setdefault(entry.project_id, []).append(entry)
    return out
