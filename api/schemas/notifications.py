"""In-app notifications (站内消息) as the API answers them."""

from __future__ import annotations

from api.schemas.common import Out, PageMeta


class NotificationOut(Out):
    id: int
    kind: str
    kind_name: str
    text: str
    link: str
    project_id: int | None
    created_at: str
    read: bool


class NotificationsOut(PageMeta):
    items: list[NotificationOut]
    unread: int


class NotificationsMarked(Out):
    marked: int
    unread: int
