"""Accounts in the pages: the administrator's list of users (search, filters, pages), creating
one (an agent with its profile), editing, disabling, enabling and resetting a password; and the
public self-registration of an enterprise (统一社会信用代码 checked by its check character)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.accounts import (
    USER_SORTS,
    NewUser,
    UserChanges,
    add_user,
    reset_password,
    update_user,
    user_page,
)
from access.actor import Role
from access.orm import UserRow
from access.policy import ROLE_LABELS, Action, roles_for
from agent_service.orm import AgentProfileRow
from agent_service.services.profiles import create_agent
from api.auth import actor_of
from api.clock import Clock
from api.pages import texts
from api.pages.layout import back, context, page_lang, require_user, run_form_action
from api.pages.listing import Listing, filter_value, paging_of
from api.routes.common import IdPath
from approvals.orm import DepartmentRow, EnterpriseRow, IntermediaryRow
from approvals.services.enterprises import Registration, add_enterprise, register
from i18n import LocalizedError
from landplots.services.registry import all_zones

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]

_USER_SORT_LABELS = {
    "username": "username",
    "display_name": "display_name",
    "role": "role",
    "created_at": "created_sort",
    "active": "active",
}


def _role_names(lang: str) -> dict[str, str]:
    return {r: v[1] if lang == "en" else v[0] for r, v in ROLE_LABELS.items()}


@get("/admin/users", include_in_schema=False, sync_to_thread=True)
def admin_users(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    admin = require_user(request, *roles_for(Action.USER_MANAGE))
    lang = page_lang(request)
    roles = _role_names(lang)
    paging = paging_of(request, tuple(USER_SORTS), "username")
    role = filter_value(request, "role", tuple(roles))
    state = filter_value(request, "state", ("active", "disabled"))
    page = user_page(
        session,
        actor_of(admin),
        paging,
        role=role or None,
        active=None if not state else state == "active",
    )
    listing = Listing(
        path="/admin/users",
        page=page,
        sort_labels={k: texts.text(v, lang) for k, v in _USER_SORT_LABELS.items()},
        filters={"role": role, "state": state},
        filter_options={
            "role": list(roles.items()),
            "state": [
                ("active", texts.text("account_active", lang)),
                ("disabled", texts.text("account_disabled", lang)),
            ],
        },
        filter_labels={"role": texts.text("role", lang), "state": texts.text("active", lang)},
    )
    return Template(
        "admin_users.html",
        context=context(
            request,
            session,
            clock,
            users=page.items,
            listing=listing,
            role_names=roles,
            departments=session.scalars(select(DepartmentRow).order_by(DepartmentRow.code)).all(),
            enterprises=session.scalars(select(EnterpriseRow).order_by(EnterpriseRow.id)).all(),
            intermediaries=session.scalars(
                select(IntermediaryRow).order_by(IntermediaryRow.id)
            ).all(),
            zones=all_zones(session),
        ),
    )


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()]


@post("/admin/users", include_in_schema=False, sync_to_thread=True)
def admin_users_submit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    admin = require_user(request, *roles_for(Action.USER_MANAGE))

    def act() -> None:
        new = NewUser(
            data.get("username", ""),
            data.get("password", ""),
            data.get("role", ""),
            display_name=data.get("display_name", ""),
            department=data.get("department") or None,
            enterprise_id=int(data["enterprise_id"])
            if (data.get("enterprise_id") or "").isdigit()
            else None,
            intermediary_id=int(data["intermediary_id"])
            if (data.get("intermediary_id") or "").isdigit()
            else None,
            phone=data.get("phone", ""),
            email=data.get("email", ""),
        )
        if new.role == Role.AGENT:
            capacity = data.get("capacity") or ""
            create_agent(
                session,
                actor_of(admin),
                new,
                regions=_split(data.get("regions", "")),
                industries=_split(data.get("industries", "")),
                capacity=int(capacity) if capacity.isdigit() and len(capacity) < 5 else 0,
            )
        else:
            add_user(session, actor_of(admin), new)

    return run_form_action(request, session, "/admin/users", act, ("用户已创建", "user created"))


@get("/admin/users/{user_id:int}", include_in_schema=False, sync_to_thread=True)
def admin_user_page(
    user_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.USER_MANAGE))
    lang = page_lang(request)
    user = session.get(UserRow, user_id)
    if user is None:
        from access.accounts import AccountNotFound

        raise AccountNotFound(f"用户 {user_id} 不存在", f"user {user_id} not found")
    return Template(
        "admin_user.html",
        context=context(
            request,
            session,
            clock,
            account=user,
            role_name=_role_names(lang).get(user.role, user.role),
            profile=session.get(AgentProfileRow, user.id) if user.role == Role.AGENT else None,
            departments=session.scalars(select(DepartmentRow).order_by(DepartmentRow.code)).all(),
        ),
    )


@post("/admin/users/{user_id:int}", include_in_schema=False, sync_to_thread=True)
def admin_user_submit(
    user_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    admin = require_user(request, *roles_for(Action.USER_MANAGE))
    url = f"/admin/users/{user_id}"
    action = data.get("action", "save")
    if action == "password":
        return run_form_action(
            request,
            session,
            url,
            lambda: reset_password(session, actor_of(admin), user_id, data.get("password", "")),
            ("密码已重置", "password reset"),
        )
    if action in {"disable", "enable"}:
        changes = UserChanges(active=action == "enable")
        ok = ("账户已启用", "account enabled") if action == "enable" else ("账户已停用", "disabled")
    else:
        changes = UserChanges(
            display_name=data.get("display_name"),
            phone=data.get("phone"),
            email=data.get("email"),
            department=data.get("department") or None,
        )
        ok = ("已保存", "saved")

    def act() -> UserRow:
        return update_user(session, actor_of(admin), user_id, changes)

    answer = run_form_action(request, session, url, act, ok)
    if changes.active is not None:  # this process refuses the account's tokens at once
        account = session.get(UserRow, user_id)
        if account is not None:
            request.app.state.disabled_users.changed(user_id, account.active)
    return answer


@post("/admin/enterprises", include_in_schema=False, sync_to_thread=True)
def admin_enterprise_submit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    """The administrator registers an enterprise (its accounts are then created above)."""
    admin = require_user(request, *roles_for(Action.ENTERPRISE_MANAGE))
    return run_form_action(
        request,
        session,
        "/admin/users",
        lambda: add_enterprise(
            session,
            actor_of(admin),
            name=data.get("name", ""),
            credit_code=data.get("credit_code", ""),
            contact_name=data.get("contact_name", ""),
            phone=data.get("phone", ""),
        ),
        ("企业已登记", "enterprise registered"),
    )


@get("/register", include_in_schema=False, sync_to_thread=True)
def register_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return Template("register.html", context=context(request, session, clock))


@post("/register", include_in_schema=False, sync_to_thread=True)
def register_submit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    lang = page_lang(request)
    reg = Registration(
        name=data.get("name", ""),
        credit_code=data.get("credit_code", ""),
        contact_name=data.get("contact_name", ""),
        phone=data.get("phone", ""),
        username=data.get("username", ""),
        password=data.get("password", ""),
        password_again=data.get("password_again", ""),
        email=data.get("email", ""),
    )
    try:
        _, user = register(session, reg)
        session.commit()
    except LocalizedError as e:
        session.rollback()
        return back("/register", err=e.text(lang))  # type: ignore[arg-type]
    return back(f"/login?username={user.username}", msg=texts.text("registered", lang))


ROUTES = [
    admin_users,
    admin_users_submit,
    admin_user_page,
    admin_user_submit,
    admin_enterprise_submit,
    register_page,
    register_submit,
]
