"""联合奖惩 and credit in the pages: an enterprise's credit records (信用记录), its 亩均 grade and the
prices that apply to it, with CSV and Excel exports (the enterprise its own only; regulators and
the administration any enterprise's); and the administration's price table per grade."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.actor import Role
from access.policy import Action, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages.layout import context, page_lang, require_user, run_form_action
from api.routes.common import IdPath
from commitments.grading import GRADES
from commitments.model import CONSEQUENCE_KINDS, Status
from commitments.services import credit
from i18n import NotFound

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _view_context(view: credit.CreditView, lang: str) -> dict[str, Any]:
    i = 1 if lang == "en" else 0
    return {
        "enterprise": {"id": view.enterprise.id, "name": view.enterprise.name},
        "grade": view.grade,
        "grade_name": GRADES[view.grade][i] if view.grade else None,
        "score": view.score,
        "graded_on": view.graded_on.isoformat() if view.graded_on else None,
        "applied": f"{view.applied_grade} {GRADES[view.applied_grade][i]}",
        "records": [
            {
                "recorded_on": r.recorded_on.isoformat(),
                "indicator": r.indicator,
                "verdict": Status(r.verdict).text(lang),
                "consequence": CONSEQUENCE_KINDS.get(
                    r.consequence, ("未触发违约条款", "no consequence")
                )[i],
                "amount_wan": r.amount_wan,
                "deadline": r.deadline.isoformat() if r.deadline else "",
                "joint_sanction": r.joint_sanction,
                "description": r.description,
            }
            for r in view.records
        ],
        "prices": [
            {"name": names[i], "unit": names[2], "price": view.prices[res]}
            for res, names in credit.RESOURCES.items()
        ],
        "table": _table(view.table, lang),
        "xlsx": credit.xlsx_available(),
    }


def _table(table: dict[str, dict[str, float]], lang: str) -> list[dict[str, Any]]:
    i = 1 if lang == "en" else 0
    return [
        {"grade": g, "grade_name": GRADES[g][i], "prices": [table[g][r] for r in credit.RESOURCES]}
        for g in GRADES
    ]


def _credit_page(
    request: Request[Any, Any, Any], session: Session, clock: Clock, enterprise_id: int
) -> Template:
    user = require_user(request, *roles_for(Action.CREDIT_READ))
    lang = page_lang(request)
    view = credit.credit_view(session, actor_of(user), enterprise_id)
    return Template(
        "credit.html",
        context=context(
            request,
            session,
            clock,
            resources=[
                (names[1] if lang == "en" else names[0], names[2])
                for names in credit.RESOURCES.values()
            ],
            **_view_context(view, lang),
        ),
    )


@get("/enterprise/credit", include_in_schema=False, sync_to_thread=True)
def own_credit_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = require_user(request, Role.ENTERPRISE)
    if user.enterprise_id is None:
        raise NotFound("该账户未关联企业", "this account belongs to no enterprise")
    return _credit_page(request, session, clock, user.enterprise_id)


@get("/enterprises/{enterprise_id:int}/credit", include_in_schema=False, sync_to_thread=True)
def enterprise_credit_page(
    enterprise_id: IdPath,
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    return _credit_page(request, session, clock, enterprise_id)


@get(
    "/enterprises/{enterprise_id:int}/credit/{name:str}",
    include_in_schema=False,
    sync_to_thread=True,
)
def credit_export(
    enterprise_id: IdPath,
    name: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[bytes]:
    """``export.csv`` or ``export.xlsx`` of the enterprise's credit records and prices."""
    user = require_user(request, *roles_for(Action.CREDIT_READ))
    if name not in {"export.csv", "export.xlsx"}:
        raise NotFound(f"没有导出格式 {name[:20]}", f"no export named {name[:20]}")
    view = credit.credit_view(session, actor_of(user), enterprise_id)
    if name == "export.csv":
        body, media = credit.export_csv(view), "text/csv; charset=utf-8"
    else:
        if not credit.xlsx_available():
            raise NotFound("服务器未安装 openpyxl，无法导出 Excel", "openpyxl is not installed")
        body = credit.export_xlsx(view)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filename = f"信用记录-{view.enterprise.name}.{name.rsplit('.', 1)[1]}"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
        },
    )


@get("/admin/prices", include_in_schema=False, sync_to_thread=True)
def prices_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    require_user(request, *roles_for(Action.PRICE_MANAGE))
    lang = page_lang(request)
    return Template(
        "admin_prices.html",
        context=context(
            request,
            session,
            clock,
            table=_table(credit.price_table(session), lang),
            resources=[
                (res, names[1] if lang == "en" else names[0], names[2])
                for res, names in credit.RESOURCES.items()
            ],
        ),
    )


@post("/admin/prices", include_in_schema=False, sync_to_thread=True)
def set_prices_page(
    request: Request[Any, Any, Any], session: NamedDependency[Session], data: Form
) -> Redirect:
    user = require_user(request, *roles_for(Action.PRICE_MANAGE))
    raw = {g: {r: data.get(f"{g}-{r}") for r in credit.RESOURCES} for g in GRADES}
    return run_form_action(
        request,
        session,
        "/admin/prices",
        lambda: credit.set_prices(session, actor_of(user), raw),
        ("差别化价格表已更新", "price table updated"),
    )


ROUTES = [own_credit_page, enterprise_credit_page, credit_export, prices_page, set_prices_page]
