"""Server-rendered pages: templates, static assets and their routes.

One module per concern — :mod:`~api.pages.layout` (what every page shares), ``session`` (login,
language), ``projects``, ``enterprise`` (filing), ``tasks`` (reviewers), ``admin``, ``plots``,
``commitments``, ``agents`` — gathered by :func:`page_routes`; the app factory takes them from
there, and the HTML error page from :func:`api.pages.layout.error_page`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import pass_context
from litestar import get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import File
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.pages.layout import department_name
from i18n.fonts import BUNDLED_CJK_FONT

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@pass_context
def _dept(ctx: Any, code: str) -> str:
    return department_name(ctx.get("department_names", {}), code, ctx.get("lang", "zh"))


@pass_context
def _material(ctx: Any, code: str) -> str:
    """A material's or certificate's name (its catalogue code is for machines, not for pages);
    the page passes ``material_names`` (code → (中文, English))."""
    zh, en = ctx.get("material_names", {}).get(code, (code, code))
    return en if ctx.get("lang") == "en" else zh


@pass_context
def _role(ctx: Any, code: str) -> str:
    from access.policy import ROLE_LABELS

    zh, en = ROLE_LABELS.get(code, (code, code))
    return en if ctx.get("lang") == "en" else zh


@pass_context
def _industry(ctx: Any, code: str) -> str:
    """An industry answer by its questionnaire label (the shipped catalogue's options)."""
    from approvals.catalog import default_catalogue
    from approvals.questionnaire import answer_label

    if code == "*":
        return "全部行业" if ctx.get("lang") != "en" else "all industries"
    zh, en = answer_label(default_catalogue(), "industry", code)
    return en if ctx.get("lang") == "en" else zh


def _setup(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["dept"] = _dept
    engine.engine.filters["material"] = _material
    engine.engine.filters["role"] = _role
    engine.engine.filters["industry"] = _industry


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_setup)


def page_routes() -> list[Any]:
    """Every page's route handler (the app factory registers them with the API's)."""
    from api.pages import (
        accounts,
        admin,
        agents,
        catalog_editing,
        certificates,
        commitments,
        credit,
        enterprise,
        files,
        intermediaries,
        notifications,
        plots,
        projects,
        ratings,
        session,
        statistics,
        tasks,
    )

    return [
        cjk_font,
        *session.ROUTES,
        *projects.ROUTES,
        *enterprise.ROUTES,
        *tasks.ROUTES,
        *admin.ROUTES,
        *catalog_editing.ROUTES,
        *accounts.ROUTES,
        *plots.ROUTES,
        *commitments.ROUTES,
        *agents.ROUTES,
        *files.ROUTES,
        *notifications.ROUTES,
        *ratings.ROUTES,
        *intermediaries.ROUTES,
        *certificates.ROUTES,
        *credit.ROUTES,
        *statistics.ROUTES,
    ]


@get("/fonts/cjk.ttf", include_in_schema=False)
async def cjk_font() -> File:
    """The bundled Noto Sans SC subset (OFL), so that pages show Chinese on a machine whose
    browser has no Chinese font; browsers fetch it only for characters no local font has."""
    return File(
        BUNDLED_CJK_FONT,
        media_type="font/ttf",
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=604800"},
    )


def static_router() -> Any:
    return create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False, cache_control=None
    )
