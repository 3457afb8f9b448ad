"""What the pages link to, served under the page session (the cookie) rather than the API's
bearer token: uploaded materials, the map's compliance colours, and the agents' calendar
subscription links.

Access is the API's: a material is served to whoever may see its project (the owner
enterprise, reviewers of a department with a task on it, its agent, regulators and the
administration), the compliance colours to those who may read every commitment.  These are GET
routes without side effects, so the CSRF rules (on unsafe methods) are unchanged; the one POST
here, the "new link" button, carries the form's CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect
from sqlalchemy.orm import Session

from access import calendar_feeds as feeds
from access.actor import Role
from access.policy import Action, can, roles_for
from agent_service.ports import CheckpointSources
from agent_service.services import feeds as feeds_service
from api.auth import actor_of, principal_of
from api.clock import Clock
from api.pages.layout import page_lang, require_user, run_form_action
from api.routes.common import IdPath
from approvals.errors import NotFoundError
from approvals.orm import BlobRow, MaterialRow
from approvals.service import work_calendar
from approvals.services import queries
from commitments.services import publication as publication_service
from i18n import Forbidden

#: The map's compliance colours (plot code → {status, label, commitment}), for the page session.
COMPLIANCE_PATH = "/map/compliance"

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def material_url(project_id: int, material_id: int) -> str:
    return f"/projects/{project_id}/materials/{material_id}"


@get(
    "/projects/{project_id:int}/materials/{material_id:int}",
    include_in_schema=False,
    sync_to_thread=True,
)
def material_file(
    project_id: IdPath,
    material_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[bytes]:
    """An uploaded material, as a download; 404 to whoever may not see the project."""
    user = require_user(request)
    p = queries.get_project(session, actor_of(user), project_id)
    row = session.get(MaterialRow, material_id)
    blob = session.get(BlobRow, row.sha256) if row is not None and row.project_id == p.id else None
    if row is None or blob is None:
        raise NotFoundError(f"材料 {material_id} 不存在", f"material {material_id} not found")
    return Response(
        blob.content,
        media_type=row.content_type or "application/octet-stream",
        headers={
            # a download, never rendered in the site's origin (uploads are untrusted)
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "ETag": f'"{row.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@get(COMPLIANCE_PATH, include_in_schema=False, sync_to_thread=True)
def map_compliance(
    request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> dict[str, Any]:
    user = require_user(request)
    if not can(actor_of(user), Action.COMPLIANCE_READ):
        raise Forbidden("无权查看履约情况", "you may not read the compliance of commitments")
    return publication_service.plot_compliance(session, page_lang(request))


# --- calendar subscription links (日程订阅) ------------------------------------------------------


def feed_link(request: Request[Any, Any, Any], session: Session, user_id: int) -> str | None:
    """The user's subscription URL (absolute, for calendar apps), or ``None``."""
    token = feeds.feed_token(session, user_id, request.app.state.signing_key)
    if token is None:
        return None
    return f"{str(request.base_url).rstrip('/')}{feeds.FEED_PATH}{token}.ics"


@post("/agent/calendar-feed", include_in_schema=False, sync_to_thread=True)
def renew_calendar_feed(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    """Revoke the agent's link and make a new one (or only revoke, with ``revoke=1``)."""
    user = require_user(request, *roles_for(Action.AGENT_DESK))
    only = data.get("revoke") == "1"
    secret = request.app.state.signing_key
    return run_form_action(
        request,
        session,
        "/agent#feed-h",
        lambda: feeds.renew_feed(session, user.user_id, secret, revoke_only=only),
        (
            "订阅链接已停用" if only else "已生成新的订阅链接，旧链接已失效",
            "link revoked" if only else "new link made; the old one no longer works",
        ),
    )


@get(f"{feeds.FEED_PATH}{{token:str}}", include_in_schema=False, sync_to_thread=True)
def calendar_feed(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    checkpoints: NamedDependency[CheckpointSources],
) -> Response[bytes]:
    """The agent's iCalendar, to anyone holding the secret link (no session: calendar apps)."""
    owner = feeds.feed_owner(session, token.removesuffix(".ics"))
    if owner is None or owner.role != Role.AGENT:
        raise NotFoundError("订阅链接无效或已停用", "unknown or revoked calendar link")
    body = feeds_service.calendar_feed(
        session,
        actor_of(principal_of(owner)),
        owner.id,
        clock.today(),
        work_calendar(session),
        page_lang(request),
        checkpoints=checkpoints,
    )
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="agent-{owner.id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


ROUTES = [material_file, map_compliance, renew_calendar_feed, calendar_feed]
