"""The HTTP application: ``create_app()`` builds it from settings at startup, never at import.

Handlers are synchronous and run in the thread pool; each gets a SQLAlchemy session for the
request (the unit of work: write handlers commit through their service call, the session is
rolled back and closed when the request ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar, Request, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from api.errors import EXCEPTION_HANDLERS
from api.settings import Settings
from storage.engine import begin_write, make_engine, make_session_factory
from storage.migrate import current_revision, head_revision, upgrade

API_TAGS = [
    Tag(name="system", description="健康检查 Health"),
    Tag(name="ogc", description="标准地 OGC API – Features (Part 1 Core, GeoJSON)"),
]


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def provide_session(state: State, request: Request) -> Iterator[Session]:
    """One session per request; whatever was not committed is rolled back.  Requests that may
    write begin as writers (see :func:`storage.engine.begin_write`)."""
    session: Session = state.sessions()
    if request.method in UNSAFE_METHODS:
        begin_write(session)
    try:
        yield session
    finally:
        session.close()


def provide_settings(state: State) -> Settings:
    return state.settings


@get(
    "/api/health",
    operation_id="health",
    tags=["system"],
    sync_to_thread=True,
    summary="Health check",
)
def health(session: Session) -> dict[str, Any]:
    """Answers when the database does; names the schema revision."""
    revision = session.execute(text("select version_num from alembic_version")).scalar()
    return {"status": "ok", "revision": revision, "head": head_revision()}


def route_handlers() -> list[Any]:
    """Every router of the app; each capability adds its own here."""
    from api.ogc import ROUTES as OGC_ROUTES

    return [health, *OGC_ROUTES]


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, migrate: bool = True
) -> Litestar:
    """Build the app.  ``engine`` may be given (tests); otherwise one is made from the settings."""
    settings = settings or Settings.from_env()

    def on_startup(app: Litestar) -> None:
        db = engine or make_engine(settings.database_url)
        if migrate and current_revision(db) != head_revision():
            upgrade(db)
        app.state.engine = db
        app.state.sessions = make_session_factory(db)

    def on_shutdown(app: Litestar) -> None:
        if engine is None and getattr(app.state, "engine", None) is not None:
            app.state.engine.dispose()

    return Litestar(
        route_handlers=route_handlers(),
        dependencies={
            "session": Provide(provide_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        state=State({"settings": settings}),
        openapi_config=OpenAPIConfig(
            title="onetrip API",
            version="0.1.0",
            description="投资项目并联审批、标准地与承诺制监管 — parallel approval, standard plots and commitments.",
            path="/schema",
            tags=API_TAGS,
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
                }
            ),
        ),
        cors_config=CORSConfig(allow_origins=[]),
        debug=settings.debug,
        request_max_body_size=64 * 1024 * 1024,
    )


def create_app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory`` (several worker processes)."""
    return create_app()


__all__ = ["Request", "create_app", "create_app_from_env", "sessionmaker"]
