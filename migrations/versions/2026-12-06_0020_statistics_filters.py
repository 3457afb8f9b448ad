"""efficiency statistics by industry and zone (效能统计按行业、片区), ratings in the decision's period

Projects keep their industry (the answer ``industry``) and the zone of their plot as at filing
(indexed); ``task_figures_kind`` holds the monthly figures keyed also by them, for the queries
that ask for an industry or a zone (``task_figures``, ten times smaller, answers the others);
ratings keep the day the rated step was decided, the period they are counted in.  Existing rows
are filled from what is stored.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:30:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_FIGURE_SUMS = (
    "cases",
    "approved",
    "on_time",
    "waited",
    "wait_total",
    "stopped_tasks",
    "stopped_total",
    "corrected_tasks",
    "correction_rounds",
    "deferred_materials",
    "deferral_days",
)


def upgrade() -> None:
    # plain ADD COLUMN / CREATE INDEX (no batch copy of ``projects``: see 0011's downgrade)
    op.add_column("projects", sa.Column("industry", sa.String(length=100), nullable=True))
    op.add_column("projects", sa.Column("zone_code", sa.String(length=64), nullable=True))
    op.create_index("ix_projects_industry", "projects", ["industry"])
    op.create_index("ix_projects_zone_code", "projects", ["zone_code"])
    op.add_column("ratings", sa.Column("decided_on", sa.Date(), nullable=True))
    # covering the statistics' grouping of a period's ratings
    op.create_index(
        "ix_ratings_decided_on",
        "ratings",
        ["decided_on", "project_id", "step_code", "department_key", "score"],
    )
    op.create_table(
        "task_figures_kind",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("step_code", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("workdays", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("industry", sa.String(length=100), nullable=False),
        sa.Column("zone_code", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _FIGURE_SUMS),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "step_code",
            "department",
            "workdays",
            "industry",
            "zone_code",
            name=op.f("pk_task_figures_kind"),
        ),
    )
    op.create_index("ix_task_figures_kind_industry", "task_figures_kind", ["industry", "month"])
    op.create_index("ix_task_figures_kind_zone", "task_figures_kind", ["zone_code", "month"])
    _backfill(op.get_bind())


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _backfill(conn: sa.engine.Connection) -> None:
    from approvals.calendar import WorkCalendar, parse_arrangement
    from approvals.services.statistics import rebuild_figures

    rows = []
    for pid, attributes in conn.execute(sa.text("SELECT id, attributes FROM projects")):
        industry = (_json(attributes) or {}).get("industry")
        if industry not in (None, ""):
            rows.append({"i": pid, "v": str(industry)})
    if rows:
        conn.execute(sa.text("UPDATE projects SET industry = :v WHERE id = :i"), rows)
    conn.execute(
        sa.text(
            "UPDATE projects SET zone_code = (SELECT zone_code FROM landplots"
            " WHERE landplots.code = projects.plot_code) WHERE plot_code IS NOT NULL"
        )
    )
    # the rated step's last decision (or its end, or the rating's own day)
    conn.execute(
        sa.text(
            "UPDATE ratings SET decided_on = (SELECT max(tasks.decided_on) FROM steps"
            " JOIN tasks ON tasks.step_id = steps.id WHERE steps.project_id = ratings.project_id"
            " AND steps.code = ratings.step_code)"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE ratings SET decided_on = (SELECT steps.actual_end FROM steps"
            " WHERE steps.project_id = ratings.project_id AND steps.code = ratings.step_code)"
            " WHERE decided_on IS NULL"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE ratings SET decided_on = CAST(rated_at AS DATE) WHERE decided_on IS NULL"
            if conn.dialect.name == "postgresql"
            else "UPDATE ratings SET decided_on = date(rated_at) WHERE decided_on IS NULL"
        )
    )
    arrangements = [
        parse_arrangement(_json(doc))
        for (doc,) in conn.execute(sa.text("SELECT document FROM calendar_arrangements"))
    ]
    rebuild_figures(conn, WorkCalendar(arrangements))


def downgrade() -> None:
    op.drop_index("ix_task_figures_kind_zone", table_name="task_figures_kind")
    op.drop_index("ix_task_figures_kind_industry", table_name="task_figures_kind")
    op.drop_table("task_figures_kind")
    op.drop_index("ix_ratings_decided_on", table_name="ratings")
    op.drop_index("ix_projects_zone_code", table_name="projects")
    op.drop_index("ix_projects_industry", table_name="projects")
    for table, name in (
        ("ratings", "decided_on"),
        ("projects", "zone_code"),
        ("projects", "industry"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
