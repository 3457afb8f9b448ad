"""Migrations keep the data (issue 9), on SQLite and on PostgreSQL.

A database made by the first migration holds a catalogue and a year's holiday arrangement; it is
upgraded one revision at a time to the latest, and what was stored is still there and still
used.  At the latest revision a project is filed; one step down and up again keeps it.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import MetaData, Table, func, select

from access.actor import Actor
from api.seed import seed_demo_accounts
from approvals.calendar import parse_arrangement
from approvals.catalog import default_catalogue
from approvals.orm import CatalogVersionRow, DepartmentRow, ProjectRow, StepRow, TaskRow
from approvals.samples import sample_project_doc
from approvals.service import active_catalogue, store_arrangement, store_catalogue, work_calendar
from approvals.services import filing
from migrations.metadata import metadata
from migrations.runner import alembic_config, current_revision, downgrade, head_revision, upgrade
from storage.engine import make_engine, make_session_factory

SPRING = parse_arrangement(
    {
        "year": 2027,
        "holidays": [{"name": "春节", "from": "2027-02-06", "to": "2027-02-13"}],
        "workdays": [{"date": "2027-02-14"}],
    }
)


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


@pytest.fixture(autouse=True)
def _back_at_head(engine):
    """Whatever happens, leave the (shared, per-worker) database at the latest revision."""
    yield
    upgrade(engine)


#: The tables of the first migration that the test fills.
FIRST_TABLES = ("departments", "catalog_versions", "catalog_items", "calendar_arrangements")


def _rows_as_written_today(tmp_path) -> dict[str, list[dict]]:
    """The catalogue and arrangement rows as the current code writes them (a scratch database)."""
    scratch = make_engine(f"sqlite:///{tmp_path / 'scratch.sqlite3'}")
    upgrade(scratch)
    with make_session_factory(scratch)() as s:
        store_catalogue(s, default_catalogue())
        store_arrangement(s, SPRING)
        s.commit()
    with scratch.connect() as c:  # typed values (dates, JSON documents), not their text
        rows = {
            t: [dict(r._mapping) for r in c.execute(select(metadata.tables[t]))]
            for t in FIRST_TABLES
        }
    scratch.dispose()
    return rows


def test_upgrade_from_the_first_migration_keeps_the_data(engine, tmp_path):
    revisions = _revisions()
    assert revisions[0] == "0001" and revisions[-1] == head_revision()
    rows = _rows_as_written_today(tmp_path)
    downgrade(engine, "base")
    upgrade(engine, "0001")
    # fill the first migration's tables with the columns they had then (later migrations add
    # columns to some, e.g. the departments' contacts in 0005)
    old = MetaData()
    old.reflect(engine, only=FIRST_TABLES)
    with engine.begin() as c:
        for name in FIRST_TABLES:
            then = old.tables[name].c
            # today's column types (they bind dates and JSON), only the columns of then
            table = Table(
                name,
                MetaData(),
                *[col._copy() for col in metadata.tables[name].c if col.name in then],
            )
            c.execute(
                table.insert(), [{k: v for k, v in r.items() if k in then} for r in rows[name]]
            )
    sha = rows["catalog_versions"][0]["sha256"]

    for revision in revisions[1:]:  # one revision at a time, as a deployment would
        upgrade(engine, revision)
        assert current_revision(engine) == revision

    with make_session_factory(engine)() as s:
        row = s.scalar(select(CatalogVersionRow))
        assert row is not None and row.sha256 == sha and row.active
        assert active_catalogue(s).code == default_catalogue().code
        assert s.scalar(select(func.count()).select_from(DepartmentRow)) == len(rows["departments"])
        fgw = s.get(DepartmentRow, "fgw")
        assert fgw is not None and fgw.name == "发展和改革局" and fgw.contact_person == ""
        cal = work_calendar(s)
        assert not cal.is_workday(date(2027, 2, 8)) and cal.is_workday(date(2027, 2, 14))


def test_one_step_down_and_up_again_keeps_a_filed_project(engine):
    with make_session_factory(engine)() as s:
        accounts = seed_demo_accounts(s)
        s.commit()
        user = accounts.users["enterprise1"]
        actor = Actor(
            user.username, "enterprise", user.id, enterprise_id=accounts.enterprises[0].id
        )
        doc = sample_project_doc()
        project = filing.file_project(
            s,
            actor,
            work_calendar(s),
            name="迁移测试项目",
            attributes=doc["attributes"],
            regional_assessments=doc["regional_assessments"],
            filed_on=date(2026, 3, 2),
        )
        s.commit()
        pid, code = project.id, project.code
        steps = s.scalar(select(func.count()).select_from(StepRow).where(StepRow.project_id == pid))
        tasks = s.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.project_id == pid))

    previous = _revisions()[-2]
    downgrade(engine, "-1")
    assert current_revision(engine) == previous
    upgrade(engine)
    assert current_revision(engine) == head_revision()

    with make_session_factory(engine)() as s:
        again = s.get(ProjectRow, pid)
        assert again is not None and again.code == code
        assert (
            s.scalar(select(func.count()).select_from(StepRow).where(StepRow.project_id == pid))
            == steps
        )
        assert (
            s.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.project_id == pid))
            == tasks
        )
