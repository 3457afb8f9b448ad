"""project revisions (项目修订号): a counter per project that every change to what its answers show moves

``project_revisions`` holds one row per project: its revision, raised by triggers in the same
transaction as any insert, update or delete of the project's row, its steps, its tasks, their
deferrals (容缺), its plan changes and its audit entries, and by a change of its enterprise's
row.  The API keeps encoded answers of a project per process under (project, revision) —
``api.answers`` — and a reader first reads the revision: an answer is reused only while nothing
it was built from has changed, whichever process or job made the change, through the ORM or not.

A table of its own rather than a column of ``projects``: the triggers then write a narrow row,
not the project's wide one, and on PostgreSQL at most once per transaction (a decision changes
some thirty steps and tasks).  No foreign key: a step deleted with its project would otherwise
bump a row whose project is gone; a leftover row only keeps its id's counter rising.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: table → how a row names its project (an SQL expression over NEW / OLD)
CHILDREN = {
    "steps": "{row}.project_id",
    "tasks": "{row}.project_id",
    "plan_changes": "{row}.project_id",
    "deferrals": "(SELECT project_id FROM tasks WHERE tasks.id = {row}.task_id)",
    # append-only (its own triggers refuse UPDATE and DELETE): only its inserts ever fire
    "audit_log": "{row}.project_id",
}


def _pg(statements: list[str]) -> None:
    for s in statements:
        op.execute(s)


def upgrade() -> None:
    op.create_table(
        "project_revisions",
        sa.Column("project_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _pg(
            [
                # once per transaction is enough (readers see the commit, not the steps to it):
                # a row this transaction wrote already has its id as xmin
                """
                CREATE FUNCTION bump_project_revision(pid integer) RETURNS void
                LANGUAGE sql AS $$
                  INSERT INTO project_revisions AS r (project_id, revision) VALUES (pid, 1)
                  ON CONFLICT (project_id) DO UPDATE SET revision = r.revision + 1
                  WHERE r.xmin <> pg_current_xact_id()::xid
                $$
                """,
                """
                CREATE FUNCTION project_row_revision() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
                    PERFORM bump_project_revision(OLD.id);
                  END IF;
                  IF TG_OP <> 'DELETE' THEN
                    PERFORM bump_project_revision(NEW.id);
                  END IF;
                  RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER projects_revision AFTER INSERT OR UPDATE ON projects "
                "FOR EACH ROW EXECUTE FUNCTION project_row_revision()",
                """
                CREATE FUNCTION enterprise_row_revision() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  PERFORM bump_project_revision(id) FROM projects WHERE enterprise_id = NEW.id;
                  RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER enterprises_revision AFTER UPDATE ON enterprises "
                "FOR EACH ROW EXECUTE FUNCTION enterprise_row_revision()",
            ]
        )
        for table, project in CHILDREN.items():
            new, old = project.format(row="NEW"), project.format(row="OLD")
            _pg(
                [
                    f"""
                    CREATE FUNCTION {table}_revision() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE n integer; o integer;
                    BEGIN
                      IF TG_OP <> 'DELETE' THEN n := {new}; END IF;
                      IF TG_OP <> 'INSERT' THEN o := {old}; END IF;
                      IF n IS NOT NULL THEN PERFORM bump_project_revision(n); END IF;
                      IF o IS NOT NULL AND o IS DISTINCT FROM n THEN
                        PERFORM bump_project_revision(o);
                      END IF;
                      RETURN NULL;
                    END $$
                    """,
                    f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE "
                    f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_revision()",
                ]
            )
    else:
        bump = (
            "INSERT INTO project_revisions (project_id, revision) SELECT {pid}, 1 "
            "WHERE {pid} IS NOT NULL "  # WHERE: SQLite's upsert after INSERT … SELECT
            "ON CONFLICT (project_id) DO UPDATE SET revision = revision + 1;"
        )
        statements = [
            f"CREATE TRIGGER projects_revision_insert AFTER INSERT ON projects "
            f"BEGIN {bump.format(pid='NEW.id')} END",
            f"CREATE TRIGGER projects_revision_update AFTER UPDATE ON projects "
            f"BEGIN {bump.format(pid='NEW.id')} END",
            "CREATE TRIGGER enterprises_revision AFTER UPDATE ON enterprises BEGIN "
            "INSERT INTO project_revisions (project_id, revision) "
            "SELECT id, 1 FROM projects WHERE enterprise_id = NEW.id "
            "ON CONFLICT (project_id) DO UPDATE SET revision = revision + 1; END",
        ]
        for table, project in CHILDREN.items():
            new, old = project.format(row="NEW"), project.format(row="OLD")
            statements += [
                f"CREATE TRIGGER {table}_revision_insert AFTER INSERT ON {table} "
                f"BEGIN {bump.format(pid=new)} END",
                f"CREATE TRIGGER {table}_revision_update AFTER UPDATE ON {table} "
                f"BEGIN {bump.format(pid=new)} {bump.format(pid=f'NULLIF({old}, {new})')} END",
                f"CREATE TRIGGER {table}_revision_delete AFTER DELETE ON {table} "
                f"BEGIN {bump.format(pid=old)} END",
            ]
        for s in statements:
            op.execute(s)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("projects", "enterprises", *CHILDREN):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_revision ON {table}")
        for table in CHILDREN:
            op.execute(f"DROP FUNCTION IF EXISTS {table}_revision()")
        op.execute("DROP FUNCTION IF EXISTS enterprise_row_revision()")
        op.execute("DROP FUNCTION IF EXISTS project_row_revision()")
        op.execute("DROP FUNCTION IF EXISTS bump_project_revision(integer)")
    else:
        for name in (
            "projects_revision_insert",
            "projects_revision_update",
            "enterprises_revision",
            *(f"{t}_revision_{k}" for t in CHILDREN for k in ("insert", "update", "delete")),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("project_revisions")
