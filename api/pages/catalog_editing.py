"""The administrator edits the catalogue in the pages: an item's form (name, department, committed
and statutory days, legal basis, prerequisites, materials added, renamed or removed), a new item,
and the versions page (who stored each version, when, what it changed; an earlier one can be made
active again).  Each save is a new catalogue version; projects filed earlier keep theirs."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.policy import Action, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages.audit_view import local_time
from api.pages.layout import back, context, page_lang, require_user
from approvals.catalog_edit import FIELD_NAMES, ItemEdit, MaterialEdit, diff_summary
from approvals.errors import CatalogError
from approvals.service import active_catalogue
from approvals.services import catalog_editing
from i18n import Invalid, LocalizedError

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: How many empty rows the form offers for new materials.
NEW_MATERIAL_ROWS = 2


def _int(raw: Any, code: str, name: str, field: str, *, optional: bool = False) -> int | None:
    """A whole number of days from the form; a word or a fraction is refused naming the field."""
    text = str(raw or "").strip()
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        zh, en = FIELD_NAMES[field]
        raise Invalid(
            f"事项 {code}「{name}」的{zh}：须为整数天数（收到「{text}」）",
            f"item {code}, {en}: a whole number of days is required (got '{text}')",
        ) from None


def edit_from_form(data: dict[str, Any], code: str, *, new: bool = False) -> ItemEdit:
    """The form's fields as an edit: materials in rows ``m_code_N``/``m_name_N`` (ticked
    ``m_remove_N`` drops one), prerequisites as codes separated by commas or 、."""
    name = str(data.get("name") or "").strip()
    materials = []
    for key in sorted((k for k in data if k.startswith("m_code_")), key=lambda k: int(k[7:] or 0)):
        n = key[7:]
        m_code, m_name = str(data.get(key) or "").strip(), str(data.get(f"m_name_{n}") or "")
        if data.get(f"m_remove_{n}") or (not m_code and not m_name.strip()):
            continue
        materials.append(MaterialEdit(m_code, m_name.strip()))
    raw_requires = str(data.get("requires") or "").replace("、", ",").replace("，", ",")
    return ItemEdit(
        name=name,
        department=str(data.get("department") or "").strip(),
        days=_int(data.get("days"), code, name, "days"),
        statutory_days=_int(
            data.get("statutory_days"), code, name, "statutory_days", optional=True
        ),
        legal_basis=str(data.get("legal_basis") or ""),
        materials=tuple(materials),
        requires=tuple(r.strip() for r in raw_requires.split(",") if r.strip()),
        stage=_int(data.get("stage"), code, name, "stage") if new else None,
    )


def _base(data: dict[str, Any]) -> int | None:
    """The version the form was opened on (a hidden field)."""
    raw = str(data.get("base_id") or "")
    return int(raw) if raw.isdigit() else None


def _save(request: Request[Any, Any, Any], session: Session, url: str, act: Any) -> Redirect:
    """Save in the request's unit of work; on an error come back naming every problem."""
    lang = page_lang(request)
    try:
        row = act()
        session.commit()
    except CatalogError as e:
        session.rollback()
        sep = "; " if lang == "en" else "；"
        return back(url, err=sep.join(p.en if lang == "en" else p.zh for p in e.problems))
    except LocalizedError as e:
        session.rollback()
        return back(url, err=e.text(lang))  # type: ignore[arg-type]
    ok = (
        f"已保存为事项清单新版本 {row.version}，已办项目仍按原版本办理",
        f"saved as catalogue version {row.version}; projects already filed keep theirs",
    )
    return back("/admin/catalog", msg=ok[1] if lang == "en" else ok[0])


def _departments(session: Session, lang: str) -> list[tuple[str, str]]:
    c = active_catalogue(session)
    return [
        (d.code, d.name_en if lang == "en" and d.name_en else d.name)
        for d in c.departments.values()
    ]


