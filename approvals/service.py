"""Use cases of the approvals domain over a database session (the unit of work).

The CLI, the HTTP API and background jobs call these; each loads, calls the pure functions
(:mod:`approvals.catalog`, :mod:`approvals.planning`, :mod:`approvals.calendar`) and saves.
Callers commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, require
from approvals.calendar import (
    WorkCalendar,
    YearArrangement,
    arrangement_to_document,
    parse_arrangement,
)
from approvals.catalog import OWNER_NAMES, Catalogue, default_catalogue, parse_catalog
from approvals.errors import CatalogError
from approvals.orm import CalendarArrangementRow, CatalogItemRow, CatalogVersionRow, DepartmentRow
from storage import versions
from storage.audit import record
from storage.base import utcnow


def store_catalogue(
    session: Session, catalogue: Catalogue, *, activate: bool = True, by: str = ""
) -> CatalogVersionRow:
    """Store a validated catalogue as a new version (or find the identical one) and, by default,
    make it the active one.  Departments it declares are created or renamed."""
    row = session.scalar(
        select(CatalogVersionRow).where(
            CatalogVersionRow.code == catalogue.code, CatalogVersionRow.sha256 == catalogue.sha256
        )
    )
    if row is None:
        row = CatalogVersionRow(
            code=catalogue.code,
            version=catalogue.version,
            name=catalogue.name,
            sha256=catalogue.sha256,
            document=dict(catalogue.document),
            loaded_by=by,
        )
        row.items = [
            CatalogItemRow(
                code=i.code,
                name=i.name,
                name_en=i.name_en,
                department=i.department,
                stage=i.stage,
                days=i.days,
                statutory_days=i.statutory_days,
                legal_basis=i.legal_basis,
            )
            for i in catalogue.items.values()
        ]
        session.add(row)
    for dept in catalogue.departments.values():
        existing = session.get(DepartmentRow, dept.code)
        if existing is None:
            session.add(DepartmentRow(code=dept.code, name=dept.name, name_en=dept.name_en))
        else:
            existing.name, existing.name_en = dept.name, dept.name_en
    known = {d for d in session.scalars(select(DepartmentRow.code))} | set(catalogue.departments)
    for code in {i.department for i in catalogue.items.values()} - known:
        # an activity's owner (the enterprise, an intermediary) is named, not shown as its code
        name, name_en = OWNER_NAMES.get(code, (code, code))
        session.add(DepartmentRow(code=code, name=name, name_en=name_en))
        known.add(code)
    for code, (name, name_en) in OWNER_NAMES.items():
        owner = session.get(DepartmentRow, code)
        if owner is not None and owner.name == code:  # stored by an earlier version as its code
            owner.name, owner.name_en = name, name_en
    session.flush()
    if activate:
        session.execute(
            update(CatalogVersionRow).where(CatalogVersionRow.id != row.id).values(active=False)
        )
        row.active = True
    session.flush()
    return row


@dataclass(frozen=True)
class Department:
    """A department as every page shows it (name and contact), cached per process."""

    code: str
    name: str
    name_en: str
    contact_person: str
    phone: str
    address: str


def departments(session: Session) -> tuple[Department, ...]:
    """Every department, by code order — cached under the cache version (:mod:`storage.versions`;
    adding or editing a department changes it)."""

    def load() -> tuple[Department, ...]:
        rows = session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
        return tuple(
            Department(d.code, d.name, d.name_en, d.contact_person, d.phone, d.address)
            for d in rows
        )

    return versions.cached(session, "departments", None, load)


def catalogue_from_row(row: CatalogVersionRow) -> Catalogue:
    return parse_catalog(row.document, f"catalogue {row.code} v{row.version}")


_PARSED: dict[tuple[int, str], Catalogue] = {}


def catalogue_version(session: Session, catalog_id: int, sha256: str | None = None) -> Catalogue:
    """A stored catalogue version, parsed once per process (versions never change: a changed
    catalogue is a new version), so a request reads two columns, not the whole document."""
    if sha256 is None:
        sha256 = versions.cached(
            session,
            "catalogue sha256",
            catalog_id,
            lambda: session.scalar(
                select(CatalogVersionRow.sha256).where(CatalogVersionRow.id == catalog_id)
            ),
        )
        if sha256 is None:
            raise CatalogError([f"no catalogue version {catalog_id}"])
    key = (catalog_id, sha256)
    cached = _PARSED.get(key)
    if cached is None:
        row = session.get(CatalogVersionRow, catalog_id)
        assert row is not None
        cached = catalogue_from_row(row)
        if len(_PARSED) > 32:
            _PARSED.clear()
        _PARSED[key] = cached
    return cached


def active_catalogue(session: Session) -> Catalogue:
    """The active catalogue; the shipped default when none has been loaded."""
    row = session.execute(
        select(CatalogVersionRow.id, CatalogVersionRow.sha256).where(
            CatalogVersionRow.active.is_(True)
        )
    ).first()
    if row is None:
        return default_catalogue()
    return catalogue_version(session, row.id, row.sha256)


def catalogue_by_id(session: Session, catalog_id: int) -> Catalogue:
    row = session.get(CatalogVersionRow, catalog_id)
    if row is None:
        raise CatalogError([f"no catalogue version {catalog_id}"])
    return catalogue_from_row(row)


def ensure_default_catalogue(session: Session) -> CatalogVersionRow:
    """Store the shipped catalogue and activate it when no catalogue is active yet."""
    active = session.scalar(select(CatalogVersionRow).where(CatalogVersionRow.active.is_(True)))
    return active or store_catalogue(session, default_catalogue(), by="system")


def store_arrangement(
    session: Session, arrangement: YearArrangement, *, by: str = ""
) -> CalendarArrangementRow:
    """Store (or replace) a year's holiday arrangement."""
    row = session.get(CalendarArrangementRow, arrangement.year)
    doc = arrangement_to_document(arrangement)
    if row is None:
        row = CalendarArrangementRow(
            year=arrangement.year, source=arrangement.source, document=doc, loaded_by=by
        )
        session.add(row)
    else:
        row.source, row.document, row.loaded_by = arrangement.source, doc, by
        row.loaded_at = utcnow()  # also invalidates cached calendars
    session.flush()
    return row


