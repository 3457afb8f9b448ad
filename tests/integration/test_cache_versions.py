"""The per-process caches (storage.versions) see a change committed by another session at once:
a department edited, a holiday arrangement loaded, a catalogue stored."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from access.actor import SYSTEM
from approvals.catalog import default_catalogue
from approvals.orm import DepartmentRow
from approvals.service import (
    departments,
    ensure_default_catalogue,
    load_calendar_arrangement,
    work_calendar,
)
from storage import versions
from storage.engine import begin_write, make_session_factory


def test_caches_follow_committed_changes(engine: Engine) -> None:
    sessions = make_session_factory(engine)
    with sessions() as s:
        begin_write(s)
        ensure_default_catalogue(s)  # creates the departments, and with them a cache version
        s.commit()
    with sessions() as s:
        before = versions.version(s)
        assert before is not None
        code = departments(s)[0].code
        assert departments(s) is departments(s)  # the same cached tuple within a version
        assert work_calendar(s).is_workday(date(2031, 5, 5)) is True

    with sessions() as other:  # "another server" edits a department and loads a calendar
        begin_write(other)
        row = other.scalar(select(DepartmentRow).where(DepartmentRow.code == code))
        assert row is not None
        row.phone = "0571-00000000"
        load_calendar_arrangement(
            other,
            SYSTEM,
            {
                "year": 2031,
                "source": "test",
                "holidays": [{"name": "劳动节", "from": "2031-05-01", "to": "2031-05-05"}],
                "workdays": [],
            },
        )
        other.commit()

    with sessions() as s:
        assert versions.version(s) != before
        assert next(d for d in departments(s) if d.code == code).phone == "0571-00000000"
        assert work_calendar(s).is_workday(date(2031, 5, 5)) is False

    with sessions() as s:  # a rolled-back change leaves the version as it was
        now = versions.version(s)
        s.rollback()
        begin_write(s)
        row = s.scalar(select(DepartmentRow).where(DepartmentRow.code == code))
        assert row is not None
        row.phone = "rolled back"
        s.flush()
        s.rollback()
    with sessions() as s:
        assert versions.version(s) == now
        assert default_catalogue().sha256  # the catalogue is untouched by all this


def test_a_rider_is_read_with_the_version(engine: Engine) -> None:
    """What :func:`versions.ride` asks comes with the statement that reads the version (the
    standalone read or another statement's :func:`versions.columns`), once per transaction."""
    from sqlalchemy import literal

    sessions = make_session_factory(engine)
    with sessions() as s:
        begin_write(s)
        ensure_default_catalogue(s)
        s.commit()
    with sessions() as s:
        token = versions.version(s)
    with sessions() as s:
        versions.ride(s, "answer", select(literal(42)).scalar_subquery())
        assert versions.ridden(s, "answer") is versions.NOT_READ
        versions.remember_row(s, s.execute(select(*versions.columns(s))).one())
        assert versions.ridden(s, "answer") == 42
        assert versions.version(s) == token
        s.rollback()  # the transaction's end forgets them
        assert versions.ridden(s, "answer") is versions.NOT_READ
    with sessions() as s:  # read by the version's own statement too
        versions.ride(s, "answer", select(literal(7)).scalar_subquery())
        assert versions.version(s) == token
        assert versions.ridden(s, "answer") == 7
    with sessions() as s:  # too late once the version is read: not read, asked again
        versions.version(s)
        versions.ride(s, "answer", select(literal(7)).scalar_subquery())
        assert versions.ridden(s, "answer") is versions.NOT_READ
        assert len(versions.columns(s)) == 1