@get("/admin/catalog/items/{code:str}", include_in_schema=False, sync_to_thread=True)
def edit_item_page(
    code: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.CATALOGUE_MANAGE))
    item = catalog_editing.item_of(session, code)
    requires = [r if isinstance(r, str) else r.get("code", "") for r in item.get("requires") or ()]
    return Template(
        "admin_catalog_item.html",
        context=context(
            request,
            session,
            clock,
            item=item,
            new=False,
            requires="、".join(requires),
            materials=list(item.get("materials") or ()),
            blank_rows=NEW_MATERIAL_ROWS,
            departments=_departments(session, page_lang(request)),
            action=f"/admin/catalog/items/{quote(code)}",
        ),
    )


@post("/admin/catalog/items/{code:str}", include_in_schema=False, sync_to_thread=True)
def edit_item_submit(
    code: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Form,
) -> Redirect:
    user = require_user(request, *roles_for(Action.CATALOGUE_MANAGE))
    return _save(
        request,
        session,
        f"/admin/catalog/items/{quote(code)}",
        lambda: catalog_editing.edit_item(
            session, actor_of(user), code, edit_from_form(data, code), base_id=_base(data)
        ),
    )


@get("/admin/catalog/new", include_in_schema=False, sync_to_thread=True)
def new_item_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.CATALOGUE_MANAGE))
    return Template(
        "admin_catalog_item.html",
        context=context(
            request,
            session,
            clock,
            item={
                "code": "",
                "name": "",
                "stage": 1,
                "days": 5,
                "base_id": catalog_editing.active_row(session).id,
            },
            new=True,
            requires="",
            materials=[],
            blank_rows=NEW_MATERIAL_ROWS + 1,
            departments=_departments(session, page_lang(request)),
            action="/admin/catalog/new",
        ),
    )


@post("/admin/catalog/new", include_in_schema=False, sync_to_thread=True)
def new_item_submit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    user = require_user(request, *roles_for(Action.CATALOGUE_MANAGE))
    code = str(data.get("code") or "").strip()
    return _save(
        request,
        session,
        "/admin/catalog/new",
        lambda: catalog_editing.add_item(
            session, actor_of(user), code, edit_from_form(data, code, new=True), base_id=_base(data)
        ),
    )


@get("/admin/catalog/versions", include_in_schema=False, sync_to_thread=True)
def versions_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request, *roles_for(Action.CATALOGUE_READ))
    lang = page_lang(request)
    listed = catalog_editing.list_versions(session, actor_of(user))
    first = ("first version", "首个版本")
    versions = [
        {
            "v": v,
            "at": local_time(v.loaded_at),
            "by": v.loaded_by
            if v.loaded_by != "system"
            else ("system" if lang == "en" else "系统"),
            "summary": diff_summary(v.diff, lang)
            if i < len(listed) - 1
            else first[0 if lang == "en" else 1],
        }
        for i, v in enumerate(listed)
    ]
    return Template(
        "admin_catalog_versions.html",
        context=context(
            request,
            session,
            clock,
            versions=versions,
            manage=user.role in roles_for(Action.CATALOGUE_MANAGE),
        ),
    )


@post(
    "/admin/catalog/versions/{catalog_id:int}/activate",
    include_in_schema=False,
    sync_to_thread=True,
)
def activate_submit(
    catalog_id: FromPath[int], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Redirect:
    user = require_user(request, *roles_for(Action.CATALOGUE_MANAGE))
    lang = page_lang(request)
    try:
        row = catalog_editing.activate_version(session, actor_of(user), catalog_id)
        session.commit()
    except LocalizedError as e:
        session.rollback()
        return back("/admin/catalog/versions", err=e.text(lang))  # type: ignore[arg-type]
    ok = (f"已重新启用版本 {row.version}", f"version {row.version} is active again")
    return back("/admin/catalog/versions", msg=ok[1] if lang == "en" else ok[0])


ROUTES = [
    edit_item_page,
    edit_item_submit,
    new_item_page,
    new_item_submit,
    versions_page,
    activate_submit,
]
