"""ledger nodes: stored hashes of the ledger's complete Merkle subtrees (of 16 leaves and up)

An inclusion proof or a tree head of a ten-million-entry ledger is then read from about
``log n`` stored nodes and fewer than 32 leaf hashes, instead of hashing every leaf.  The nodes
are derived data: a proof built from them is checked against the signed root before it is
served, and ``onetrip ledger verify`` recomputes everything from the entries.  ``seal`` fills
them in, catching up on a ledger that has none yet.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_nodes",
        sa.Column("height", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("height", "idx", name=op.f("pk_ledger_nodes")),
    )


def downgrade() -> None:
    op.drop_table("ledger_nodes")
