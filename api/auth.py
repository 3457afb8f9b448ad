"""Authentication and the policy's route guards.

``POST /api/auth/login`` checks the argon2 hash and returns a short-lived bearer token (JWT,
HS256, 30 minutes by default).  Every other route needs a valid token unless it is public
(health, the OpenAPI schema, the published catalogue, the OGC API, public lists); an expired,
forged or malformed token answers 401 with the reason.  Each route's guard, :func:`allowed`,
admits the roles the access policy grants its action; the services ask the policy again with
the record (an enterprise's own project, a reviewer's own department's task).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
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
from sqlalchemy.orm import Session

from access.actor import Actor, Role
from access.orm import AppSecretRow, UserRow
from access.policy import ROLE_LABELS, Action, roles_for

ALGORITHM = "HS256"
TOKEN_COOKIE = "onetrip_token"

#: Paths that need no token (regular expressions matched against the path).
PUBLIC_PATHS = [
    r"^/api/auth/login$",
    r"^/api/health$",
    r"^/health$",
    r"^/ready$",
    r"^/metrics$",
    r"^/api/catalog$",  # the published catalogue (editing it and its versions need a token)
    r"^/api/questionnaire$",
    r"^/api/public/",
    r"^/public/",
    r"^/schema",
    r"^/ogc",
    r"^/static/",
    r"^/fonts/",  # the bundled Chinese font (pages on a machine without one)
    r"^/$",
    r"^/login$",
    r"^/register$",  # an enterprise's self-registration (统一社会信用代码 checked)
    r"^/favicon.ico$",
    r"^/calendar-feeds/",  # secret subscription links (access.calendar_feeds)
    r"^/verify(/|$)",  # the verification page a certificate's QR code leads to
    r"^/api/verify/",
]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request, as the token names it."""

    user_id: int
    username: str
    role: Role
    display_name: str = ""
    enterprise_id: int | None = None
    department: str | None = None
    intermediary_id: int | None = None


def principal_of(user: UserRow) -> Principal:
    return Principal(
        user.id,
        user.username,
        Role(user.role),
        user.display_name,
        user.enterprise_id,
        user.department,
        user.intermediary_id,
    )


def signing_key(session: Session, configured: str | None) -> str:
    """The configured secret, or one generated once and kept in the database."""
    if configured:
        return configured
    row = session.get(AppSecretRow, "token_signing_key")
    if row is None:
        row = AppSecretRow(name="token_signing_key", value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value


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
        "org": principal.intermediary_id,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), minutes * 60


#: Tokens whose signature this process has verified, with their principal and expiry (seconds
#: since the epoch), keyed by the token and the secrets it was checked against.  A signature,
#: once valid, stays valid, so the cache cannot go stale; the expiry is checked on every use, and
#: a disabled account is refused by :class:`DisabledUsers` whatever the cache holds.  A client
#: sends the same token with every request for 30 minutes: verifying it again (base64, JSON,
#: HMAC and PyJWT's checks) was a tenth of the CPU of a small request.
_VERIFIED: dict[tuple[str, str, tuple[str, ...]], tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000
_EXPIRED = "令牌已过期，请重新登录 (token expired; log in again)"


def decode_token(raw: str, secret: str, previous: tuple[str, ...] = ()) -> Principal:
    """The principal a token names; ``previous`` secrets are accepted too (during a rotation,
    tokens issued before it stay valid until they expire).

    Raises
    ------
    NotAuthorizedException
        When the token is expired, forged (bad signature) or malformed.
    """
    key = (raw, secret, previous)
    hit = _VERIFIED.get(key)
    if hit is not None:
        principal, expires = hit
        if expires > time.time():  # PyJWT's rule: expired once ``exp <= now``
            return principal
        _VERIFIED.pop(key, None)
        raise NotAuthorizedException(_EXPIRED)
    try:
        claims = _decode(raw, (secret, *previous))
    except jwt.ExpiredSignatureError:
        raise NotAuthorizedException(_EXPIRED) from None
    except jwt.PyJWTError:
        raise NotAuthorizedException("令牌无效 (invalid token)") from None
    principal = _principal_of_claims(claims)
    expires = claims["exp"]
    if isinstance(expires, int | float) and not isinstance(expires, bool):
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[key] = (principal, float(expires))
    return principal


def _principal_of_claims(claims: dict[str, Any]) -> Principal:
    try:
        return Principal(
            user_id=int(claims["sub"]),
            username=str(claims["usr"]),
            role=Role(claims["role"]),
            display_name=str(claims.get("name") or ""),
            enterprise_id=claims.get("ent"),
            department=claims.get("dept"),
            intermediary_id=claims.get("org"),
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


class DisabledUsers:
    """The ids of disabled accounts, kept by each process: their tokens (bearer or the pages'
    cookie) are refused although still signed and unexpired.

    An administrator's change in this process applies at once (:meth:`changed`); changes made by
    another process are read by :meth:`refresh`, which the app runs every
    :attr:`PERIOD` seconds in the background (one single-row query when nothing changed: the
    cache version of :mod:`storage.versions`, which every change of a user row renews), so no
    request pays a query for it.
    """

    PERIOD = 2.0

    def __init__(self, sessions: Any) -> None:
        self._sessions = sessions
        self._ids: frozenset[int] = frozenset()
        self._version: object = object()

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._ids

    def changed(self, user_id: int, active: bool) -> None:
        self._ids = self._ids - {user_id} if active else self._ids | {user_id}

    def refresh(self) -> None:
        from sqlalchemy import select

        from storage.versions import version

        with self._sessions() as session:
            token = version(session)
            if token is not None and token == self._version:
                return
            ids = frozenset(session.scalars(select(UserRow.id).where(UserRow.active.is_(False))))
        self._ids, self._version = ids, token


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
        if principal.user_id in state.disabled_users:
            raise NotAuthorizedException("账户已停用 (this account is disabled)")
        return AuthenticationResult(user=principal, auth=raw)


def auth_middleware() -> DefineMiddleware:
    return DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS)


def allowed(
    action: Action,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the caller's role must be granted ``action`` by the access policy (on something:
    whether on *this* record is the service's question)."""
    roles = roles_for(action)
    needs = [r for r in Role if r in roles]  # in the Role enum's order, for a stable message

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException("未登录 (not authenticated)")
        if user.role not in roles:
            raise PermissionDeniedException(
                f"角色“{ROLE_LABELS.get(user.role, (user.role,))[0]}”无权执行此操作，"
                f"需要：{'、'.join(ROLE_LABELS[r][0] for r in needs)}"
                f" (role '{user.role}' may not do this; needs {', '.join(needs)})"
            )

    guard.__name__ = f"allowed_{action.name.lower()}"
    return guard


def actor_of(principal: Principal) -> Actor:
    return Actor(
        username=principal.username,
        role=principal.role,
        user_id=principal.user_id,
        department=principal.department,
        enterprise_id=principal.enterprise_id,
        intermediary_id=principal.intermediary_id,
    )
