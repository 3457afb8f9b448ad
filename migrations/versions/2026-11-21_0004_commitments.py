"""commitments: keys, commitments, terms, checkpoints, regulator tasks, inspections, verdicts,
consequences, zone policies, and the append-only ledger (entries and signed tree heads)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

The ledger tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) by trigger, like the
audit trail of migration 0002.  The ledger is verified cryptographically all the same
(``onetrip ledger verify``): someone with rights on the database can drop a trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

LEDGER_TABLES = ("ledger_entries", "ledger_tree_heads")


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
    ]


def _postgres_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()",
    ]


def upgrade() -> None:
    op.create_table(
        "commitment_policies",
        sa.Column("zone_code", sa.String(length=64), nullable=False),
        sa.Column("policy", JSONDoc, nullable=False),
        sa.Column("grading", JSONDoc, nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("zone_code", name=op.f("pk_commitment_policies")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_kind"), "ledger_entries", ["kind"], unique=False)
    op.create_index(op.f("ix_ledger_entries_subject"), "ledger_entries", ["subject"], unique=False)
    op.create_table(
        "ledger_tree_heads",
        sa.Column("tree_size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("timestamp", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_tree_heads")),
    )
    op.create_table(
        "commitment_keys",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_commitment_keys_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_commitment_keys")),
    )
    op.create_index(
        op.f("ix_commitment_keys_enterprise_id"), "commitment_keys", ["enterprise_id"], unique=False
    )
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("plot_code", sa.String(length=64), nullable=False),
        sa.Column("zone_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("enterprise_key", sa.String(length=64), nullable=True),
        sa.Column("enterprise_signature", sa.String(length=100), nullable=True),
        sa.Column("admin_key", sa.String(length=64), nullable=True),
        sa.Column("admin_signature", sa.String(length=100), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("acceptance_seq", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_commitments_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_commitments_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
        sa.UniqueConstraint("number", name=op.f("uq_commitments_number")),
        sa.UniqueConstraint("project_id", name=op.f("uq_commitments_project_id")),
    )
    op.create_index(
        op.f("ix_commitments_enterprise_id"), "commitments", ["enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_commitments_status"), "commitments", ["status"], unique=False)
    op.create_index(op.f("ix_commitments_zone_code"), "commitments", ["zone_code"], unique=False)
    op.create_table(
        "commitment_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("keys", JSONDoc, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_checkpoints_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_checkpoints")),
    )
    op.create_index(
        op.f("ix_commitment_checkpoints_commitment_id"),
        "commitment_checkpoints",
        ["commitment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_commitment_checkpoints_due_on"), "commitment_checkpoints", ["due_on"], unique=False
    )
    op.create_index(
        op.f("ix_commitment_checkpoints_status"), "commitment_checkpoints", ["status"], unique=False
    )
    op.create_table(
        "commitment_terms",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("lower", sa.Double(), nullable=True),
        sa.Column("upper", sa.Double(), nullable=True),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.Column("tolerance", sa.Double(), nullable=False),
        sa.Column("planned", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_terms_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("commitment_id", "key", name=op.f("pk_commitment_terms")),
    )
    op.create_table(
        "commitment_inspections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspector", sa.String(length=100), nullable=False),
        sa.Column("figures", JSONDoc, nullable=False),
        sa.Column("evidence", JSONDoc, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["commitment_checkpoints.id"],
            name=op.f("fk_commitment_inspections_checkpoint_id_commitment_checkpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_inspections_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_inspections")),
    )
    op.create_index(
        op.f("ix_commitment_inspections_checkpoint_id"),
        "commitment_inspections",
        ["checkpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_commitment_inspections_commitment_id"),
        "commitment_inspections",
        ["commitment_id"],
        unique=False,
    )
    op.create_table(
        "commitment_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("overdue_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["commitment_checkpoints.id"],
            name=op.f("fk_commitment_tasks_checkpoint_id_commitment_checkpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_tasks_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_tasks")),
        sa.UniqueConstraint("checkpoint_id", name=op.f("uq_commitment_tasks_checkpoint_id")),
    )
    op.create_index(
        op.f("ix_commitment_tasks_commitment_id"),
        "commitment_tasks",
        ["commitment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_commitment_tasks_status"), "commitment_tasks", ["status"], unique=False
    )
    op.create_table(
        "commitment_verdicts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("shortfall", sa.Double(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["commitment_checkpoints.id"],
            name=op.f("fk_commitment_verdicts_checkpoint_id_commitment_checkpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_verdicts_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_verdicts")),
    )
    op.create_index(
        op.f("ix_commitment_verdicts_checkpoint_id"),
        "commitment_verdicts",
        ["checkpoint_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_commitment_verdicts_commitment_id"),
        "commitment_verdicts",
        ["commitment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_commitment_verdicts_status"), "commitment_verdicts", ["status"], unique=False
    )
    op.create_table(
        "commitment_consequences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("verdict_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("amount_wan", sa.Double(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("credit_record", sa.Boolean(), nullable=False),
        sa.Column("land_recovery", sa.Boolean(), nullable=False),
        sa.Column("recheck_checkpoint_id", sa.Integer(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_consequences_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verdict_id"],
            ["commitment_verdicts.id"],
            name=op.f("fk_commitment_consequences_verdict_id_commitment_verdicts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_consequences")),
    )
    op.create_index(
        op.f("ix_commitment_consequences_commitment_id"),
        "commitment_consequences",
        ["commitment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_commitment_consequences_verdict_id"),
        "commitment_consequences",
        ["verdict_id"],
        unique=False,
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in LEDGER_TABLES:
            for statement in _postgres_triggers(table):
                op.execute(statement)
    else:
        for table in LEDGER_TABLES:
            for statement in _sqlite_triggers(table):
                op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
    else:
        for table in LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index(
        op.f("ix_commitment_consequences_verdict_id"), table_name="commitment_consequences"
    )
    op.drop_index(
        op.f("ix_commitment_consequences_commitment_id"), table_name="commitment_consequences"
    )
    op.drop_table("commitment_consequences")
    op.drop_index(op.f("ix_commitment_verdicts_status"), table_name="commitment_verdicts")
    op.drop_index(op.f("ix_commitment_verdicts_commitment_id"), table_name="commitment_verdicts")
    op.drop_index(op.f("ix_commitment_verdicts_checkpoint_id"), table_name="commitment_verdicts")
    op.drop_table("commitment_verdicts")
    op.drop_index(op.f("ix_commitment_tasks_status"), table_name="commitment_tasks")
    op.drop_index(op.f("ix_commitment_tasks_commitment_id"), table_name="commitment_tasks")
    op.drop_table("commitment_tasks")
    op.drop_index(
        op.f("ix_commitment_inspections_commitment_id"), table_name="commitment_inspections"
    )
    op.drop_index(
        op.f("ix_commitment_inspections_checkpoint_id"), table_name="commitment_inspections"
    )
    op.drop_table("commitment_inspections")
    op.drop_table("commitment_terms")
    op.drop_index(op.f("ix_commitment_checkpoints_status"), table_name="commitment_checkpoints")
    op.drop_index(op.f("ix_commitment_checkpoints_due_on"), table_name="commitment_checkpoints")
    op.drop_index(
        op.f("ix_commitment_checkpoints_commitment_id"), table_name="commitment_checkpoints"
    )
    op.drop_table("commitment_checkpoints")
    op.drop_index(op.f("ix_commitments_zone_code"), table_name="commitments")
    op.drop_index(op.f("ix_commitments_status"), table_name="commitments")
    op.drop_index(op.f("ix_commitments_enterprise_id"), table_name="commitments")
    op.drop_table("commitments")
    op.drop_index(op.f("ix_commitment_keys_enterprise_id"), table_name="commitment_keys")
    op.drop_table("commitment_keys")
    op.drop_table("ledger_tree_heads")
    op.drop_index(op.f("ix_ledger_entries_subject"), table_name="ledger_entries")
    op.drop_index(op.f("ix_ledger_entries_kind"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("commitment_policies")
