"""two-clock forecast: the activities' place in the graph, delays by cause, 督办 of intermediaries

The live forecast of the review steps waits for the enterprise's and intermediaries' activities
(issue 17): an activity keeps its prerequisites and the review steps that wait for it; a step
and the project keep whose their delay is (department, enterprise, intermediary).  An
intermediary past its committed days is supervised (督办) once per activity and level.

Projects filed before this revision get their activities' graph (and, filed before 0010, their
activities) from ``onetrip backfill-activities``: planning needs the catalogue and the plot
registry, which a migration should not import.

Revision ID: 0019
Revises: 0011
Create Date: 2026-12-06 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0011"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("project_activities") as batch:
        batch.add_column(sa.Column("requires", JSONDoc, nullable=True))
        batch.add_column(sa.Column("required_by", JSONDoc, nullable=True))
    with op.batch_alter_table("steps") as batch:
        batch.add_column(sa.Column("clock_delays", JSONDoc, nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("finish_delays", JSONDoc, nullable=True))
    op.create_table(
        "activity_supervisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("intermediary_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("overdue_workdays", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["project_activities.id"],
            name=op.f("fk_activity_supervisions_activity_id_project_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activity_supervisions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intermediary_id"],
            ["intermediaries.id"],
            name=op.f("fk_activity_supervisions_intermediary_id_intermediaries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_supervisions")),
        sa.UniqueConstraint(
            "activity_id", "level", name=op.f("uq_activity_supervisions_activity_id_level")
        ),
    )
    with op.batch_alter_table("activity_supervisions") as batch:
        for column in ("activity_id", "project_id", "intermediary_id"):
            batch.create_index(batch.f(f"ix_activity_supervisions_{column}"), [column])


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN on both backends (SQLite ≥ 3.35): a batch copy would drop
    # and recreate ``projects``, ``steps`` and ``project_activities``, and SQLite's ON DELETE
    # CASCADE would empty their children on the way
    op.drop_table("activity_supervisions")
    for table, name in (
        ("projects", "finish_delays"),
        ("steps", "clock_delays"),
        ("project_activities", "required_by"),
        ("project_activities", "requires"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
