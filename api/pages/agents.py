"""Pages of the proxy agents (代办员): the dashboard of at-risk projects with the alert inbox,
the 代办清单 of a project in three phases, joint meetings (联席会议) with their decisions and
follow-up actions, and the administrators' workload view.

Everything is read and written through :mod:`agent_service.services`, which enforces the roles
again (an agent sees only the projects assigned to them).  The project page
(:mod:`api.pages.projects`) names the agent (:func:`with_agent`, :func:`agent_named`) and links here
(:func:`project_block`); filing from the page assigns an agent by rule
(:func:`assign_after_filing`, called by :mod:`api.pages.enterprise`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.orm import UserRow
from access.policy import Action, can, roles_for
from agent_service.errors import AgentInputError
from agent_service.orm import AgentProfileRow
from agent_service.ports import CheckpointSources
from agent_service.services import assignment as assignment_service
from agent_service.services import checklist as checklist_service
from agent_service.services import dashboard as dashboard_service
from agent_service.services import inbox as inbox_service
from agent_service.services import meetings as meetings_service
from agent_service.services import profiles as profiles_service
from api.auth import Principal, actor_of
from api.clock import Clock
from api.pages import layout as pages
from api.pages.files import feed_link
from api.pages.listing import Listing, filter_value, paging_of
from api.routes.common import IdPath
from approvals.orm import ProjectRow
from approvals.services import queries

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: Who may open the agents' pages (the service narrows an agent to their own projects), and
#: who may write on them: the policy's roles.
READERS = roles_for(Action.AGENT_READ)
WRITERS = roles_for(Action.AGENT_WORK)
#: Blank rows for follow-up actions on the minutes form.
ACTION_ROWS = 3


def _field(data: dict[str, Any], name: str) -> str:
    """One form value (the last, if a field came twice)."""
    value = data.get(name, "")
    return (value[-1] if isinstance(value, list) else value).strip()


def _values(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    return [v for v in (value if isinstance(value, list) else [value]) if v.strip()]


def _date(data: dict[str, Any], name: str, label: tuple[str, str]) -> date:
    raw = _field(data, name)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise AgentInputError(
            f"{label[0]}（{name}）应为日期 YYYY-MM-DD，收到“{raw[:20]}”",
            f"{label[1]} ({name}) must be a date YYYY-MM-DD, got {raw[:20]!r}",
        ) from None


# --- hooks on the project page --------------------------------------------------------------------


#: What the project page shows of its agent, labelled as :func:`with_agent` reads them.
_AGENT_COLUMNS = (
    UserRow.display_name.label("agent_display_name"),
    UserRow.username.label("agent_username"),
    UserRow.phone.label("agent_phone"),
    AgentProfileRow.user_id.label("agent_profile"),
    AgentProfileRow.office.label("agent_office"),
)


def with_agent(q: Any) -> Any:
    """A project statement with its agent's account and profile outer-joined (for
    :func:`approvals.services.queries.get_project_with`; :func:`agent_named` reads the row)."""
    return (
        q.outerjoin(UserRow, UserRow.id == ProjectRow.agent_user_id)
        .outerjoin(AgentProfileRow, AgentProfileRow.user_id == UserRow.id)
        .add_columns(*_AGENT_COLUMNS)
    )


def agent_named(row: Any) -> dict[str, Any] | None:
    """The agent (name, phone, office) from a row of :data:`_AGENT_COLUMNS`; None without one."""
    if row is None or row.agent_username is None:
        return None
    return {
        "name": row.agent_display_name or row.agent_username,
        "phone": row.agent_phone,
        "office": row.agent_office if row.agent_profile is not None else "",
    }


def assign_after_filing(session: Session, project: ProjectRow) -> None:
    """Filing from the page assigns an agent by rule, as filing over the API does."""
    assignment_service.assign_on_filing(session, project, project.filed_on, by="web")


def project_block(session: Session, project: ProjectRow, user: Principal, lang: str) -> str:
    """Links to the 代办清单, the meetings and the assignment for those who work the project."""
    if user.role not in READERS:
        return ""
    return _ENV.get_template("agent_block.html").render(lang=lang, project=project, user=user)


# --- the dashboard -----------------------------------------------------------------------------------


def _dashboard_page(
    request: Request[Any, Any, Any],
    session: Session,
    clock: Clock,
    user: Principal,
    agent_user_id: int | None,
    checkpoints: CheckpointSources,
) -> Template:
    lang = pages.page_lang(request)
    who = actor_of(user)
    today = clock.today()
    board = dashboard_service.dashboard(
        session,
        who,
        today,
        agent_user_id=agent_user_id,
        lang=lang,
        checkpoints=checkpoints,
    )
    inbox = inbox_service.inbox(
        session, who, agent_user_id=agent_user_id, unread_only=True, limit=50, lang=lang
    )
    return Template(
        "agent_dashboard.html",
        context=pages.context(
            request,
            session,
            clock,
            board=board,
            inbox=inbox,
            own=can(who, Action.AGENT_DESK),
            feed_url=feed_link(request, session, user.user_id)
            if can(who, Action.AGENT_DESK)
            else None,
        ),
    )


@get("/agent", include_in_schema=False, sync_to_thread=True)
def my_dashboard(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    checkpoints: NamedDependency[CheckpointSources],
) -> Template:
    user = pages.require_user(request, *roles_for(Action.AGENT_DESK))
    return _dashboard_page(request, session, clock, user, None, checkpoints)


@get("/agents/{agent_id:int}", include_in_schema=False, sync_to_thread=True)
def agent_dashboard(
    agent_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    checkpoints: NamedDependency[CheckpointSources],
) -> Template:
    user = pages.require_user(request, *READERS)
    return _dashboard_page(request, session, clock, user, agent_id, checkpoints)


_ALERT_SORT_LABELS = {
    "raised_on": ("日期", "Date"),
    "level": ("级别", "Severity"),
    "due_on": ("到期", "Due"),
    "kind": ("类别", "Kind"),
}
_LEVELS = {"overdue": ("逾期", "overdue"), "warning": ("预警", "warning")}


@get("/agent/alerts", include_in_schema=False, sync_to_thread=True)
def my_alerts(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """The agent's alerts, searched, filtered (level, unread), sorted and paged."""
    user = pages.require_user(request, *roles_for(Action.AGENT_DESK))
    lang = pages.page_lang(request)
    i = 1 if lang == "en" else 0
    paging = paging_of(request, tuple(inbox_service.ALERT_SORTS), "-raised_on")
    level = filter_value(request, "level", tuple(_LEVELS))
    show = filter_value(request, "show", ("unread",))
    page = inbox_service.alert_page(
        session,
        actor_of(user),
        paging,
        unread_only=show == "unread",
        level=level or None,
        lang=lang,  # type: ignore[arg-type]
    )
    listing = Listing(
        path="/agent/alerts",
        page=page,
        sort_labels={k: v[i] for k, v in _ALERT_SORT_LABELS.items()},
        filters={"level": level, "show": show},
        filter_options={
            "level": [(k, v[i]) for k, v in _LEVELS.items()],
            "show": [("unread", "unread" if i else "未读")],
        },
        filter_labels={"level": "Severity" if i else "级别", "show": "Status" if i else "状态"},
    )
    return Template(
        "agent_alerts.html",
        context=pages.context(
            request,
            session,
            clock,
            alerts=page.items,
            listing=listing,
            level_names={k: v[i] for k, v in _LEVELS.items()},
        ),
    )


