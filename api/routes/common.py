"""What the route modules share: the caller, the clock, idempotent writes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.actor import Actor
from api.auth import Principal, actor_of
from i18n import Conflict, Malformed
from storage.idempotency import IdempotencyRow
from storage.paging import PageOf, Paging, parse_paging

IDEMPOTENCY_HEADER = "idempotency-key"

T = TypeVar("T")

#: Ids are 4-byte integers in the database: larger ones are refused as malformed (400), never
#: passed to the database (where SQLite overflows and PostgreSQL refuses them).
MAX_ID = 2**31 - 1
IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
Version = Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)]


# A list's parameters (storage.paging): read as text and checked there, so that a malformed one
# is a 400 naming it in the same words on the pages and in the API.
PageParam = Annotated[
    str | None, QueryParameter(max_length=12, description="页码，从 1 起 Page number, from 1")
]
SizeParam = Annotated[
    str | None, QueryParameter(max_length=12, description="每页条数 Rows per page (1–200)")
]
SortParam = Annotated[
    str | None,
    QueryParameter(max_length=40, description="排序键，前加 - 为降序 Sort key; - for descending"),
]
SearchParam = Annotated[
    str | None, QueryParameter(max_length=100, description="检索词 Search text")
]


def paging_query(
    sorts: Any,
    default_sort: str,
    page: str | None,
    size: str | None,
    sort: str | None,
    q: str | None,
) -> Paging:
    """The list parameters of an API route, checked by :func:`storage.paging.parse_paging`."""
    return parse_paging(
        {"page": page, "size": size, "sort": sort, "q": q}, tuple(sorts), default_sort=default_sort
    )


def page_meta(page: PageOf) -> dict[str, Any]:
    """The paging fields of a list answer (``PageMeta``)."""
    return {
        "total": page.total,
        "page": page.page,
        "size": page.paging.size,
        "pages": page.pages,
        "sort": page.paging.sort_param,
    }


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
