"""The administrator edits the catalogue (事项清单) item by item: each saved change is a NEW
catalogue version (drafted as a copy of the active document, validated with every check of
:func:`approvals.catalog.parse_catalog`, then activated); the old version is never changed, so a
project filed under it keeps its items, limits and materials.  Earlier versions can be made
active again.  Every step is in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from access.actor import Actor
from access.policy import Action, require
from approvals.catalog import parse_catalog
from approvals.catalog_edit import (
    CatalogueDiff,
    ItemEdit,
    apply_edit,
    diff_documents,
    diff_summary,
    edit_problems,
    next_version,
)
from approvals.errors import CatalogError
from approvals.orm import CatalogVersionRow, ProjectRow
from approvals.service import ensure_default_catalogue, store_catalogue
from i18n import Conflict, NotFound
from storage.audit import record


@dataclass(frozen=True)
class VersionSummary:
    """One stored catalogue version as the versions page lists it."""

    id: int
    code: str
    version: str
    name: str
    active: bool
    loaded_at: datetime
    loaded_by: str
    items: int
    projects: int
    diff: CatalogueDiff  # against the version stored before it


def active_row(session: Session) -> CatalogVersionRow:
    """The active version (the shipped catalogue stored first when none is)."""
    return ensure_default_catalogue(session)


def _save(
    session: Session, actor: Actor, code: str, edit: ItemEdit, *, new: bool, base_id: int | None
) -> CatalogVersionRow:
    require(actor, Action.CATALOGUE_MANAGE)
    base = active_row(session)
    if base_id is not None and base_id != base.id:
        raise Conflict(
            f"页面已过期：事项清单已更新为版本 {base.version}，请重新打开本页后再修改",
            f"the page is out of date: the catalogue is now version {base.version}; "
            "open the page again before editing",
        )
    doc = base.document
    problems = edit_problems(doc, code, edit, new=new)
    if problems:
        raise CatalogError(problems)
    taken = list(session.scalars(select(CatalogVersionRow.version)))
    draft = apply_edit(
        doc,
        code,
        edit,
        new=new,
        version=next_version(str((doc.get("catalog") or {}).get("version", "")), taken),
    )
    # validated as a whole: a prerequisite naming no item or a cycle is refused, nothing stored
    catalogue = parse_catalog(draft, f"{code}")
    before = next((i for i in doc.get("items") or () if i["code"] == code), None)
    row = store_catalogue(session, catalogue, by=actor.username)
    after = next(i for i in draft["items"] if i["code"] == code)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="catalog.add_item" if new else "catalog.edit",
        entity="catalog",
        entity_id=row.id,
        before={"version": base.version, **_audited(before)}
        if before
        else {"version": base.version},
        after={
            "version": row.version,
            **_audited(after),
            "changes": diff_summary(diff_documents(doc, draft)),
        },
    )
    return row


def _audited(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the audit trail keeps it: its fields by name, materials by their names."""
    return {
        "item": item["code"],
        "name": item.get("name"),
        "department": item.get("department"),
        "days": item.get("days"),
        "statutory_days": item.get("statutory_days"),
        "legal_basis": item.get("legal_basis", ""),
        "materials": [m.get("name", "") for m in item.get("materials") or ()],
    }


def edit_item(
    session: Session, actor: Actor, code: str, edit: ItemEdit, *, base_id: int | None = None
) -> CatalogVersionRow:
    """Item ``code`` changed in a new active version (``CatalogError`` naming the item and the
    field on bad input; nothing stored then).  ``base_id``, when given, is the version the edit
    was made on: ``Conflict`` when another version became active meanwhile."""
    return _save(session, actor, code, edit, new=False, base_id=base_id)


def add_item(
    session: Session, actor: Actor, code: str, edit: ItemEdit, *, base_id: int | None = None
) -> CatalogVersionRow:
    """A new item ``code`` in a new active version."""
    return _save(session, actor, code, edit, new=True, base_id=base_id)


def activate_version(session: Session, actor: Actor, catalog_id: int) -> CatalogVersionRow:
    """Make an earlier (or any stored) version the active one again; filed projects keep theirs."""
    require(actor, Action.CATALOGUE_MANAGE)
    row = session.get(CatalogVersionRow, catalog_id)
    if row is None:
        raise NotFound(
            f"事项清单版本 {catalog_id} 不存在", f"catalogue version {catalog_id} not found"
        )
    before = active_row(session)
    catalogue = parse_catalog(row.document, f"{row.code} {row.version}")
    store_catalogue(session, catalogue, by=actor.username)
    record(
        session,
        actor=actor.username,
        role=actor.role,
        action="catalog.activate",
        entity="catalog",
        entity_id=row.id,
        before={"catalog_id": before.id, "version": before.version},
        after={"catalog_id": row.id, "version": row.version},
    )
    return row


def list_versions(session: Session, actor: Actor) -> list[VersionSummary]:
    """Every stored version, newest first, with who loaded it, when, how many projects were filed
    under it and what it changed against the version before it (two statements)."""
    require(actor, Action.CATALOGUE_READ)
    rows = list(
        session.scalars(
            select(CatalogVersionRow)
            .options(undefer(CatalogVersionRow.document))
            .order_by(CatalogVersionRow.id)
        )
    )
    counts = dict(
        session.execute(
            select(ProjectRow.catalog_id, func.count()).group_by(ProjectRow.catalog_id)
        ).all()
    )
    out: list[VersionSummary] = []
    previous: dict[str, Any] | None = None
    for row in rows:
        doc = row.document
        out.append(
            VersionSummary(
                id=row.id,
                code=row.code,
                version=row.version,
                name=row.name,
                active=row.active,
                loaded_at=row.loaded_at,
                loaded_by=row.loaded_by,
                items=len(doc.get("items") or ()),
                projects=int(counts.get(row.id, 0)),
                diff=diff_documents(previous, doc),
            )
        )
        previous = doc
    return list(reversed(out))


def item_of(session: Session, code: str) -> dict[str, Any]:
    """Item ``code`` of the active version, as the document has it (for the edit form), with the
    version's id under ``base_id`` (sent back with the edit)."""
    row = active_row(session)
    for item in row.document.get("items") or ():
        if item["code"] == code:
            return {**item, "base_id": row.id}
    raise NotFound(f"事项 {code} 不存在", f"item {code} not found")


__all__ = [
    "VersionSummary",
    "activate_version",
    "add_item",
    "edit_item",
    "item_of",
    "list_versions",
]
