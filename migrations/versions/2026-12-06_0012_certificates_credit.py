"""certificates and credit: 电子证照 numbers, hashes and revocation; the counter's numbered
documents; credit records (信用记录) from breach verdicts; the price table per 亩均 grade

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-06 02:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("content_sha256", sa.String(length=64), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("status", sa.String(length=10), server_default="valid", nullable=False)
        )
        batch.add_column(sa.Column("revoked_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("revoked_reason", sa.Text(), server_default="", nullable=False))
        batch.create_foreign_key(
            "fk_certificates_enterprise_id_enterprises", "enterprises", ["enterprise_id"], ["id"]
        )
        batch.create_index("ix_certificates_enterprise_id", ["enterprise_id"])
        batch.create_unique_constraint("uq_certificates_number", ["number"])
    op.execute(
        "UPDATE certificates SET enterprise_id = "
        "(SELECT enterprise_id FROM projects WHERE projects.id = certificates.project_id)"
    )
    op.create_table(
        "counter_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("facts", JSONDoc, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_counter_documents_number"),
        sa.UniqueConstraint(
            "task_id", "kind", "correction_id", name="uq_counter_documents_subject"
        ),
    )
    op.create_index("ix_counter_documents_project_id", "counter_documents", ["project_id"])
    op.create_index("ix_counter_documents_task_id", "counter_documents", ["task_id"])
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("verdict_id", sa.Integer(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("consequence", sa.String(length=20), nullable=False),
        sa.Column("amount_wan", sa.Double(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("joint_sanction", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"]),
        sa.ForeignKeyConstraint(["commitment_id"], ["commitments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["verdict_id"], ["commitment_verdicts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("verdict_id"),
    )
    op.create_index("ix_credit_records_enterprise_id", "credit_records", ["enterprise_id"])
    op.create_index("ix_credit_records_commitment_id", "credit_records", ["commitment_id"])
    op.create_table(
        "grade_prices",
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("resource", sa.String(length=10), nullable=False),
        sa.Column("price", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("grade", "resource"),
    )


def downgrade() -> None:
    op.drop_table("grade_prices")
    op.drop_index("ix_credit_records_commitment_id", table_name="credit_records")
    op.drop_index("ix_credit_records_enterprise_id", table_name="credit_records")
    op.drop_table("credit_records")
    op.drop_index("ix_counter_documents_task_id", table_name="counter_documents")
    op.drop_index("ix_counter_documents_project_id", table_name="counter_documents")
    op.drop_table("counter_documents")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_constraint("uq_certificates_number", type_="unique")
        batch.drop_index("ix_certificates_enterprise_id")
        batch.drop_constraint("fk_certificates_enterprise_id_enterprises", type_="foreignkey")
        batch.drop_column("revoked_reason")
        batch.drop_column("revoked_on")
        batch.drop_column("status")
        batch.drop_column("content_sha256")
        batch.drop_column("enterprise_id")
