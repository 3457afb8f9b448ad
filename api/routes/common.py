"""What the route modules share: the caller, the clock, idempotent writes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import PathParameter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.actor import Actor
from api.auth import Principal, actor_of
from i18n import Conflict, Malformed
from storage.idempotency import IdempotencyRow

IDEMPOTENCY_HEADER = "idempotency-key"

T = TypeVar("T")

#: Ids are 4-byte integers in the database: larger ones are refused as malformed (400), never
#: passed to the database (where SQLite overflows and PostgreSQL refuses them).
MAX_ID = 2**31 - 1
IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Version = Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)]


def principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException("未登录 (not authenticated)")
    return user


def actor(request: Request[Any, Any, Any]) -> Actor:
    return actor_of(principal(request))


def fingerprint(request: Request[Any, Any, Any], payload: Any) -> str:
    body = msgspec.json.encode(payload) if not isinstance(payload, bytes) else payload
    return hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()


def idempotent(
    session: NamedDependency[Session],
    request: Request[Any, Any, Any],
    payload: Any,
    act: Callable[[], tuple[int, T]],
) -> Response[T]:
    """Run a write once per ``Idempotency-Key`` (per caller), committing it with its response.

    The key is claimed before acting: a concurrent repeat blocks on it until the first commits,
    then replays the stored response; a failed first attempt leaves no key, so a retry acts.
    Without the header the write simply runs and commits.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if not key:
        status, body = act()
        session.commit()
        return Response(body, status_code=status)
    if len(key) > 128 or not key.isprintable():
        raise Malformed(
            "Idempotency-Key 过长或含不可打印字符", "Idempotency-Key is too long or not printable"
        )
    who = principal(request)
    full = f"{who.user_id}:{key}"
    digest = fingerprint(request, payload)
    existing = session.get(IdempotencyRow, full)
    if existing is None:
        session.add(
            IdempotencyRow(
                key=full,
                method=request.method,
                path=request.url.path,
                request_sha256=digest,
                status=0,
                response=None,
            )
        )
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            existing = session.get(IdempotencyRow, full)
    if existing is not None:
        if existing.request_sha256 != digest:
            raise Conflict(
                "同一个 Idempotency-Key 已用于另一个不同的请求",
                "this Idempotency-Key was used for a different request",
            )
        return Response(
            existing.response, status_code=existing.status, headers={"Idempotency-Replayed": "true"}
        )
    status, body = act()
    row = session.get(IdempotencyRow, full)
    assert row is not None
    row.status, row.response = status, msgspec.to_builtins(body)
    session.commit()
    return Response(body, status_code=status)
