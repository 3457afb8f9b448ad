"""capacity: reviewers per department, absences, capacity-aware forecasts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 23:04:11.240757
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Float(), nullable=False),
        sa.Column("lower_bound", sa.Float(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_runs")),
    )
    op.create_table(
        "department_absences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("absent", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department"],
            ["departments.code"],
            name=op.f("fk_department_absences_department_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_absences")),
        sa.UniqueConstraint("department", "on", name=op.f("uq_department_absences_department_on")),
    )
    with op.batch_alter_table("department_absences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_department_absences_department"), ["department"], unique=False
        )

    op.create_table(
        "department_capacity",
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("reviewers", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department"],
            ["departments.code"],
            name=op.f("fk_department_capacity_department_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("department", name=op.f("pk_department_capacity")),
    )
    op.create_table(
        "project_forecasts",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("finish_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_forecasts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["capacity_runs.id"],
            name=op.f("fk_project_forecasts_run_id_capacity_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_forecasts")),
    )
    with op.batch_alter_table("project_forecasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_forecasts_run_id"), ["run_id"], unique=False)

    op.create_table(
        "task_forecasts",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("finish_on", sa.Date(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("queue_rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["capacity_runs.id"],
            name=op.f("fk_task_forecasts_run_id_capacity_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_forecasts_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_forecasts")),
    )
    with op.batch_alter_table("task_forecasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_forecasts_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_forecasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_forecasts_run_id"))

    op.drop_table("task_forecasts")
    with op.batch_alter_table("project_forecasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_forecasts_run_id"))

    op.drop_table("project_forecasts")
    op.drop_table("department_capacity")
    with op.batch_alter_table("department_absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_absences_department"))

    op.drop_table("department_absences")
    op.drop_table("capacity_runs")
