"""The pages of the two clocks' own activities and of the intermediaries (中介机构): the block on
a project's page (both clocks, whose a delay is, the enterprise's progress), the 中介超市 picker,
the intermediary's worklist (its chosen activities only: report, delivery) and the
administrator's registry of organisations."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.policy import Action, can, roles_for
from api.auth import Principal, actor_of
from api.clock import Clock
from api.pages.layout import context, page_lang, require_user, run_form_action
from api.routes.common import IdPath
from approvals.activities import ActivityError
from approvals.orm import ProjectRow
from approvals.service import active_catalogue, work_calendar
from approvals.services import intermediaries as service
from approvals.services import materials
from approvals.services.ratings import RATING_LABELS

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
CodePath = Annotated[str, PathParameter(min_length=1, max_length=64)]


def _date(raw: str | None, field: str) -> Any:
    from datetime import date

    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ActivityError(
            f"{field}：'{raw[:20]}' 不是日期（YYYY-MM-DD）", f"{field}: '{raw[:20]}' is not a date"
        ) from None


def project_view(
    session: Session, project: ProjectRow, user: Principal, today: Any, lang: str
) -> dict[str, Any]:
    """The project page's block of the enterprise's and intermediaries' activities (the project
    is already loaded with the caller's visibility)."""
    who = actor_of(user)
    view = service.project_activities(
        session, who, project.id, today, work_calendar(session), lang, project=project
    )
    return {
        **view,
        "can_report": can(who, Action.ACTIVITY_REPORT, project),
        "can_choose": can(who, Action.INTERMEDIARY_CHOOSE, project),
        "rating_labels": sorted(RATING_LABELS.items(), reverse=True),
    }


