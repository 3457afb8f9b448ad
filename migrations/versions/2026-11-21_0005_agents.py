"""agents: proxy agents (代办员) — profiles, assignment history, checklist notes, milestones,
alert inbox, joint meetings with decisions and follow-up actions; department contacts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 22:40:00

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "agent_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_alerts")),
        sa.UniqueConstraint(
            "raised_on",
            "project_id",
            "kind",
            "subject",
            name=op.f("uq_agent_alerts_raised_on_project_id_kind_subject"),
        ),
    )
    with op.batch_alter_table("agent_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_alerts_agent_user_id_raised_on", ["agent_user_id", "raised_on"], unique=False
        )

    op.create_table(
        "agent_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), nullable=True),
        sa.Column("previous_agent_user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_user_id"], ["users.id"], name=op.f("fk_agent_assignments_agent_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["previous_agent_user_id"],
            ["users.id"],
            name=op.f("fk_agent_assignments_previous_agent_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_agent_assignments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_assignments")),
    )
    with op.batch_alter_table("agent_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_assignments_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "agent_checklist_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_agent_checklist_notes_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_checklist_notes")),
        sa.UniqueConstraint(
            "project_id", "entry_key", name=op.f("uq_agent_checklist_notes_project_id_entry_key")
        ),
    )
    with op.batch_alter_table("agent_checklist_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_checklist_notes_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "agent_meetings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("minutes_on", sa.Date(), nullable=True),
        sa.Column("convened_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_agent_meetings_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_meetings")),
    )
    with op.batch_alter_table("agent_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_meetings_held_on"), ["held_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agent_meetings_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "agent_milestones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_agent_milestones_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_milestones")),
    )
    with op.batch_alter_table("agent_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_milestones_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "agent_profiles",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("regions", JSONDoc, nullable=False),
        sa.Column("industries", JSONDoc, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("office", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agent_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_profiles")),
    )
    op.create_table(
        "agent_meeting_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("owner_department", sa.String(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["agent_meetings.id"],
            name=op.f("fk_agent_meeting_actions_meeting_id_agent_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_department"],
            ["departments.code"],
            name=op.f("fk_agent_meeting_actions_owner_department_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_agent_meeting_actions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_meeting_actions")),
    )
    with op.batch_alter_table("agent_meeting_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_meeting_actions_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agent_meeting_actions_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agent_meeting_actions_status"), ["status"], unique=False
        )

    op.create_table(
        "agent_meeting_attendees",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["department"],
            ["departments.code"],
            name=op.f("fk_agent_meeting_attendees_department_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["agent_meetings.id"],
            name=op.f("fk_agent_meeting_attendees_meeting_id_agent_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "meeting_id", "department", name=op.f("pk_agent_meeting_attendees")
        ),
    )
    op.create_table(
        "agent_meeting_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["agent_meetings.id"],
            name=op.f("fk_agent_meeting_decisions_meeting_id_agent_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_meeting_decisions")),
    )
    with op.batch_alter_table("agent_meeting_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_meeting_decisions_meeting_id"), ["meeting_id"], unique=False
        )

    # on the workflow's tasks, for the agents' daily scan (tasks in review due by a day)
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_status_due_on", ["status", "due_on"], unique=False)

    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contact_person", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("phone", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("address", sa.String(length=200), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_due_on")

    with op.batch_alter_table("agent_meeting_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_meeting_decisions_meeting_id"))

    op.drop_table("agent_meeting_decisions")
    op.drop_table("agent_meeting_attendees")
    with op.batch_alter_table("agent_meeting_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_meeting_actions_status"))
        batch_op.drop_index(batch_op.f("ix_agent_meeting_actions_project_id"))
        batch_op.drop_index(batch_op.f("ix_agent_meeting_actions_meeting_id"))

    op.drop_table("agent_meeting_actions")
    op.drop_table("agent_profiles")
    with op.batch_alter_table("agent_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_milestones_project_id"))

    op.drop_table("agent_milestones")
    with op.batch_alter_table("agent_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_meetings_project_id"))
        batch_op.drop_index(batch_op.f("ix_agent_meetings_held_on"))

    op.drop_table("agent_meetings")
    with op.batch_alter_table("agent_checklist_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_checklist_notes_project_id"))

    op.drop_table("agent_checklist_notes")
    with op.batch_alter_table("agent_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_assignments_project_id"))

    op.drop_table("agent_assignments")
    with op.batch_alter_table("agent_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_alerts_agent_user_id_raised_on")

    op.drop_table("agent_alerts")
    # last: the department contacts (the agent tables referencing departments are gone).  Plain
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop ``departments``, which
    # ``users`` references, and fail on a database with data.
    for column in ("address", "phone", "contact_person"):
        op.drop_column("departments", column)
