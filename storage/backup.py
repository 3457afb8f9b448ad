"""Backups: an online copy of the SQLite file, and pg_dump/pg_restore for PostgreSQL.

SQLite: the sqlite3 online-backup API copies a consistent snapshot while the server keeps
writing (WAL readers are not blocked); the copy is checked with ``PRAGMA integrity_check``.
Restore replaces the database file atomically (write beside it, fsync, rename), so a crash
mid-restore leaves either the old or the new database, never half of one.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` (the client tools
must be installed; the commands are the documented procedure, run for you).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.engine import is_sqlite, normalize_url


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _check_sqlite(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{path}: not a usable SQLite database ({e})") from None
    if result != "ok":
        raise BackupError(f"{path}: integrity check failed: {result}")
    if not tables:
        raise BackupError(f"{path}: not an onetrip database (no alembic_version table)")


def backup(url: str, target: Path) -> Path:
    """Write a backup of the database at ``url`` to ``target`` and return its path."""
    url = normalize_url(url)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"{source}: no such database file")
        tmp = target.with_name(target.name + ".partial")
        tmp.unlink(missing_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
            src.backup(dst, pages=1024)
        _check_sqlite(tmp)
        os.replace(tmp, target)
        return target
    pg_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), pg_url])
    return target


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup in ``source``."""
    url = normalize_url(url)
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source}: no such backup file")
    if is_sqlite(url):
        _check_sqlite(source)
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, tmp)
        _new_cache_version(f"sqlite:///{tmp}")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        return
    pg_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            pg_url,
            str(source),
        ]
    )
    _new_cache_version(url)


def _new_cache_version(url: str) -> None:
    """A restored database must not show the cache version it had when backed up: a server
    that kept answers under that version (and the project revisions since) would serve them
    for rows the restore took back (storage.versions, api.answers)."""
    from sqlalchemy.orm import Session

    from storage import versions
    from storage.engine import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            versions.bump(session)
            session.commit()
    finally:
        engine.dispose()


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (apt install postgresql-client)")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{cmd[0]} failed: {lines[-1] if lines else result.returncode}")
