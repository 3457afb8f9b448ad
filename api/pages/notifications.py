"""A user's in-app notifications (站内消息): the list (search, unread only, pages) and marking
them read; the header of every page shows the unread count (:func:`api.pages.layout.context`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.notifications import KINDS, NOTIFICATION_SORTS, mark_read, notification_page
from api.auth import actor_of
from api.clock import CHINA, Clock
from api.pages import texts
from api.pages.layout import context, page_lang, require_user, run_form_action
from api.pages.listing import Listing, filter_value, paging_of

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


@get("/notifications", include_in_schema=False, sync_to_thread=True)
def notifications_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request)
    lang = page_lang(request)
    paging = paging_of(request, tuple(NOTIFICATION_SORTS), "-created_at")
    show = filter_value(request, "show", ("unread",))
    page = notification_page(session, actor_of(user), paging, unread_only=show == "unread")
    en = lang == "en"
    items = [
        {
            "id": n.id,
            "kind": KINDS.get(n.kind, (n.kind, n.kind))[1 if en else 0],
            "text": n.text_en if en else n.text_zh,
            "link": n.link,
            "at": n.created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
            "read": n.read_at is not None,
        }
        for n in page.items
    ]
    listing = Listing(
        path="/notifications",
        page=page,
        sort_labels={
            "created_at": texts.text("notification_time", lang),
            "kind": texts.text("notification_kind", lang),
        },
        filters={"show": show},
        filter_options={"show": [("unread", texts.text("unread", lang))]},
        filter_labels={"show": texts.text("status", lang)},
    )
    return Template(
        "notifications.html",
        context=context(request, session, clock, items=items, listing=listing),
    )


@post("/notifications/read", include_in_schema=False, sync_to_thread=True)
def notifications_read(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    """Mark one notification read (``id``) or every unread one (no ``id``); then, when the
    form asks (``next``), go where the notification points."""
    user = require_user(request)
    raw = data.get("id") or ""
    ids = [int(raw)] if raw.isdigit() and len(raw) < 10 else []
    target = data.get("next") or ""
    safe = target if target.startswith("/") and not target.startswith("//") else ""
    return run_form_action(
        request,
        session,
        "/notifications",
        lambda: mark_read(session, actor_of(user), ids, everything=not ids),
        ("已标为已读", "marked read"),
        then=(lambda _: safe) if safe else None,
    )


ROUTES = [notifications_page, notifications_read]
