"""Authentication and role guards.

``POST /api/auth/login`` checks the argon2 hash and returns a short-lived bearer token (JWT,
HS256, 30 minutes by default).  Every other route needs a valid token unless it is public
(health, the OpenAPI schema, the published catalogue, the OGC API, public lists); an expired,
forged or malformed token answers 401 with the reason.  Roles are checked by guards here and
again by the services (visibility of each record).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
    DefineMiddleware,
)

from access.actor import Actor
from api.accounts import Principal

ALGORITHM = "HS256"
TOKEN_COOKIE = "onetrip_token"

#: Paths that need no token (regular expressions matched against the path).
PUBLIC_PATHS = [
    r"^/api/auth/login$",
    r"^/api/health$",
    r"^/health$",
    r"^/ready$",
    r"^/metrics$",
    r"^/api/catalog",
    r"^/api/questionnaire$",
    r"^/api/public/",
    r"^/public/",
    r"^/schema",
    r"^/ogc",
    r"^/static/",
    r"^/$",
    r"^/login$",
    r"^/favicon.ico$",
    r"^/calendar-feeds/",  # secret subscription links (api.calendar_feeds)
]


def issue_token(principal: Principal, secret: str, minutes: int) -> tuple[str, int]:
    """A signed bearer token for ``principal`` and its lifetime in seconds."""
    now = datetime.now(UTC)
    claims = {
        "exp": now + timedelta(minutes=minutes),
        "iat": now,
        "sub": str(principal.user_id),
        "usr": principal.username,
        "role": principal.role,
        "name": principal.display_name,
        "ent": principal.enterprise_id,
        "dept": principal.department,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), minutes * 60


def decode_token(raw: str, secret: str, previous: tuple[str, ...] = ()) -> Principal:
    """The principal a token names; ``previous`` secrets are accepted too (during a rotation,
    tokens issued before it stay valid until they expire).

    Raises
    ------
    NotAuthorizedException
        When the token is expired, forged (bad signature) or malformed.
    """
    try:
        claims = _decode(raw, (secret, *previous))
    except jwt.ExpiredSignatureError:
        raise NotAuthorizedException(
            "令牌已过期，请重新登录 (token expired; log in again)"
        ) from None
    except jwt.PyJWTError:
        raise NotAuthorizedException("令牌无效 (invalid token)") from None
    try:
        return Principal(
            user_id=int(claims["sub"]),
            username=str(claims["usr"]),
            role=str(claims["role"]),
            display_name=str(claims.get("name") or ""),
            enterprise_id=claims.get("ent"),
            department=claims.get("dept"),
        )
    except (KeyError, ValueError, TypeError):
        raise NotAuthorizedException("令牌无效 (invalid token)") from None


def _decode(raw: str, secrets: tuple[str, ...]) -> dict[str, Any]:
    for i, secret in enumerate(secrets):
        try:
            return jwt.decode(
                raw, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.InvalidSignatureError:
            if i == len(secrets) - 1:
                raise
    raise jwt.InvalidSignatureError("no secret")


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Reads ``Authorization: Bearer …`` (or the pages' cookie) and sets ``request.user``."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        raw = ""
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise NotAuthorizedException("需要 Bearer 令牌 (a Bearer token is required)")
            raw = value.strip()
        elif not connection.url.path.startswith("/api/"):
            raw = connection.cookies.get(
                TOKEN_COOKIE, ""
            )  # pages only: the API never reads cookies (no CSRF)
        if not raw:
            raise NotAuthorizedException("未登录 (not authenticated)")
        state = connection.app.state
        principal = decode_token(raw, state.signing_key, state.settings.previous_secret_keys)
        return AuthenticationResult(user=principal, auth=raw)


def auth_middleware() -> DefineMiddleware:
    return DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS)


def requires(*roles: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the caller must have one of ``roles``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException("未登录 (not authenticated)")
        if user.role not in roles:
            raise PermissionDeniedException(
                f"角色“{user.role}”无权执行此操作，需要：{'、'.join(roles)} (role '{user.role}' may not do this; needs {', '.join(roles)})"
            )

    guard.__name__ = f"requires_{'_'.join(roles)}"
    return guard


def actor_of(principal: Principal) -> Actor:
    return Actor(
        username=principal.username,
        role=principal.role,
        user_id=principal.user_id,
        department=principal.department,
        enterprise_id=principal.enterprise_id,
    )
