"""Server-rendered pages: templates, static assets and their routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import pass_context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.pages.routes import department_name

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@pass_context
def _dept(ctx: Any, code: str) -> str:
    return department_name(code, ctx.get("lang", "zh"))


def _setup(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["dept"] = _dept
    engine.engine.globals["department_name"] = department_name


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_setup)


def static_router() -> Any:
    return create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False, cache_control=None
    )