def load_calendar_arrangement(
    session: Session, actor: Actor, document: Mapping[str, Any], on: date | None = None
) -> YearArrangement:
    """导入节假日安排: validate a year's arrangement, store it (replacing the year's), re-plan
    every open project against the new calendar (the change log gives 节假日安排更新 as the
    reason) and audit it.

    The API and the administrator's page both load through here; ``on`` is today (the replans'
    date), the system's date when not given."""
    # progress imports this module's catalogue helpers: imported here, not at the top
    from approvals.services.progress import replan_open_projects

    require(actor, Action.CALENDAR_MANAGE)
    arrangement = parse_arrangement(document)
    previous = work_calendar(session)
    store_arrangement(session, arrangement, by=actor.username)
    replanned = replan_open_projects(session, on or date.today(), work_calendar(session), previous)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="calendar.load",
        entity="calendar",
        entity_id=arrangement.year,
        after={
            "year": arrangement.year,
            "holidays": len(arrangement.holidays),
            "workdays": len(arrangement.workdays),
            "replanned_projects": replanned,
        },
    )
    return arrangement


def loaded_arrangements(session: Session) -> list[YearArrangement]:
    rows = session.scalars(select(CalendarArrangementRow).order_by(CalendarArrangementRow.year))
    return [parse_arrangement(r.document) for r in rows]


_CALENDARS: dict[tuple[tuple[int, str], ...], WorkCalendar] = {}


def work_calendar(session: Session) -> WorkCalendar:
    """The built-in calendar with every loaded arrangement applied.

    Calendars are cached per process under the cache version (:mod:`storage.versions`; a loaded
    arrangement changes it) and, below that, by the loaded arrangements (year and load time), so
    a request pays no query of its own, not a rebuild of every working day since 2004.
    """
    return versions.cached(session, "work calendar", None, lambda: _work_calendar(session))


def _work_calendar(session: Session) -> WorkCalendar:
    key = tuple(
        (year, loaded_at.isoformat())
        for year, loaded_at in session.execute(
            select(CalendarArrangementRow.year, CalendarArrangementRow.loaded_at).order_by(
                CalendarArrangementRow.year
            )
        )
    )
    calendar = _CALENDARS.get(key)
    if calendar is None:
        calendar = WorkCalendar(loaded_arrangements(session))
        if len(_CALENDARS) > 16:
            _CALENDARS.clear()
        _CALENDARS[key] = calendar
    return calendar
