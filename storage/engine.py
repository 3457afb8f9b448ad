"""Engines and sessions for the configured ``DATABASE_URL``.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout; reads begin deferred and
write units of work begin ``IMMEDIATE`` (:func:`begin_write`), so concurrent writers queue
instead of failing on a lock upgrade, and readers are never blocked.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` (psycopg 3), and make SQLite paths absolute."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database).expanduser().resolve()
        url = parsed.set(database=str(path)).render_as_string(hide_password=False)
    return url


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def json_loads(data: Any) -> Any:
    """A JSON column's value: msgspec's decoder (several times faster than :func:`json.loads` —
    the plan's steps carry three documents each), falling back to the standard module for the
    little it refuses (numbers beyond a float's range), so what is read never changes."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return json.loads(bytes(data) if isinstance(data, memoryview) else data)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    kwargs.setdefault("json_deserializer", json_loads)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: an acknowledged commit survives a power cut too, not only a killed process
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Reads begin deferred (no lock); a write unit of work asks for IMMEDIATE so that
            # concurrent writers queue on busy_timeout instead of failing a lock upgrade.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    ping_idle = kwargs.pop("ping_idle_after", PING_IDLE_AFTER_S)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping") and ping_idle is not None:
        _ping_idle_connections(engine, ping_idle)
    return engine


#: A pooled connection idle this long is checked before use (see :func:`_ping_idle_connections`).
PING_IDLE_AFTER_S = 1.0


def _ping_idle_connections(engine: Engine, after: float) -> None:
    """SQLAlchemy's pessimistic pre-ping, but only for a connection idle ``after`` seconds or
    more: a busy server's connections come back to the pool milliseconds before they are reused,
    and pinging each one cost every request a round trip and 0.1–0.3 ms of CPU (issue 16,
    ``bench/pool_ping.py``).  A dead idle connection (the database restarted, a firewall dropped
    it) is replaced before use, as
    ``pool_pre_ping`` does (``DisconnectionError``: the pool connects afresh); one that died while
    busy fails its statement, and SQLAlchemy then invalidates the whole pool, so the requests
    after it connect afresh (docs/reliability.md)."""

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < after:
            return  # new (connected just now), or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as e:
            raise exc.DisconnectionError(f"pooled connection dead after {after:g} s idle") from e


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database that ``url`` names if it does not exist (the benches and
    tests make their own databases next to ``postgres``); nothing to do for SQLite."""
    if is_sqlite(url):
        return
    base = make_url(normalize_url(url))
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            known = conn.scalar(
                text("select 1 from pg_database where datname = :n"), {"n": base.database}
            )
            if not known:
                conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    finally:
        admin.dispose()


def make_session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``write`` their transactions begin as writers (on SQLite
    ``BEGIN IMMEDIATE``, lazily at the first statement — so no lock is taken before then)."""
    bind = (
        engine.execution_options(sqlite_begin="IMMEDIATE")
        if write and is_sqlite(engine)
        else engine
    )
    return sessionmaker(bind, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer.

    On SQLite this takes the write lock up front (``BEGIN IMMEDIATE``), so two writers queue
    instead of the second failing when it upgrades a read lock; on PostgreSQL it is a plain
    begin.  Call it before the first statement of a unit of work that writes.
    """
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
