"""A pooled PostgreSQL connection that died is replaced (docs/reliability.md, "Connections").

The pool pings a connection only when it has been idle a while (``storage.engine``): an idle one
killed under it is replaced before use, without the caller seeing an error; one killed while
busy fails its statement once, and the pool then connects afresh.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import exc, text

from storage.engine import make_engine


def _kill(url: str, pid: int) -> None:
    admin = make_engine(url)
    with admin.connect() as conn:
        assert conn.scalar(text("select pg_terminate_backend(:p)"), {"p": pid})
    admin.dispose()
    time.sleep(0.1)  # the backend goes away asynchronously


def test_an_idle_connection_killed_is_replaced_before_use(pg_worker_url: str) -> None:
    engine = make_engine(pg_worker_url, ping_idle_after=0.2)
    with engine.connect() as conn:
        first = conn.scalar(text("select pg_backend_pid()"))
    _kill(pg_worker_url, first)
    time.sleep(0.3)  # idle past the threshold: checked at checkout
    with engine.connect() as conn:
        assert conn.scalar(text("select pg_backend_pid()")) != first
    engine.dispose()


def test_a_connection_killed_while_busy_fails_once_then_the_pool_reconnects(
    pg_worker_url: str,
) -> None:
    engine = make_engine(pg_worker_url, ping_idle_after=60)
    with engine.connect() as conn:
        first = conn.scalar(text("select pg_backend_pid()"))
    _kill(pg_worker_url, first)
    with pytest.raises(exc.DBAPIError) as failed, engine.connect() as conn:
        conn.execute(text("select 1"))
    assert failed.value.connection_invalidated
    with engine.connect() as conn:
        assert conn.scalar(text("select pg_backend_pid()")) != first
    engine.dispose()
