"""Shared fixtures: a clean, migrated database on SQLite and on PostgreSQL.

Integration tests take the ``engine`` fixture and run once per backend.  PostgreSQL comes from
``ONETRIP_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each
pytest-xdist worker gets its own database next to it.  Without a PostgreSQL server the
PostgreSQL runs are skipped with the reason shown — except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from migrations.runner import reset_database, upgrade
from storage.engine import make_engine, make_session_factory

PG_URL = os.environ.get("ONETRIP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgresql"]
#: The routes' answers are checked to keep every key and value of the services' dicts
#: (api.schemas.common.to); read when api.schemas is first imported, after this.
os.environ.setdefault("ONETRIP_CHECK_SCHEMAS", "1")


def _worker() -> str:
    """This checkout's and this xdist worker's own database suffix (worktrees never share one)."""
    import hashlib

    checkout = hashlib.sha1(str(Path(__file__).resolve().parents[1]).encode()).hexdigest()[:6]
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{checkout}"


def _pg_unavailable_reason() -> str | None:
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as e:  # the reason is shown in the skip message
        return f"PostgreSQL at {make_url(PG_URL).render_as_string()} does not answer: {type(e).__name__}: {str(e).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def pg_worker_url() -> str:
    """A database of this worker's own on the test server (created once, PostGIS enabled)."""
    reason = _pg_unavailable_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    base = make_url(PG_URL)
    name = f"{base.database}_{_worker()}".replace("-", "_")
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("select 1 from pg_database where datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    reset_database(engine)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    return path


def _truncate_all(engine: Engine) -> None:
    from migrations.metadata import metadata

    tables = [t.name for t in metadata.sorted_tables]
    # the job queue's tables (procrastinate) come with migration 0007 on PostgreSQL
    tables += ["procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_workers"]
    names = ", ".join(f'"{t}"' for t in tables)
    if names:
        with engine.begin() as conn:
            # the audit trail refuses TRUNCATE by trigger; replica mode skips user triggers
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a clean, migrated database of the test's backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "onetrip.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_worker_url")
        engine = make_engine(url)
        _truncate_all(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the clean database; the test commits what it wants to keep."""
    s = make_session_factory(engine)()
    yield s
    s.rollback()
    s.close()
