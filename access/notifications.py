"""In-app notifications (站内消息): every party is told when something needs them.

The services call :func:`notify` (or one of its addressers) where the event happens, in the
event's transaction: a 补正 requested → the enterprise (and its agent); a task ready for intake →
the department's reviewers; a decision → the enterprise and the agent; a joint meeting called →
the invited departments' reviewers and the agent; a deadline near → the reviewers and the agent
(from the daily job, :func:`api.jobs.work.daily_steps`).  Pages show the unread count in their
header and list the messages at ``/notifications``.

Recipients are found in one query and the messages written in one statement; a ``key`` makes an
event notify each user once, however often it is repeated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from access.actor import Actor, Role
from access.orm import NotificationRow, UserRow
from i18n import Text
from storage.base import utcnow
from storage.paging import PageOf, Paging, fetch_page, search_clause
from storage.versions import NOT_READ, ridden, ride, version_and

#: The kinds of notification and how a page names them (中文, English).
KINDS: dict[str, tuple[str, str]] = {
    "corrections": ("补正通知", "Corrections requested"),
    "intake_corrections": ("一次性告知补正", "Missing materials at intake"),
    "task_ready": ("新的待受理任务", "New task to take in"),
    "decision": ("审批结果", "Decision"),
    "meeting": ("联席会议", "Joint meeting"),
    "deadline": ("时限临近", "Deadline near"),
    "assigned": ("代办指派", "Assignment"),
    "supplied": ("材料已补正", "Materials supplied"),
    "supervision": ("中介超期督办", "Overdue intermediary supervised"),
}


def _require_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")


def recipients(
    session: Session,
    *,
    user_ids: Iterable[int | None] = (),
    enterprise_id: int | None = None,
    departments: Iterable[str] = (),
    roles: Iterable[str] = (),
    intermediary_id: int | None = None,
    untold: str | None = None,
) -> list[int]:
    """The active accounts to tell (one query): the given users, an enterprise's accounts, the
    reviewers of some departments, every account of some roles (e.g. the administrators), an
    intermediary organisation's accounts; with ``untold``, only those not yet told under that
    key (in the same query)."""
    ids = {i for i in user_ids if i}
    depts = sorted(set(departments))
    conditions: list[ColumnElement[bool]] = []
    if roles:
        conditions.append(UserRow.role.in_(sorted(set(roles))))
    if intermediary_id is not None:
        conditions.append(
            (UserRow.role == Role.INTERMEDIARY) & (UserRow.intermediary_id == intermediary_id)
        )
    if ids:
        conditions.append(UserRow.id.in_(ids))
    if enterprise_id is not None:
        conditions.append(
            (UserRow.role == Role.ENTERPRISE) & (UserRow.enterprise_id == enterprise_id)
        )
    if depts:
        conditions.append((UserRow.role == Role.REVIEWER) & UserRow.department.in_(depts))
    if not conditions:
        return []
    query = select(UserRow.id).where(UserRow.active.is_(True), or_(*conditions))
    if untold is not None:
        query = query.where(
            ~exists().where(
                NotificationRow.user_id == UserRow.id, NotificationRow.dedupe_key == untold
            )
        )
    return sorted(session.scalars(query))


def notify(
    session: Session,
    user_ids: Sequence[int],
    kind: str,
    text: Text,
    *,
    link: str = "",
    project_id: int | None = None,
    key: str | None = None,
) -> int:
    """Tell each of ``user_ids`` ``text`` (with a link to act on); with ``key``, users already
    told under that key are not told again.  Returns how many were told; the caller commits."""
    _require_kind(kind)
    return _notify(session, user_ids, kind, text, link, project_id, key, key is not None)


def _notify(
    session: Session,
    user_ids: Sequence[int],
    kind: str,
    text: Text,
    link: str,
    project_id: int | None,
    key: str | None,
    check_told: bool,
) -> int:
    """:func:`notify`; ``check_told=False`` when ``user_ids`` are known not told under ``key``."""
    targets = list(dict.fromkeys(user_ids))
    if not targets:
        return 0
    if check_told:
        told = set(
            session.scalars(
                select(NotificationRow.user_id).where(
                    NotificationRow.dedupe_key == key, NotificationRow.user_id.in_(targets)
                )
            )
        )
        targets = [u for u in targets if u not in told]
    # the targets are distinct and none was told: nothing left for _notify_many to look up
    return _notify_many(
        session, kind, [(u, text, link, key, project_id) for u in targets], told=set()
    )


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """The rows in one INSERT (an executemany): nothing reads their ids back, so the ORM's
    one-INSERT-per-row (to fetch each id) is not needed.  Pending objects are flushed first."""
    if rows:
        session.flush()
        session.execute(insert(NotificationRow), rows)


def notify_parties(
    session: Session,
    kind: str,
    text: Text,
    *,
    link: str = "",
    project_id: int | None = None,
    key: str | None = None,
    user_ids: Iterable[int | None] = (),
    enterprise_id: int | None = None,
    departments: Iterable[str] = (),
    roles: Iterable[str] = (),
    intermediary_id: int | None = None,
) -> int:
    """:func:`notify` the accounts :func:`recipients` finds (those not yet told under ``key``
    found in the same query)."""
    _require_kind(kind)
    found = recipients(
        session,
        user_ids=user_ids,
        enterprise_id=enterprise_id,
        departments=departments,
        roles=roles,
        intermediary_id=intermediary_id,
        untold=key,
    )
    return _notify(session, found, kind, text, link, project_id, key, False)


def notify_many(
    session: Session, kind: str, rows: Sequence[tuple[int, Text, str, str, int | None]]
) -> int:
    """Many messages at once: ``rows`` are ``(user_id, text, link, key, project_id)``; a user
    already told under a row's key is not told again (one query for those, one insert)."""
    _require_kind(kind)
    return _notify_many(session, kind, rows, None)


