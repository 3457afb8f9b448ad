"""Backup and restore round trips on SQLite (online) and PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.seed import seed_demo_accounts
from approvals.orm import EnterpriseRow
from storage import versions
from storage.audit import AuditRow, record
from storage.backup import BackupError, backup, restore
from storage.engine import make_engine, make_session_factory


def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        out = (
            s.scalar(select(func.count()).select_from(EnterpriseRow)),
            s.scalar(select(func.count()).select_from(AuditRow)),
        )
    engine.dispose()
    return out


def cache_version(url: str) -> str | None:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        token = versions.version(s)
    engine.dispose()
    return token


def test_round_trip_restores_exactly_what_was_backed_up(db_url: str, tmp_path: Path, backend: str):
    if backend == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    engine = make_engine(db_url)
    with make_session_factory(engine)() as s:
        seed_demo_accounts(s)
        record(s, actor="admin", role="admin", action="test.before", entity="x", entity_id=1)
        s.commit()
    before = counts(db_url)
    token = cache_version(db_url)
    dump = backup(db_url, tmp_path / "backup.bin")
    # changes after the backup …
    with make_session_factory(engine)() as s:
        s.add(EnterpriseRow(name="后来的企业", credit_code="91330110MA2H999999"))
        record(s, actor="admin", role="admin", action="test.after", entity="x", entity_id=2)
        s.commit()
    engine.dispose()
    assert counts(db_url) == (before[0] + 1, before[1] + 1)
    # … are gone after the restore
    restore(db_url, dump)
    assert counts(db_url) == before
    # a server may have kept answers under the version the backup holds, for rows changed since:
    # the restored database has a version of its own
    assert token is not None and cache_version(db_url) not in (None, token)


def test_refuses_what_is_not_a_backup(tmp_path: Path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a database")
    target = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with pytest.raises(BackupError, match="not a usable SQLite database"):
        restore(target, junk)
    with pytest.raises(BackupError, match="no such backup"):
        restore(target, tmp_path / "missing.bin")
    assert not (tmp_path / "db.sqlite3").exists()  # nothing was touched


def test_cli_backup_and_restore(tmp_path: Path):
    db = tmp_path / "cli.sqlite3"
    url = f"sqlite:///{db}"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args], capture_output=True, text=True, timeout=120
        )

    assert run("db", "upgrade", "--db", url).returncode == 0
    r = run("backup", str(tmp_path / "b.sqlite3"), "--db", url)
    assert r.returncode == 0, r.stderr
    r = run("restore", str(tmp_path / "nope.sqlite3"), "--db", url, "--yes")
    assert r.returncode != 0 and "no such backup" in r.stderr and "Traceback" not in r.stderr
    assert run("restore", str(tmp_path / "b.sqlite3"), "--db", url, "--yes").returncode == 0
