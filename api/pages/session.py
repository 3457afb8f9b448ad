"""Signing in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.accounts import authenticate
from api.auth import TOKEN_COOKIE, issue_token, principal_of
from api.clock import Clock
from api.pages.layout import HOME_BY_ROLE, LANG_COOKIE, back, context, current_user, page_lang
from api.settings import Settings


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    user = current_user(request)
    return Redirect(HOME_BY_ROLE.get(user.role, "/login") if user else "/login", status_code=303)


@get("/login", include_in_schema=False, sync_to_thread=True)
def login_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    next_url: Annotated[str, QueryParameter(name="next", max_length=300)] = "",
) -> Template:
    return Template(
        "login.html", context=context(request, session, clock, next_url=_safe_next(next_url))
    )


def _safe_next(url: str) -> str:
    """Only same-site paths (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


@post("/login", include_in_schema=False, sync_to_thread=True, opt={"read_only": True})
def login_submit(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    settings: NamedDependency[Settings],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    lang = page_lang(request)
    username, password = data.get("username", ""), data.get("password", "")
    limiter = request.app.state.login_limiter
    key = f"{request.client.host if request.client else '?'}|{username}"
    try:
        limiter.check(key)
    except Exception as e:  # TooManyRequests
        return back("/login", err=str(getattr(e, "detail", e)))
    user = authenticate(session, username, password)
    if user is None:
        limiter.failed(key)
        return back(
            "/login", err="wrong username or password" if lang == "en" else "用户名或密码错误"
        )
    limiter.succeeded(key)
    who = principal_of(user)
    token, seconds = issue_token(who, request.app.state.signing_key, settings.token_minutes)
    target = _safe_next(data.get("next", "")) or HOME_BY_ROLE.get(who.role, "/")
    return Redirect(
        target,
        status_code=303,
        cookies=[
            Cookie(
                key=TOKEN_COOKIE,
                value=token,
                max_age=seconds,
                httponly=True,
                samesite="lax",
                path="/",
            ),
        ],
    )


@post("/logout", include_in_schema=False)
async def logout() -> Redirect:
    return Redirect(
        "/login",
        status_code=303,
        cookies=[
            Cookie(key=TOKEN_COOKIE, value="", max_age=0, httponly=True, samesite="lax", path="/")
        ],
    )


@get("/lang/{code:str}", include_in_schema=False)
async def set_lang(
    code: FromPath[str], next_url: Annotated[str, QueryParameter(name="next", max_length=300)] = "/"
) -> Redirect:
    lang = "en" if code == "en" else "zh"
    return Redirect(
        _safe_next(next_url) or "/",
        status_code=303,
        cookies=[
            Cookie(key=LANG_COOKIE, value=lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
        ],
    )


ROUTES = [home, login_page, login_submit, logout, set_lang]
