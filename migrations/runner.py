"""Alembic, driven from code: the CLI, the app and the tests upgrade the same way."""

from __future__ import annotations

import logging
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

#: Tables that PostGIS owns: never compared, never dropped.
FOREIGN_TABLES = frozenset({"spatial_ref_sys", "layer", "topology"})
#: Tables of the PostgreSQL job queue (procrastinate): its schema, not ours.
JOB_QUEUE_PREFIX = "procrastinate_"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic hook: leave the tables of extensions alone, and the GiST indexes that only
    PostgreSQL has (see :data:`storage.types.SPATIAL_INDEXES`)."""
    from storage.types import SPATIAL_INDEXES

    if type_ == "index" and name in SPATIAL_INDEXES:
        return False
    if type_ == "table" and name.startswith(JOB_QUEUE_PREFIX):
        return False  # the job queue's own schema (procrastinate), applied by migration 0007
    return not (type_ == "table" and name in FOREIGN_TABLES)


def drop_job_queue_schema(conn) -> None:
    """Drop the procrastinate schema (tables, functions, types) from a PostgreSQL connection."""
    from sqlalchemy import text

    conn.execute(
        text(
            "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers CASCADE"
        )
    )
    functions = conn.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
            "AND p.proname LIKE 'procrastinate%'"
        )
    ).scalars()
    for signature in list(functions):
        conn.execute(text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))
    for type_name in (
        "procrastinate_job_to_defer_v1",
        "procrastinate_job_event_type",
        "procrastinate_job_status",
    ):
        conn.execute(text(f"DROP TYPE IF EXISTS {type_name} CASCADE"))


def alembic_config(engine: Engine | None = None) -> Config:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # no chatter in the CLI and the server
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("migrations")))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def reset_database(engine: Engine) -> None:
    """Drop every onetrip table (and alembic's version table), leaving extensions in place.

    Only the demo and the tests call this; the CLI says so before it does.
    """
    from sqlalchemy import inspect, text

    from migrations.metadata import metadata

    if engine.dialect.name == "postgresql":
        # CASCADE: constraints of tables we do not know (another branch's) must not block us
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            conn.execute(text("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE"))
            conn.execute(text("DROP FUNCTION IF EXISTS ledger_append_only() CASCADE"))
            # the project revisions' trigger functions (0021)
            for function in (
                "bump_project_revision(integer)",
                "project_row_revision()",
                "enterprise_row_revision()",
                "steps_revision()",
                "tasks_revision()",
                "plan_changes_revision()",
                "deferrals_revision()",
                "audit_log_revision()",
            ):
                conn.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
            drop_job_queue_schema(conn)
        return
    metadata.drop_all(engine)
    with engine.begin() as conn:
        if "alembic_version" in inspect(conn).get_table_names():
            conn.execute(text("DROP TABLE alembic_version"))


class SchemaBehind(RuntimeError):
    """The database's schema is older than this code's (or unknown to it)."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current, self.head = current, head
        super().__init__(
            f"数据库结构版本 {current or '空'} 不是最新的 {head}：请先运行 onetrip migrate / "
            f"the database schema is at {current or 'nothing'}, this code needs {head}: "
            "run `onetrip migrate` first"
        )


def ensure_schema(engine: Engine, *, auto: bool | None = None) -> str | None:
    """Check the schema is at head before serving; returns the revision it upgraded from.

    ``auto`` (default: on SQLite only) upgrades in place.  The embedded default is one machine
    and one file, so the demo needs no step; on PostgreSQL several servers start at once, and a
    deployment migrates once (``onetrip migrate``) before they do, so a server that finds the
    schema behind refuses to start instead of racing the others to alter it.
    """
    from storage.engine import is_sqlite

    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    if auto is None:
        auto = is_sqlite(str(engine.url))
    if not auto:
        raise SchemaBehind(current, head)
    upgrade(engine)
    return current or ""
