"""efficiency statistics (效能统计): compact figures on tasks and projects, 差评 follow-up

Tasks keep their step's code and stage, the working days they waited for acceptance and the
approval working days once decided; projects keep their approval working days, the actual
赋码 / 施工许可 / 竣工验收 dates and what each planning mechanism saved; ratings keep the
follow-up of a bad rating.  Existing rows are filled from what is stored (the working days on
the built-in calendar with every loaded holiday arrangement).

Revision ID: 0011
Revises: 0015
Create Date: 2026-12-06 02:20:00
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None

_TASK_COLUMNS = ("step_code", "stage", "wait_workdays", "workdays")
_PROJECT_COLUMNS = (
    "approval_workdays",
    "coded_on",
    "permit_on",
    "completed_on",
    "saved_waivers",
    "saved_early_starts",
    "saved_merges",
    "saved_splits",
)


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
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("step_code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("stage", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("wait_workdays", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("workdays", sa.Integer(), nullable=True))
        batch.create_index("ix_tasks_decided_on", ["decided_on"])
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("approval_workdays", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("coded_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("permit_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("completed_on", sa.Date(), nullable=True))
        for name in _PROJECT_COLUMNS[4:]:
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_projects_permit_on", ["permit_on"])
        batch.create_index("ix_projects_completed_on", ["completed_on"])
    op.create_table(
        "task_figures",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("step_code", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("workdays", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _FIGURE_SUMS),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "step_code", "department", "workdays", name=op.f("pk_task_figures")
        ),
    )
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("follow_up_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("follow_up_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("follow_up_note", sa.Text(), server_default="", nullable=False))
        batch.add_column(
            sa.Column("department_key", sa.String(length=200), server_default="", nullable=False)
        )
    _backfill(op.get_bind())


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _backfill(conn: sa.engine.Connection) -> None:
    from approvals import efficiency as eff
    from approvals.calendar import WorkCalendar, parse_arrangement

    conn.execute(
        sa.text(
            "UPDATE tasks SET step_code = (SELECT code FROM steps WHERE steps.id = tasks.step_id),"
            " stage = (SELECT stage FROM steps WHERE steps.id = tasks.step_id)"
        )
    )
    arrangements = [
        parse_arrangement(_json(doc))
        for (doc,) in conn.execute(sa.text("SELECT document FROM calendar_arrangements"))
    ]
    cal = WorkCalendar(arrangements)
    from approvals.services.statistics import add_up, figure_of

    tasks = conn.execute(
        sa.text(
            "SELECT id, project_id, stage, ready_on, accepted_on, decided_on, stopped_days, status,"
            " step_id, step_code, department, due_on FROM tasks"
            " WHERE accepted_on IS NOT NULL OR status IN ('approved', 'rejected')"
        )
    ).all()
    rounds: dict[int, int] = dict(
        conn.execute(sa.text("SELECT task_id, count(*) FROM corrections GROUP BY task_id")).all()
    )
    deferrals: dict[int, list[date | None]] = {}
    for tid, supplied in conn.execute(sa.text("SELECT task_id, supplied_on FROM deferrals")):
        deferrals.setdefault(tid, []).append(_date(supplied))
    updates = []
    figures = []
    spans: dict[int, list[eff.TaskSpan]] = {}
    for tid, pid, stage, ready, accepted, decided, stopped, status, sid, code, dept, due in tasks:
        ready, accepted, decided, due = _date(ready), _date(accepted), _date(decided), _date(due)
        wait = eff.waiting_workdays(cal, ready, accepted) if ready and accepted else None
        decided_now = decided is not None and status in ("approved", "rejected")
        days = (
            eff.approval_workdays(cal, accepted, decided, stopped or 0)
            if decided_now and accepted
            else None
        )
        updates.append({"i": tid, "w": wait, "d": days})
        if accepted:
            spans.setdefault(pid, []).append(
                eff.TaskSpan(stage or 0, accepted, decided, stopped or 0)
            )
        if decided_now and decided and code:
            ends = [s or decided for s in deferrals.get(tid, [])]
            figures.append(
                figure_of(
                    decided,
                    code,
                    dept,
                    days,
                    approved=status == "approved",
                    on_time=due is None or decided <= due,
                    wait=wait,
                    stopped=stopped or 0,
                    rounds=int(rounds.get(tid, 0)),
                    deferred=len(ends),
                    deferral_days=sum(
                        max(cal.workdays_between(accepted, e), 0) for e in ends if accepted
                    ),
                    step_id=sid,
                )
            )
    if updates:
        conn.execute(
            sa.text("UPDATE tasks SET wait_workdays = :w, workdays = :d WHERE id = :i"), updates
        )
    if figures:
        rows = add_up(figures)
        names = list(rows[0])
        conn.execute(
            sa.text(
                f"INSERT INTO task_figures ({', '.join(names)})"
                f" VALUES ({', '.join(':' + n for n in names)})"
            ),
            rows,
        )
    keys = [
        {"i": rid, "k": ",".join(_json(depts) or [])}
        for rid, depts in conn.execute(sa.text("SELECT id, departments FROM ratings"))
    ]
    if keys:
        conn.execute(sa.text("UPDATE ratings SET department_key = :k WHERE id = :i"), keys)
    marks: dict[int, dict[str, str]] = {}
    for cid, doc in conn.execute(sa.text("SELECT id, document FROM catalog_versions")):
        items = (_json(doc) or {}).get("items") or []
        marks[cid] = {i["milestone"]: i["code"] for i in items if i.get("milestone")}
    steps: dict[int, list[tuple[list[str], str, date | None]]] = {}
    for pid, items, status, end in conn.execute(
        sa.text("SELECT project_id, items, status, actual_end FROM steps")
    ):
        steps.setdefault(pid, []).append((_json(items) or [], status, _date(end)))
    rows = []
    for pid, cid, baseline in conn.execute(
        sa.text("SELECT id, catalog_id, baseline FROM projects")
    ):
        savings = (_json(baseline) or {}).get("savings") or {}
        dates = eff.milestone_dates(marks.get(cid, {}), steps.get(pid, []))
        rows.append(
            {
                "i": pid,
                "a": eff.project_approval_workdays(cal, spans.get(pid, [])),
                "c": dates.get("project_code"),
                "p": dates.get("construction_permit"),
                "f": dates.get("completion_acceptance"),
                **{
                    k: int((savings.get(k) or {}).get("workdays") or 0)
                    for k in ("waivers", "early_starts", "merges", "splits")
                },
            }
        )
    if rows:
        conn.execute(
            sa.text(
                "UPDATE projects SET approval_workdays = :a, coded_on = :c, permit_on = :p,"
                " completed_on = :f, saved_waivers = :waivers,"
                " saved_early_starts = :early_starts, saved_merges = :merges,"
                " saved_splits = :splits WHERE id = :i"
            ),
            rows,
        )


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN on both backends (SQLite ≥ 3.35): a batch copy would drop
    # and recreate ``projects`` and ``tasks``, and SQLite's ON DELETE CASCADE would empty their
    # children on the way
    op.drop_table("task_figures")
    op.drop_index("ix_projects_completed_on", table_name="projects")
    op.drop_index("ix_projects_permit_on", table_name="projects")
    op.drop_index("ix_tasks_decided_on", table_name="tasks")
    for table, names in (
        ("ratings", ("department_key", "follow_up_note", "follow_up_by", "follow_up_on")),
        ("projects", tuple(reversed(_PROJECT_COLUMNS))),
        ("tasks", tuple(reversed(_TASK_COLUMNS))),
    ):
        for name in names:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
