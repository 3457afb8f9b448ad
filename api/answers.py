"""A project's encoded answers kept per process under its revision (项目修订号).

The hot reads of a project — its detail, its live plan, its audit trail, its summary in a list —
are built from its row, steps, tasks, deferrals, plan changes and audit entries, the calendar and
the departments.  Building and encoding them is most
of what such a request costs; reading whether any of it changed is one indexed, two-column
statement (:func:`approvals.services.queries.project_revision`, which also checks that the actor
may see the project).  So an answer is kept as the bytes sent, keyed by

* the project and its **revision** — raised by database triggers in the same transaction as every
  change to those rows (migration 0021), whichever process, job or tool makes it;
* the **cache version** — a random token that changes with the calendar, catalogue or departments
  (:mod:`storage.versions`), and differs between databases (a test's, a restored one);
* whatever else the answer depends on: its kind, the language, the day (a plan's clocks).

Nothing is shared between processes: each keeps its own entries, bounded in bytes (least recently
used go first), and a process that missed a change cannot serve it — it reads the revision first.
Who may see an answer is checked on every request, before the cache is looked at; the answers
kept here do not depend on who asks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from litestar import MediaType, Response
from litestar.serialization import encode_json
from sqlalchemy.orm import Session

from access.actor import Actor
from api.ops import KEPT_ANSWERS
from approvals.services import queries


class AnswerCache:
    """Bytes by key, at most ``max_bytes`` of them (least recently used dropped first)."""

    def __init__(self, max_bytes: int) -> None:
        # (kind, outcome) → its counter (``onetrip_kept_answers_total``), bound once
        self._counted: dict[tuple[str, str], Any] = {}
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes // 8:  # one answer may not crowd out the rest
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = body
            self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def count(self, kind: str, hits: int, misses: int) -> None:
        """Tell the metrics how lookups of ``kind`` went (``GET /metrics``)."""
        for outcome, n in (("hit", hits), ("miss", misses)):
            if n:
                child = self._counted.get((kind, outcome))
                if child is None:
                    child = self._counted[kind, outcome] = KEPT_ANSWERS.labels(kind, outcome)
                child.inc(n)

    def __len__(self) -> int:
        return len(self._entries)


def project_answer(
    cache: AnswerCache | None,
    session: Session,
    actor: Actor,
    project_id: int,
    key: tuple[Any, ...],
    build: Callable[[], Any],
) -> Response[Any]:
    """The answer ``build()`` gives for project ``project_id`` (encoded as JSON), from ``cache``
    while the project's revision and the cache version are those it was built under.  ``key``
    names the answer and what else it depends on (kind, language, day).  ``actor`` must be
    allowed to see the project (checked first: 'not found' otherwise)."""
    revision, token = queries.project_revision(session, actor, project_id)
    [body] = kept(cache, token, key[0], [(*key, project_id, revision)], lambda _: [build()])
    return Response(content=body, media_type=MediaType.JSON)


def kept(
    cache: AnswerCache | None,
    token: str | None,
    kind: str,
    keys: list[tuple[Any, ...]],
    build: Callable[[list[int]], list[Any]],
) -> list[bytes]:
    """The encoded answers under ``keys`` (each with the project's revision; ``token``, the
    cache version, is added): those kept, and ``build(indexes)``'s values for the others
    (encoded and kept).  Without a cache version (a database no catalogue, calendar or
    department was ever written to) nothing is kept."""
    if cache is None or token is None or cache.max_bytes == 0:
        return [encode_json(v) for v in build(list(range(len(keys))))]
    full = [(*k, token) for k in keys]
    out = [cache.get(k) for k in full]
    missing = [i for i, body in enumerate(out) if body is None]
    cache.count(kind, len(out) - len(missing), len(missing))
    if missing:
        for i, value in zip(missing, build(missing), strict=True):
            out[i] = encode_json(value)
            cache.put(full[i], out[i])
    return out  # type: ignore[return-value]  # every None was filled
