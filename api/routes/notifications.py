"""The caller's in-app notifications: list (search, unread only, pages) and mark read."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.orm import Session

from access.notifications import (
    KINDS,
    NOTIFICATION_SORTS,
    mark_read,
    notification_page,
    unread_count,
)
from api.errors import request_lang
from api.openapi import WRITE, problems
from api.routes.common import (
    Id,
    PageParam,
    SearchParam,
    SizeParam,
    SortParam,
    actor,
    page_meta,
    paging_query,
)
from api.schemas.common import to
from api.schemas.notifications import NotificationsMarked, NotificationsOut


@get(
    "/api/notifications",
    operation_id="listNotifications",
    tags=["auth"],
    sync_to_thread=True,
    responses=problems(400, 401),
    summary="我的消息 My notifications",
)
def list_notifications(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    unread: Annotated[bool, QueryParameter()] = False,
    page: PageParam = None,
    size: SizeParam = None,
    sort: SortParam = None,
    q: SearchParam = None,
) -> NotificationsOut:
    """The caller's own notifications, newest first by default; ``sort`` is created_at or
    kind."""
    who = actor(request)
    paging = paging_query(NOTIFICATION_SORTS, "-created_at", page, size, sort, q)
    found = notification_page(session, who, paging, unread_only=unread)
    en = request_lang(request) == "en"
    items = [
        {
            "id": n.id,
            "kind": n.kind,
            "kind_name": KINDS.get(n.kind, (n.kind, n.kind))[1 if en else 0],
            "text": n.text_en if en else n.text_zh,
            "link": n.link,
            "project_id": n.project_id,
            "created_at": n.created_at.isoformat(),
            "read": n.read_at is not None,
        }
        for n in found.items
    ]
    return to(
        NotificationsOut,
        {"items": items, "unread": unread_count(session, who.user_id or 0), **page_meta(found)},
    )


class MarkIn(msgspec.Struct, forbid_unknown_fields=True):
    """``ids`` of my notifications to mark read, or ``all``."""

    ids: list[Id] = msgspec.field(default_factory=list)
    all: bool = False


@post(
    "/api/notifications/read",
    operation_id="markNotificationsRead",
    tags=["auth"],
    sync_to_thread=True,
    status_code=200,
    responses=problems(*WRITE),
    summary="标为已读 Mark my notifications read",
)
def read_notifications(
    data: JSONBody[MarkIn], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> NotificationsMarked:
    """Another user's ids are ignored (not an error: their existence is not told)."""
    who = actor(request)
    marked = mark_read(session, who, data.ids, everything=data.all)
    session.commit()
    return to(
        NotificationsMarked, {"marked": marked, "unread": unread_count(session, who.user_id or 0)}
    )


ROUTES = [list_notifications, read_notifications]