@post("/agent/inbox/read", include_in_schema=False, sync_to_thread=True)
def mark_read(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    user = pages.require_user(request, *roles_for(Action.AGENT_DESK))
    ids = [int(v) for v in _values(data, "id") if v.isdigit() and len(v) < 10]
    return pages.run_form_action(
        request,
        session,
        "/agent",
        lambda: inbox_service.mark_read(session, actor_of(user), ids, everything=not ids),
        ("提醒已标记为已读", "alerts marked read"),
    )


@get("/admin/agents", include_in_schema=False, sync_to_thread=True)
def workload_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request, *roles_for(Action.AGENT_MANAGE))
    figures = dashboard_service.workload(
        session,
        actor_of(user),
        clock.today(),
        checkpoints=checkpoints,
    )
    return Template(
        "agent_workload.html", context=pages.context(request, session, clock, w=figures)
    )


@get("/projects/{project_id:int}/agent", include_in_schema=False, sync_to_thread=True)
def assignment_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """The project's agent and the assignment history; administrators reassign here."""
    user = pages.require_user(request, *READERS)
    lang = pages.page_lang(request)
    who = actor_of(user)
    current = assignment_service.project_agent(session, who, project_id)
    history = assignment_service.assignment_history(session, who, project_id, lang)
    choices = (
        [a for a in profiles_service.agent_profiles(session) if a.active]
        if can(who, Action.AGENT_MANAGE)
        else []
    )
    return Template(
        "agent_assignment.html",
        context=pages.context(
            request, session, clock, current=current, history=history, choices=choices
        ),
    )


@post("/projects/{project_id:int}/agent", include_in_schema=False, sync_to_thread=True)
def reassign(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = pages.require_user(request, *roles_for(Action.AGENT_MANAGE))
    raw = _field(data, "agent_id")

    def act() -> None:
        if not raw.isdigit() or len(raw) > 9:
            raise AgentInputError("请选择代办员（agent_id）", "choose an agent (agent_id)")
        assignment_service.reassign(
            session,
            actor_of(user),
            project_id,
            int(raw),
            _field(data, "reason"),
            clock.today(),
        )

    return pages.run_form_action(
        request, session, f"/projects/{project_id}/agent", act, ("已改派代办员", "agent reassigned")
    )


# --- the checklist (代办清单) ------------------------------------------------------------------------


@get("/projects/{project_id:int}/checklist", include_in_schema=False, sync_to_thread=True)
def checklist_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request, *READERS)
    lang = pages.page_lang(request)
    pages.header_first(session, user)  # the header's unread count comes with the project
    listed = checklist_service.checklist(
        session,
        actor_of(user),
        project_id,
        clock.today(),
        None,  # the database's calendar, looked up once the project is read
        lang,
        checkpoints=checkpoints,
    )
    return Template(
        "agent_checklist.html",
        context=pages.context(request, session, clock, c=listed, can_write=user.role in WRITERS),
    )


