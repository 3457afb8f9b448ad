"""intake corrections: a correction request's stage (review, or 一次性告知补正 at intake)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.add_column(
            sa.Column("stage", sa.String(length=10), server_default="review", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("stage")
