"""Login and the caller's own account."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from sqlalchemy.orm import Session

from access.accounts import authenticate
from access.policy import ROLE_LABELS
from api.auth import issue_token, principal_of
from api.openapi import problems
from api.routes.common import principal
from api.schemas.auth import MeOut, TokenOut
from api.settings import Settings


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    username: str = msgspec.field()
    password: str = msgspec.field()


@post(
    "/api/auth/login",
    operation_id="login",
    opt={"read_only": True},
    tags=["auth"],
    sync_to_thread=True,
    status_code=200,
    responses=problems(400, 401, 429),
    summary="登录 Log in",
    security=[{}],
)
def login(
    data: JSONBody[LoginIn],
    session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    request: Request[Any, Any, Any],
) -> TokenOut:
    """用户名与密码换取短期令牌。Exchange a username and password for a short-lived bearer token."""
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    limiter.check(f"{client}|{data.username}")
    user = authenticate(session, data.username, data.password)
    if user is None:
        limiter.failed(f"{client}|{data.username}")
        raise NotAuthorizedException("用户名或密码错误 (wrong username or password)")
    limiter.succeeded(f"{client}|{data.username}")
    who = principal_of(user)
    token, seconds = issue_token(who, request.app.state.signing_key, settings.token_minutes)
    return TokenOut(token, "bearer", seconds, who.role, who.username, who.display_name)


@get(
    "/api/me",
    operation_id="getMe",
    tags=["auth"],
    responses=problems(400, 401, 503),
    summary="当前用户 The caller",
)
async def me(request: Request[Any, Any, Any]) -> MeOut:
    who = principal(request)
    zh, en = ROLE_LABELS.get(who.role, (who.role, who.role))
    return MeOut(
        id=who.user_id,
        username=who.username,
        role=who.role,
        role_name=zh,
        role_name_en=en,
        display_name=who.display_name,
        enterprise_id=who.enterprise_id,
        department=who.department,
    )


ROUTES = [login, me]
