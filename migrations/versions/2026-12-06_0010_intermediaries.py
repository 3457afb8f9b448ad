"""intermediaries: registered 中介机构, a project's own activities (two clocks), their users

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "intermediaries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("services", JSONDoc, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intermediaries")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_intermediaries_credit_code")),
    )
    op.create_table(
        "project_activities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=12), nullable=False),
        sa.Column("unit", sa.String(length=14), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("intermediary_id", sa.Integer(), nullable=True),
        sa.Column("chosen_on", sa.Date(), nullable=True),
        sa.Column("committed_days", sa.Integer(), nullable=True),
        sa.Column("report_material_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_activities_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intermediary_id"],
            ["intermediaries.id"],
            name=op.f("fk_project_activities_intermediary_id_intermediaries"),
        ),
        sa.ForeignKeyConstraint(
            ["report_material_id"],
            ["materials.id"],
            name=op.f("fk_project_activities_report_material_id_materials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_activities")),
        sa.UniqueConstraint(
            "project_id", "code", name=op.f("uq_project_activities_project_id_code")
        ),
    )
    with op.batch_alter_table("project_activities") as batch:
        batch.create_index(
            batch.f("ix_project_activities_project_id"), ["project_id"], unique=False
        )
        batch.create_index(
            batch.f("ix_project_activities_intermediary_id"), ["intermediary_id"], unique=False
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("intermediary_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_users_intermediary_id_intermediaries"),
            "intermediaries",
            ["intermediary_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(
            batch.f("fk_users_intermediary_id_intermediaries"), type_="foreignkey"
        )
        batch.drop_column("intermediary_id")
    op.drop_table("project_activities")
    op.drop_table("intermediaries")
