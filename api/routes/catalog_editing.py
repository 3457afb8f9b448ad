"""Editing the catalogue (事项清单) over HTTP: an item changed or added (each a new active
version; projects filed earlier keep theirs), the versions with their differences, and making an
earlier version active again.  The administrator only (``catalogue.manage``; reading the versions
also the regulator)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from access.policy import Action
from api.auth import allowed
from api.errors import request_lang
from api.openapi import READ, WRITE, problems
from api.routes.common import IdPath, actor, idempotent
from api.schemas.admin import CatalogueLoaded
from api.schemas.catalog import CatalogueVersionsOut, ItemIn, NewItemIn
from api.schemas.common import to
from approvals.catalog_edit import ItemEdit, MaterialEdit, diff_summary
from approvals.orm import CatalogVersionRow
from approvals.services import catalog_editing


def item_edit(data: ItemIn) -> ItemEdit:
    return ItemEdit(
        name=data.name,
        department=data.department,
        days=data.days,
        statutory_days=data.statutory_days,
        legal_basis=data.legal_basis,
        materials=tuple(MaterialEdit(m.code, m.name) for m in data.materials),
        requires=tuple(data.requires) if data.requires is not None else None,
        stage=data.stage,
    )


def loaded(row: CatalogVersionRow) -> Any:
    return to(
        CatalogueLoaded,
        {
            "id": row.id,
            "code": row.code,
            "version": row.version,
            "sha256": row.sha256,
            "items": len(row.items),
            "active": row.active,
        },
    )


@put(
    "/api/catalog/items/{code:str}",
    operation_id="editCatalogItem",
    tags=["admin"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.CATALOGUE_MANAGE)],
    responses=problems(*WRITE),
    summary="修改事项（生成新版本） Edit an item (a new catalogue version)",
)
def edit_item(
    code: FromPath[str],
    data: JSONBody[ItemIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[CatalogueLoaded]:
    """The item's name, department, committed and statutory days, legal basis, materials (and
    prerequisites when given).  The new version becomes active; every problem is named by item
    and field, and nothing is stored then."""

    def act() -> tuple[int, Any]:
        row = catalog_editing.edit_item(
            session, actor(request), code, item_edit(data), base_id=data.base_version_id
        )
        return 201, loaded(row)

    return idempotent(session, request, data, act)


@post(
    "/api/catalog/items",
    operation_id="addCatalogItem",
    tags=["admin"],
    sync_to_thread=True,
    status_code=201,
    guards=[allowed(Action.CATALOGUE_MANAGE)],
    responses=problems(*WRITE),
    summary="新增事项（生成新版本） Add an item (a new catalogue version)",
)
def add_item(
    data: JSONBody[NewItemIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[CatalogueLoaded]:
    def act() -> tuple[int, Any]:
        row = catalog_editing.add_item(
            session, actor(request), data.code, item_edit(data), base_id=data.base_version_id
        )
        return 201, loaded(row)

    return idempotent(session, request, data, act)


@get(
    "/api/catalog/versions",
    operation_id="listCatalogVersions",
    tags=["admin"],
    sync_to_thread=True,
    guards=[allowed(Action.CATALOGUE_READ)],
    responses=problems(*READ),
    summary="事项清单版本 The catalogue's versions",
)
def list_versions(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> CatalogueVersionsOut:
    """Newest first: who stored each and when, how many projects were filed under it, and what it
    changed against the version before it."""
    lang = request_lang(request)
    return to(
        CatalogueVersionsOut,
        {
            "versions": [
                {
                    "id": v.id,
                    "code": v.code,
                    "version": v.version,
                    "name": v.name,
                    "active": v.active,
                    "loaded_at": v.loaded_at.isoformat(),
                    "loaded_by": v.loaded_by,
                    "items": v.items,
                    "projects": v.projects,
                    "diff": {
                        "added": list(v.diff.added),
                        "removed": list(v.diff.removed),
                        "changed": {c: list(f) for c, f in v.diff.changed},
                        "summary": diff_summary(v.diff, lang),
                    },
                }
                for v in catalog_editing.list_versions(session, actor(request))
            ]
        },
    )


@post(
    "/api/catalog/versions/{catalog_id:int}/activate",
    operation_id="activateCatalogVersion",
    tags=["admin"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.CATALOGUE_MANAGE)],
    responses=problems(*WRITE),
    summary="重新启用事项清单版本 Make a version active again",
)
def activate_version(
    catalog_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[CatalogueLoaded]:
    def act() -> tuple[int, Any]:
        row = catalog_editing.activate_version(session, actor(request), catalog_id)
        return 200, loaded(row)

    return idempotent(session, request, {"activate": catalog_id}, act)


ROUTES = [edit_item, add_item, list_versions, activate_version]