@post(
    "/projects/{project_id:int}/activities/{activity_code:str}/progress",
    include_in_schema=False,
    sync_to_thread=True,
)
def progress_submit(
    project_id: IdPath,
    activity_code: CodePath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = require_user(request, *roles_for(Action.ACTIVITY_REPORT))
    today = clock.today()
    event = data.get("event", "")
    ok = (
        ("已报告：活动完成", "reported: done")
        if event == "finish"
        else ("已报告：活动开始", "reported: started")
    )
    return run_form_action(
        request,
        session,
        f"/projects/{project_id}#activities-h",
        lambda: service.report_progress(
            session,
            actor_of(user),
            project_id,
            activity_code,
            event,
            _date(data.get("on"), "on") or today,
            today,
            _date(data.get("started_on"), "started_on"),
        ),
        ok,
    )


@get(
    "/projects/{project_id:int}/activities/{activity_code:str}/market",
    include_in_schema=False,
    sync_to_thread=True,
)
def market_page(
    project_id: IdPath,
    activity_code: CodePath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """中介超市: the organisations qualified for the activity, with rating and committed days."""
    user = require_user(request, *roles_for(Action.INTERMEDIARY_CHOOSE))
    row, offers = service.offers(session, actor_of(user), project_id, activity_code)
    return Template(
        "intermediary_market.html",
        context=context(
            request,
            session,
            clock,
            project_id=project_id,
            activity={"code": row.code, "name": row.name, "chosen": row.intermediary_id},
            offers=offers,
        ),
    )


@post(
    "/projects/{project_id:int}/activities/{activity_code:str}/intermediary",
    include_in_schema=False,
    sync_to_thread=True,
)
def choose_submit(
    project_id: IdPath,
    activity_code: CodePath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = require_user(request, *roles_for(Action.INTERMEDIARY_CHOOSE))
    raw = data.get("intermediary_id", "")
    return run_form_action(
        request,
        session,
        f"/projects/{project_id}/activities/{activity_code}/market",
        lambda: service.choose(
            session,
            actor_of(user),
            project_id,
            activity_code,
            int(raw) if raw.isdigit() else 0,
            clock.today(),
        ),
        ("已选定中介机构，服务计时开始", "intermediary chosen; its clock has started"),
        then=lambda _: f"/projects/{project_id}#activities-h",
    )


@post(
    "/projects/{project_id:int}/activities/{activity_code:str}/rating",
    include_in_schema=False,
    sync_to_thread=True,
)
def rate_submit(
    project_id: IdPath,
    activity_code: CodePath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Form,
) -> Redirect:
    user = require_user(request, *roles_for(Action.INTERMEDIARY_CHOOSE))
    raw = data.get("score", "")
    return run_form_action(
        request,
        session,
        f"/projects/{project_id}#activities-h",
        lambda: service.rate(
            session,
            actor_of(user),
            project_id,
            activity_code,
            int(raw) if raw.isdigit() else 0,
            data.get("comment", ""),
        ),
        ("感谢评价", "thank you for rating"),
    )


# --- the intermediary's worklist -------------------------------------------------------------


#: The latest 督办 records a page shows.
SUPERVISIONS_SHOWN = 50


@get("/intermediary", include_in_schema=False, sync_to_thread=True)
def worklist_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """The activities the user's organisation was chosen for — and nothing else."""
    user = require_user(request, *roles_for(Action.INTERMEDIARY_WORK))
    lang = page_lang(request)
    me = actor_of(user)
    items = service.my_activities(session, me, clock.today(), work_calendar(session), lang)
    supervised = service.supervisions(
        session, intermediary_id=me.intermediary_id or -1, lang=lang, limit=SUPERVISIONS_SHOWN
    )
    return Template(
        "intermediary_worklist.html",
        context=context(request, session, clock, items=items, supervisions=supervised),
    )


@post(
    "/intermediary/activities/{activity_id:int}/report",
    include_in_schema=False,
    sync_to_thread=True,
)
def report_submit(
    activity_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Redirect:
    user = require_user(request, *roles_for(Action.INTERMEDIARY_WORK))
    upload = data.get("file")
    content = (
        upload.file.read(materials.MAX_MATERIAL_BYTES + 1)
        if isinstance(upload, UploadFile)
        else b""
    )
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    return run_form_action(
        request,
        session,
        "/intermediary",
        lambda: service.upload_report(
            session, actor_of(user), activity_id, filename or "", content
        ),
        ("报告已上传", "report uploaded"),
    )


@post(
    "/intermediary/activities/{activity_id:int}/delivery",
    include_in_schema=False,
    sync_to_thread=True,
)
def deliver_submit(
    activity_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Redirect:
    user = require_user(request, *roles_for(Action.INTERMEDIARY_WORK))
    return run_form_action(
        request,
        session,
        "/intermediary",
        lambda: service.deliver(
            session, actor_of(user), activity_id, clock.today(), work_calendar(session)
        ),
        ("已交付", "delivered"),
    )


# --- the administrator's registry ------------------------------------------------------------


@get("/admin/intermediaries", include_in_schema=False, sync_to_thread=True)
def registry_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request, *roles_for(Action.INTERMEDIARY_MANAGE))
    catalogue = active_catalogue(session)
    return Template(
        "admin_intermediaries.html",
        context=context(
            request,
            session,
            clock,
            organisations=service.list_intermediaries(session, actor_of(user)),
            services=service.service_names(catalogue),
            supervisions=service.supervisions(
                session, lang=page_lang(request), limit=SUPERVISIONS_SHOWN
            ),
        ),
    )


@post("/admin/intermediaries", include_in_schema=False, sync_to_thread=True)
def registry_submit(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    """The form gives each service's committed days in a field ``days_<code>`` (empty: not
    provided)."""
    user = require_user(request, *roles_for(Action.INTERMEDIARY_MANAGE))

    def act() -> Any:
        catalogue = active_catalogue(session)
        services: dict[str, Any] = {}
        for code in service.service_names(catalogue):
            raw = (data.get(f"days_{code}") or "").strip()
            if raw:
                services[code] = int(raw) if raw.isdigit() else -1
        return service.register_intermediary(
            session,
            actor_of(user),
            catalogue,
            name=data.get("name", ""),
            credit_code=(data.get("credit_code") or "").strip(),
            services=services,
            contact_name=data.get("contact_name", ""),
            phone=data.get("phone", ""),
        )

    return run_form_action(
        request,
        session,
        "/admin/intermediaries",
        act,
        ("中介机构已登记", "intermediary registered"),
    )


ROUTES = [
    progress_submit,
    market_page,
    choose_submit,
    rate_submit,
    worklist_page,
    report_submit,
    deliver_submit,
    registry_page,
    registry_submit,
]