def _notify_many(
    session: Session,
    kind: str,
    rows: Sequence[tuple[int, Text, str, str | None, int | None]],
    told: set[tuple[int, str | None]] | None,
) -> int:
    """:func:`notify_many`; ``told``: the (user, key) pairs of ``rows`` already told, when known."""
    if not rows:
        return 0
    if told is None:
        keys = sorted({key for _, _, _, key, _ in rows if key is not None})  # NULL matches none
        told = set(
            session.execute(
                select(NotificationRow.user_id, NotificationRow.dedupe_key).where(
                    NotificationRow.dedupe_key.in_(keys)
                )
            ).all()
        )
    now = utcnow()
    fresh = []
    for uid, text, link, key, project_id in rows:
        if (uid, key) in told:
            continue
        told.add((uid, key))
        fresh.append(
            {
                "user_id": uid,
                "kind": kind,
                "text_zh": text.zh,
                "text_en": text.en,
                "link": link,
                "project_id": project_id,
                "dedupe_key": key,
                "created_at": now,
            }
        )
    _insert(session, fresh)
    return len(fresh)


def notify_department_tasks(
    session: Session,
    kind: str,
    items: Sequence[tuple[str, Text, str, str]],
    *,
    project_id: int | None = None,
    project_ids: Sequence[int | None] | None = None,
    agents: Sequence[int | None] | None = None,
) -> int:
    """Tell each department's reviewers about its own item: ``items`` are
    ``(department, text, link, key)`` (the reviewers of every department found in one query,
    with the items' keys each was already told under); ``project_ids`` (per item, else
    ``project_id``) and ``agents`` (per item, a user told too, if active)."""
    if not items:
        return 0
    _require_kind(kind)
    depts = sorted({d for d, *_ in items})
    extra = sorted({a for a in agents or () if a})
    keys = sorted({key for *_, key in items})
    reviewers: dict[str, list[int]] = {}
    active_agents: set[int] = set()
    told: set[tuple[int, str | None]] = set()
    condition = (UserRow.role == Role.REVIEWER) & UserRow.department.in_(depts)
    if extra:
        condition = or_(condition, UserRow.id.in_(extra))
    seen: set[int] = set()
    for uid, role, dept, key in session.execute(
        select(UserRow.id, UserRow.role, UserRow.department, NotificationRow.dedupe_key)
        .outerjoin(
            NotificationRow,
            (NotificationRow.user_id == UserRow.id) & NotificationRow.dedupe_key.in_(keys),
        )
        .where(UserRow.active.is_(True), condition)
        .order_by(UserRow.id)
    ):
        if key is not None:
            told.add((uid, key))
        if uid in seen:  # one row per key the user was told under
            continue
        seen.add(uid)
        if role == Role.REVIEWER and dept in depts:
            reviewers.setdefault(dept or "", []).append(uid)
        if uid in extra:
            active_agents.add(uid)
    rows: list[tuple[int, Text, str, str, int | None]] = []
    for i, (dept, text, link, key) in enumerate(items):
        pid = project_ids[i] if project_ids is not None else project_id
        rows.extend((uid, text, link, key, pid) for uid in reviewers.get(dept, []))
        agent = agents[i] if agents is not None else None
        if agent in active_agents:
            rows.append((agent, text, f"/projects/{pid}" if pid else link, key, pid))
    return _notify_many(session, kind, rows, told)


def _unread(user_id: int) -> Any:
    return (
        select(func.count())
        .select_from(NotificationRow)
        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (one indexed count, read together with
    the transaction's cache version when that is still to be read: a page's header costs no
    statement of its own then — nor when :func:`read_unread_first` had it read already)."""
    read = ridden(session, f"unread:{user_id}")
    if read is not NOT_READ:
        return int(read or 0)
    return int(version_and(session, _unread(user_id))[1] or 0)


def read_unread_first(session: Session, user_id: int) -> None:
    """Have the user's unread count read with the cache version, by the statement that reads it
    (a page's first: its project, …) — for a read-only page whose header shows the count."""
    ride(session, f"unread:{user_id}", _unread(user_id))


NOTIFICATION_SORTS: dict[str, Any] = {
    "created_at": NotificationRow.created_at,
    "kind": NotificationRow.kind,
}


def notification_page(
    session: Session, actor: Actor, paging: Paging, *, unread_only: bool = False
) -> PageOf:
    """One page of the actor's own notifications (newest first by default)."""
    q = select(NotificationRow).where(NotificationRow.user_id == (actor.user_id or -1))
    if unread_only:
        q = q.where(NotificationRow.read_at.is_(None))
    match = search_clause(paging.q, NotificationRow.text_zh, NotificationRow.text_en)
    if match is not None:
        q = q.where(match)
    return fetch_page(session, q, paging, NOTIFICATION_SORTS, tiebreak=NotificationRow.id)


def mark_read(
    session: Session, actor: Actor, ids: Sequence[int] = (), *, everything: bool = False
) -> int:
    """Mark the actor's own notifications read (``ids``, or every unread one); another user's
    ids are ignored.  Returns how many changed; the caller commits."""
    if not ids and not everything:
        return 0
    stmt = update(NotificationRow).where(
        NotificationRow.user_id == (actor.user_id or -1), NotificationRow.read_at.is_(None)
    )
    if not everything:
        stmt = stmt.where(NotificationRow.id.in_(list(ids)))
    result = session.execute(stmt.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