@post("/projects/{project_id:int}/checklist", include_in_schema=False, sync_to_thread=True)
def checklist_note(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    checkpoints: NamedDependency[CheckpointSources],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = pages.require_user(request, *WRITERS)
    key = _field(data, "key")
    return pages.run_form_action(
        request,
        session,
        f"/projects/{project_id}/checklist#e-{key.replace(':', '-')}",
        lambda: checklist_service.set_note(
            session,
            actor_of(user),
            project_id,
            key,
            note=_field(data, "note"),
            done=_field(data, "done") == "on",
            on=clock.today(),
            checkpoints=checkpoints,
        ),
        ("已保存", "saved"),
    )


# --- joint meetings (联席会议) -----------------------------------------------------------------------


@get("/projects/{project_id:int}/meetings", include_in_schema=False, sync_to_thread=True)
def meetings_page(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request, *READERS)
    lang = pages.page_lang(request)
    who = actor_of(user)
    items = meetings_service.meetings(session, who, project_id, lang)
    project = queries.get_project(session, who, project_id)
    departments = sorted({d for s in project.steps for d in s.departments})
    return Template(
        "agent_meetings.html",
        context=pages.context(
            request,
            session,
            clock,
            project=project,
            items=items,
            departments=departments,
            can_write=user.role in WRITERS,
        ),
    )


@post("/projects/{project_id:int}/meetings", include_in_schema=False, sync_to_thread=True)
def convene(
    project_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Form,
) -> Redirect:
    user = pages.require_user(request, *WRITERS)
    url = f"/projects/{project_id}/meetings"

    def act() -> None:
        meetings_service.create_meeting(
            session,
            actor_of(user),
            project_id,
            title=_field(data, "title"),
            held_on=_date(data, "held_on", ("会议日期", "meeting date")),
            departments=_values(data, "departments"),
            location=_field(data, "location"),
            agenda=_field(data, "agenda"),
        )

    return pages.run_form_action(request, session, url, act, ("已召集联席会议", "meeting convened"))


@get(
    "/projects/{project_id:int}/meetings/{meeting_id:int}",
    include_in_schema=False,
    sync_to_thread=True,
)
def meeting_page(
    project_id: IdPath,
    meeting_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request, *READERS)
    lang = pages.page_lang(request)
    m = meetings_service.get_meeting(session, actor_of(user), project_id, meeting_id, lang)
    return Template(
        "agent_meeting.html",
        context=pages.context(
            request, session, clock, m=m, can_write=user.role in WRITERS, action_rows=ACTION_ROWS
        ),
    )


@post(
    "/projects/{project_id:int}/meetings/{meeting_id:int}/minutes",
    include_in_schema=False,
    sync_to_thread=True,
)
def minutes(
    project_id: IdPath,
    meeting_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = pages.require_user(request, *WRITERS)
    url = f"/projects/{project_id}/meetings/{meeting_id}"

    def act() -> None:
        decisions = [line.strip() for line in _field(data, "decisions").splitlines()]
        actions = []
        for i in range(ACTION_ROWS):
            text = _field(data, f"action_text_{i}")
            if not text:
                continue
            actions.append(
                meetings_service.ActionSpec(
                    text,
                    _field(data, f"action_owner_{i}"),
                    _date(data, f"action_due_{i}", (f"第 {i + 1} 项的期限", f"action {i + 1} due")),
                    _field(data, f"action_dept_{i}") or None,
                )
            )
        meetings_service.record_minutes(
            session,
            actor_of(user),
            project_id,
            meeting_id,
            decisions=[d for d in decisions if d],
            actions=actions,
            on=clock.today(),
        )

    return pages.run_form_action(request, session, url, act, ("会议纪要已记录", "minutes recorded"))


@post(
    "/projects/{project_id:int}/meetings/{meeting_id:int}/actions/{action_id:int}/close",
    include_in_schema=False,
    sync_to_thread=True,
)
def close_action(
    project_id: IdPath,
    meeting_id: IdPath,
    action_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = pages.require_user(request, *WRITERS)
    return pages.run_form_action(
        request,
        session,
        f"/projects/{project_id}/meetings/{meeting_id}",
        lambda: meetings_service.close_action(
            session,
            actor_of(user),
            project_id,
            meeting_id,
            action_id,
            on=clock.today(),
            note=_field(data, "note"),
        ),
        ("跟进事项已关闭", "action closed"),
    )


ROUTES = [
    my_dashboard,
    my_alerts,
    agent_dashboard,
    mark_read,
    workload_page,
    assignment_page,
    reassign,
    checklist_page,
    checklist_note,
    meetings_page,
    convene,
    meeting_page,
    minutes,
    close_action,
]

__all__ = ["ROUTES", "agent_named", "assign_after_filing", "project_block", "with_agent"]
