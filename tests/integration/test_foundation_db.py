"""The database foundation, on SQLite and on PostgreSQL: migrations, catalogues, calendars."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from approvals.calendar import parse_arrangement
from approvals.catalog import default_catalogue, parse_catalog
from approvals.orm import CatalogVersionRow, DepartmentRow
from approvals.service import active_catalogue, store_arrangement, store_catalogue, work_calendar
from migrations.metadata import metadata
from migrations.runner import current_revision, downgrade, head_revision, include_object, upgrade


def test_models_and_migrations_agree(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(engine):
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_catalogue_versions_and_the_active_one(session):
    assert (
        active_catalogue(session).code == default_catalogue().code
    )  # nothing loaded: the shipped one
    first = store_catalogue(session, default_catalogue())
    other = parse_catalog(
        {
            "catalog": {"code": "mini", "version": "1"},
            "items": [{"code": "A", "name": "甲", "department": "newdept", "stage": 1, "days": 2}],
        }
    )
    second = store_catalogue(session, other)
    session.commit()
    assert active_catalogue(session).code == "mini"
    assert session.get(CatalogVersionRow, first.id).active is False
    assert session.get(DepartmentRow, "newdept") is not None
    assert session.get(DepartmentRow, "zjj").name == "住房和城乡建设局"
    # storing the same catalogue again finds the same version
    assert store_catalogue(session, other).id == second.id
    assert len(session.scalars(select(CatalogVersionRow)).all()) == 2


def test_loaded_arrangement_changes_working_days(session):
    assert work_calendar(session).is_workday(date(2027, 2, 8))
    store_arrangement(
        session,
        parse_arrangement(
            {
                "year": 2027,
                "holidays": [{"name": "春节", "from": "2027-02-06", "to": "2027-02-13"}],
                "workdays": [{"date": "2027-02-14"}],
            }
        ),
    )
    session.commit()
    cal = work_calendar(session)
    assert not cal.is_workday(date(2027, 2, 8)) and cal.is_known(2027)
