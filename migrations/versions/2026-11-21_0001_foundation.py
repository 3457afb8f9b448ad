"""foundation: departments, catalogue versions, calendar arrangements

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", JSONDoc, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint("code", "sha256", name=op.f("uq_catalog_versions_code_sha256")),
    )
    op.create_index(op.f("ix_catalog_versions_active"), "catalog_versions", ["active"])
    op.create_index(op.f("ix_catalog_versions_code"), "catalog_versions", ["code"])
    op.create_table(
        "catalog_items",
        sa.Column("catalog_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("statutory_days", sa.Integer(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalog_versions.id"],
            name=op.f("fk_catalog_items_catalog_id_catalog_versions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("catalog_id", "code", name=op.f("pk_catalog_items")),
    )
    op.create_index(op.f("ix_catalog_items_department"), "catalog_items", ["department"])
    op.create_table(
        "calendar_arrangements",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("document", JSONDoc, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_arrangements")),
    )


def downgrade() -> None:
    op.drop_table("calendar_arrangements")
    op.drop_index(op.f("ix_catalog_items_department"), table_name="catalog_items")
    op.drop_table("catalog_items")
    op.drop_index(op.f("ix_catalog_versions_code"), table_name="catalog_versions")
    op.drop_index(op.f("ix_catalog_versions_active"), table_name="catalog_versions")
    op.drop_table("catalog_versions")
    op.drop_table("departments")
