"""Per-process caches of what every request reads and rarely changes, checked against the database.

What is cached: the working calendar, the departments, a catalogue version's hash (its parsed
document is cached by hash in :mod:`approvals.service`).  The user's role needs no cache: it is
in the signed bearer token, and no request reads it from the database.

**Where the cache lives and why it cannot go stale across servers.**  Each process keeps its own
cache (nothing is shared in memory between servers).  Every entry is keyed by the **cache
version**, a random token stored in the database (the row ``cache_version`` of ``app_secrets``,
the table the app already uses for values it generates for itself and every process must share).
A transaction reads the token once (one indexed single-row query; remembered on the session until
the transaction ends) and looks its entries up under it.

**Invalidation is explicit and happens in the writing transaction.**  A flush that inserts,
changes or deletes a row of a watched table — a catalogue version stored or (de)activated, a
calendar arrangement loaded, a department added or its contact edited, a user created or changed —
writes a new random token in the same transaction (:func:`watch`).  Once it commits every process
reads the new token and misses its old entries; if it rolls back the token does too.  A random
token rather than a counter: a database emptied and seeded again (tests, a restore) never shows a
token some process has entries for with other contents.  Without the row (a database no flush has
touched yet) nothing is cached.

Writes that bypass the ORM's flush (``session.execute(update(...))`` on a watched table) must call
:func:`bump` themselves.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

T = TypeVar("T")

ROW = "cache_version"
_INFO_KEY = "cache_version"
_MISSING = object()
#: What :func:`ride` asks to be read with the version, and what was read, on the session.
_RIDERS_KEY = "cache_version_riders"
_RIDDEN_KEY = "cache_version_ridden"
#: :func:`ridden`'s answer for a value not read with the version.
NOT_READ: Any = object()
#: Table names whose rows, when flushed, change the cache version (see :func:`watch`).
_WATCHED: set[str] = set()
_entries: dict[tuple[str, str, Any], Any] = {}
_lock = threading.Lock()
_MAX_ENTRIES = 256


def watch(*tables: str) -> None:
    """Bump the cache version whenever a flush touches a row of one of ``tables``."""
    _WATCHED.update(tables)


def version(session: Session) -> str | None:
    """The database's cache version (read once per transaction), or None when there is none."""
    token = session.info.get(_INFO_KEY, _MISSING)
    if token is _MISSING:
        if session.info.get(_RIDERS_KEY):  # the riders come with it (see :func:`ride`)
            remember_row(session, session.execute(select(*columns(session))).one())
            return session.info[_INFO_KEY]  # type: ignore[no-any-return]
        token = (
            session.connection()
            .execute(text("SELECT value FROM app_secrets WHERE name = :n"), {"n": ROW})
            .scalar()
        )
        session.info[_INFO_KEY] = token
    return token  # type: ignore[return-value]


def known(session: Session) -> bool:
    """Whether this transaction has read a cache version already (:func:`cached` then reads
    nothing to look an entry up)."""
    return session.info.get(_INFO_KEY) is not None


def ride(session: Session, name: str, expr: Any) -> None:
    """Have the statement that reads this transaction's cache version read ``expr`` too (a
    scalar SQL expression: a page header's unread count), when that statement is still to come
    — a page's first statement carries both (:func:`columns`) and its header costs none of its
    own.  :func:`ridden` gives the value then.  For a read's display only: a value is read once,
    at the transaction's first read, not again after its writes."""
    if _INFO_KEY not in session.info:
        session.info.setdefault(_RIDERS_KEY, {})[name] = expr


def ridden(session: Session, name: str) -> Any:
    """The value of the rider ``name`` read with the version, or :data:`NOT_READ`."""
    return session.info.get(_RIDDEN_KEY, {}).get(name, NOT_READ)


def columns(session: Session) -> list[Any]:
    """The cache version (labelled ``cache_version_``) and the riders still to read (:func:`ride`)
    as columns of another statement; hand its row to :func:`remember_row`."""
    riders = session.info.get(_RIDERS_KEY) or {}
    return [
        column().label("cache_version_"),
        *(expr.label(f"ride_{i}_") for i, expr in enumerate(riders.values())),
    ]


def remember_row(session: Session, row: Any) -> None:
    """:func:`remember` the version a statement with :func:`columns` read, and its riders."""
    m = row._mapping
    remember(session, m["cache_version_"])
    riders = session.info.pop(_RIDERS_KEY, None) or {}
    ridden = session.info.setdefault(_RIDDEN_KEY, {})
    for i, name in enumerate(riders):
        ridden[name] = m[f"ride_{i}_"]


def version_and(session: Session, other: Any) -> tuple[str | None, Any]:
    """The cache version and the value of ``other`` (a scalar SQL expression, e.g. a page
    header's unread count), in one statement when this transaction has not read the version
    yet; otherwise ``other`` alone."""
    token = session.info.get(_INFO_KEY, _MISSING)
    if token is not _MISSING:
        return token, session.scalar(select(other))  # type: ignore[return-value]
    mine = (
        select(text("value")).select_from(text("app_secrets")).where(text("name = :n"))
    ).scalar_subquery()
    token, value = session.execute(select(mine, other), {"n": ROW}).one()
    session.info[_INFO_KEY] = token
    return token, value


def column() -> Any:
    """The cache version as a column of another statement (an uncorrelated scalar subquery,
    evaluated once): a read that comes first in its transaction carries it and hands it to
    :func:`remember`, and the transaction's later cache lookups need no statement of their own."""
    return (
        select(text("value"))
        .select_from(text("app_secrets"))
        .where(text(f"name = '{ROW}'"))
        .scalar_subquery()
    )


def remember(session: Session, token: str | None) -> None:
    """Keep the version a statement with :func:`column` read, unless this transaction has one
    already (the first read stands for the whole transaction)."""
    session.info.setdefault(_INFO_KEY, token)


def bump(session: Session) -> None:
    """A new cache version, written in the session's transaction (visible when it commits)."""
    token = uuid.uuid4().hex
    session.connection().execute(
        text(
            "INSERT INTO app_secrets (name, value) VALUES (:n, :v) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        ),
        {"n": ROW, "v": token},
    )
    session.info[_INFO_KEY] = token


def cached(session: Session, name: str, key: Any, load: Callable[[], T]) -> T:
    """``load()``'s value, kept in this process under the current cache version.

    ``load`` must read only watched tables (and immutable rows): its value is reused until the
    version changes."""
    token = version(session)
    if token is None:
        return load()
    k = (name, token, key)
    value = _entries.get(k, _MISSING)
    if value is _MISSING:
        value = load()
        with _lock:
            if len(_entries) >= _MAX_ENTRIES:
                _entries.clear()
            _entries[k] = value
    return value  # type: ignore[return-value]


@event.listens_for(Session, "after_flush")
def _bump_on_change(session: Session, _context: Any) -> None:
    if not _WATCHED:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in _WATCHED and (obj not in session.dirty or session.is_modified(obj)):
            bump(session)
            return


@event.listens_for(Session, "after_transaction_end")
def _forget_version(session: Session, transaction: Any) -> None:
    # the next transaction reads the version again (another process may have changed it)
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)
        session.info.pop(_RIDERS_KEY, None)
        session.info.pop(_RIDDEN_KEY, None)
