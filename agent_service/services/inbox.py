"""An agent's inbox of stored alerts, and marking them read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from access.actor import Actor
from access.policy import Action, can
from agent_service import alerts as rules
from agent_service.errors import AgentForbidden, AgentNotFound
from agent_service.model import Alert
from agent_service.orm import AlertRow
from agent_service.services.common import RISK_RANK, agent_target
from approvals.orm import ProjectRow
from i18n import Lang, Text
from storage.engine import begin_write
from storage.paging import PageOf, Paging, fetch_page, search_clause


def alert_out(a: AlertRow, codes: dict[int, str], lang: Lang = "zh") -> dict[str, Any]:
    return {
        "id": a.id,
        "project_id": a.project_id,
        "project_code": codes.get(a.project_id),
        "kind": a.kind,
        "kind_name": rules.KIND_NAMES.get(a.kind, Text(a.kind, a.kind))(lang),
        "subject": a.subject,
        "level": a.level,
        "title": a.title_en if lang == "en" else a.title_zh,
        "raised_on": a.raised_on.isoformat(),
        "due_on": a.due_on.isoformat() if a.due_on else None,
        "read": a.read_at is not None,
        "read_at": a.read_at.isoformat() if a.read_at else None,
    }


def inbox(
    session: Session,
    actor: Actor,
    *,
    agent_user_id: int | None = None,
    unread_only: bool = False,
    limit: int = 100,
    offset: int = 0,
    lang: Lang = "zh",
) -> dict[str, Any]:
    """An agent's inbox, newest day first and overdue before warning on the same day."""
    target = agent_target(actor, agent_user_id)
    q = select(AlertRow).where(AlertRow.agent_user_id == target)
    if unread_only:
        q = q.where(AlertRow.read_at.is_(None))
    unread_q = (
        select(func.count())
        .select_from(AlertRow)
        .where(AlertRow.agent_user_id == target, AlertRow.read_at.is_(None))
        .scalar_subquery()
    )
    # the page's rows with their projects' codes and both counts (the window's count is taken
    # before the limit), in one statement
    found = session.execute(
        q.add_columns(
            ProjectRow.code,
            func.count().over().label("total"),
            (func.count().over() if unread_only else unread_q).label("unread"),
        )
        .outerjoin(ProjectRow, ProjectRow.id == AlertRow.project_id)
        .order_by(
            AlertRow.raised_on.desc(),
            (AlertRow.level == "overdue").desc(),
            AlertRow.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    if found:
        total, unread = found[0][2], found[0][3]
    elif offset == 0:
        total = unread = 0  # no alert at all (none unread, with ``unread_only``)
    else:  # past the end: the counts alone
        total, unread = session.execute(
            select(select(func.count()).select_from(q.subquery()).scalar_subquery(), unread_q)
        ).one()
    total, unread = total or 0, unread or 0
    rows = [r[0] for r in found]
    codes = {r.project_id: code for r, code, *_ in found if code is not None}
    return {
        "items": [alert_out(r, codes, lang) for r in rows],
        "total": total,
        "unread": unread,
        "limit": limit,
        "offset": offset,
    }


#: The sort keys of an agent's list of alerts.
ALERT_SORTS: dict[str, Any] = {
    "raised_on": AlertRow.raised_on,
    "level": AlertRow.level,
    "due_on": AlertRow.due_on,
    "kind": AlertRow.kind,
}


def alert_page(
    session: Session,
    actor: Actor,
    paging: Paging,
    *,
    agent_user_id: int | None = None,
    unread_only: bool = False,
    level: str | None = None,
    lang: Lang = "zh",
) -> PageOf:
    """One page of an agent's alerts, searched by title or subject, filtered by level and
    unread; the rows as :func:`alert_out` (two statements: the page with its count, project codes)."""
    target = agent_target(actor, agent_user_id)
    q = select(AlertRow).where(AlertRow.agent_user_id == target)
    if unread_only:
        q = q.where(AlertRow.read_at.is_(None))
    if level:
        q = q.where(AlertRow.level == level)
    match = search_clause(paging.q, AlertRow.title_zh, AlertRow.title_en, AlertRow.subject)
    if match is not None:
        q = q.where(match)
    page = fetch_page(session, q, paging, ALERT_SORTS, tiebreak=AlertRow.id)
    codes = dict(
        session.execute(
            select(ProjectRow.id, ProjectRow.code).where(
                ProjectRow.id.in_({r.project_id for r in page.items})
            )
        ).all()
    )
    return PageOf([alert_out(r, codes, lang) for r in page.items], page.total, page.paging)


def mark_read(
    session: Session, actor: Actor, ids: Sequence[int] = (), *, everything: bool = False
) -> int:
    """Mark the agent's own alerts read (``everything``: all unread).  Returns how many changed.

    Raises
    ------
    AgentNotFound
        An id that is not one of the caller's alerts (named).
    """
    if not can(actor, Action.AGENT_DESK) or actor.user_id is None:
        raise AgentForbidden("只有代办员本人可以标记已读", "only the agent marks their alerts read")
    begin_write(session)
    mine = AlertRow.agent_user_id == actor.user_id
    now = datetime.now(UTC)
    if everything:
        result = session.execute(
            update(AlertRow).where(mine, AlertRow.read_at.is_(None)).values(read_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    wanted = list(dict.fromkeys(ids))
    owned = set(session.scalars(select(AlertRow.id).where(mine, AlertRow.id.in_(wanted))))
    for i in wanted:
        if i not in owned:
            raise AgentNotFound(f"提醒 {i} 不存在", f"alert {i} not found")
    result = session.execute(
        update(AlertRow)
        .where(AlertRow.id.in_(wanted), AlertRow.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- alerts as the dashboard and the digest show them ---------------------------------------------


def alert_dict(a: Alert, lang: Lang) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "kind_name": rules.KIND_NAMES.get(a.kind, Text(a.kind, a.kind))(lang),
        "subject": a.subject,
        "level": a.level,
        "title": a.title(lang),
        "due_on": a.due_on.isoformat() if a.due_on else None,
    }


def sorted_alerts(found: Iterable[Alert]) -> list[Alert]:
    return sorted(
        found, key=lambda a: (RISK_RANK[a.level], a.due_on or date.max, a.kind, a.subject)
    )
