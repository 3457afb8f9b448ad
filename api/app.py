"""The HTTP application: ``create_app()`` builds it from settings at startup, never at import.

Handlers are synchronous and run in the thread pool; each gets a SQLAlchemy session for the
request (the unit of work: write handlers commit through their service call, the session is
rolled back and closed when the request ends).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme, Tag
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from agent_service.ports import CheckpointSources
from api.agent_ports import AGENT_CHECKPOINTS
from api.answers import AnswerCache
from api.auth import DisabledUsers, auth_middleware, signing_key
from api.clock import Clock
from api.configure import configure_process
from api.errors import exception_handlers
from api.openapi import StrictStructSchemaPlugin, problems
from api.ops import configure_logging, observe_requests
from api.pages import static_router, template_config
from api.pages.layout import error_page
from api.ratelimit import LoginLimiter
from api.schemas.common import HealthOut
from api.settings import Settings
from approvals.services.capacity import DEFERRAL_KEY, DeferredRecompute
from landplots.services.registry import PLOT_ASSESSMENTS
from migrations.runner import ensure_schema, head_revision
from storage.engine import begin_write, make_engine, make_session_factory

API_TAGS = [
    Tag(name="auth", description="登录 Authentication"),
    Tag(name="catalogue", description="事项清单与一次告知 Catalogue and questionnaire"),
    Tag(name="projects", description="项目：一窗受理、实时计划、材料 Projects"),
    Tag(name="tasks", description="部门审批任务 Department review tasks"),
    Tag(name="capacity", description="部门审查能力与排队预测 Department capacity and forecasts"),
    Tag(name="agents", description="代办员：代办清单、里程碑、提醒、联席会议 Proxy agents"),
    Tag(name="commitments", description="承诺制与台账 Commitments and the ledger"),
    Tag(
        name="activities",
        description="企业自身活动与中介服务（两个时钟、中介超市） Enterprise activities and intermediaries",
    ),
    Tag(name="certificates", description="电子证照与文书核验 Certificates and verification"),
    Tag(name="credit", description="信用记录与差别化价格 Credit records and grade prices"),
    Tag(name="admin", description="管理 Administration"),
    Tag(name="statistics", description="效能统计与月度报告 Efficiency statistics and reports"),
    Tag(name="system", description="健康检查 Health"),
    Tag(name="ogc", description="标准地 OGC API – Features (Part 1 Core, GeoJSON)"),
]


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


#: Closes request sessions.  Not the handlers' thread pool: a sync generator's cleanup would
#: need a token of that pool, and when every token is held by a handler waiting for a pooled
#: connection, the connections held by finished requests could never be given back (a
#: deadlock seen with 100 users logging in at once).
_SESSION_CLOSER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="session-close")


async def provide_session(state: State, request: Request) -> AsyncIterator[Session]:
    """One session per request; whatever was not committed is rolled back.

    Requests that may write get a writer's session (see :func:`storage.engine.make_session_factory`);
    a POST that only reads (login, the questionnaire) says so with ``opt={"read_only": True}``.
    Nothing here touches the database on the event loop (a lock wait there would stall every
    request): the session connects lazily in the handler's thread and is closed in
    ``_SESSION_CLOSER``.
    """
    writes = request.method in UNSAFE_METHODS and not request.route_handler.opt.get("read_only")
    session: Session = (state.write_sessions if writes else state.sessions)()
    try:
        yield session
    finally:
        await asyncio.get_running_loop().run_in_executor(_SESSION_CLOSER, session.close)


def provide_settings(state: State) -> Settings:
    return state.settings


@get(
    "/api/health",
    operation_id="health",
    tags=["system"],
    sync_to_thread=True,
    summary="Health check",
    security=[{}],
    responses=problems(),
)
def health(session: NamedDependency[Session]) -> HealthOut:
    """Answers when the database does; names the schema revision."""
    revision = session.execute(text("select version_num from alembic_version")).scalar()
    return HealthOut(status="ok", revision=revision, head=head_revision())


def route_handlers() -> list[Any]:
    """Every router of the app; each capability adds its own here."""
    from api import ops
    from api.ogc import ROUTES as OGC_ROUTES
    from api.pages import page_routes
    from api.routes import (
        admin,
        agents,
        auth,
        capacity,
        catalog,
        catalog_editing,
        checklists,
        commitments,
        credit,
        intermediaries,
        meetings,
        notifications,
        projects,
        statistics,
        tasks,
    )

    return [
        health,
        *ops.ROUTES,
        *auth.ROUTES,
        *catalog.ROUTES,
        *catalog_editing.ROUTES,
        *projects.ROUTES,
        *tasks.ROUTES,
        *agents.ROUTES,
        *checklists.ROUTES,
        *meetings.ROUTES,
        *commitments.ROUTES,
        *admin.ROUTES,
        *capacity.ROUTES,
        *intermediaries.ROUTES,
        *credit.ROUTES,
        *notifications.ROUTES,
        *statistics.ROUTES,
        *OGC_ROUTES,
        *page_routes(),
    ]


def provide_clock(state: State) -> Clock:
    return state.clock


def provide_checkpoints(state: State) -> CheckpointSources:
    return state.checkpoints


def allow_header_fix(app_routes: list[Any]) -> Any:
    """A ``before_send`` hook giving OPTIONS answers the methods the path really supports.

    litestar 2.25 rebuilds a route when a second handler joins its path but keeps the first
    OPTIONS handler, whose ``Allow`` lists only the first handler's methods.
    """
    from litestar.routes import HTTPRoute

    methods: dict[str, set[str]] = {}
    for route in app_routes:  # a path may appear in more than one route object: merge them
        if isinstance(route, HTTPRoute):
            template = re.sub(
                r"\{(\w+):\w+\}", r"{\1}", route.path
            )  # as scope["path_template"] has it
            methods.setdefault(template, set()).update(route.methods)
    allowed = {path: ", ".join(sorted(m)).encode() for path, m in methods.items()}

    async def before_send(message: Any, scope: Any) -> None:
        if message["type"] == "http.response.start" and scope.get("method") == "OPTIONS":
            allow = allowed.get(scope.get("path_template", ""))
            if allow:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                headers.append((b"allow", allow))
                message["headers"] = headers

    return before_send


def _lifecycle(
    settings: Settings, engine: Engine | None, migrate: bool, csrf: CSRFConfig
) -> tuple[Sequence[Callable[[Litestar], Any]], Sequence[Callable[[Litestar], Any]]]:
    """The app's startup hooks (database, signing key, jobs) and its shutdown hooks."""

    def on_startup(app: Litestar) -> None:
        # a connection per handler thread stays pooled: a pool smaller than the threads closes
        # and opens connections all the time under load (a new PostgreSQL backend each)
        db = engine or make_engine(settings.database_url, pool_size=settings.threads)
        if migrate:
            ensure_schema(db)  # SQLite upgrades in place; PostgreSQL refuses when behind
        app.state.engine = db
        app.state.sessions = make_session_factory(db)
        app.state.write_sessions = make_session_factory(db, write=True)
        with app.state.sessions() as session:
            begin_write(session)
            app.state.signing_key = signing_key(session, settings.secret_key)
            session.commit()
        csrf.secret = hashlib.sha256(("csrf:" + app.state.signing_key).encode()).hexdigest()
        app.state.disabled_users = DisabledUsers(app.state.sessions)
        app.state.disabled_users.refresh()
        app.state.login_limiter = LoginLimiter(app.state.write_sessions)

    def start_jobs(app: Litestar) -> None:
        # workflow events only mark the capacity forecast pending; the job engine recomputes it
        # (a worker on PostgreSQL, a thread of this process on SQLite) — see api.jobs
        from api.jobs import server_jobs

        app.state.jobs = server_jobs(settings, app.state.write_sessions, app.state.clock)
        app.state.jobs.start()
        deferral = {DEFERRAL_KEY: DeferredRecompute(app.state.jobs.capacity_pending)}
        app.state.sessions.configure(info=deferral)
        app.state.write_sessions.configure(info=deferral)

    async def size_thread_pool(app: Litestar) -> None:
        # The sync handlers' threads (anyio's default limiter; litestar runs them there).
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads

    async def watch_disabled_users(app: Litestar) -> None:
        # accounts disabled by another process: read in the background, off the event loop
        async def poll() -> None:
            loop = asyncio.get_running_loop()
            while True:
                await asyncio.sleep(DisabledUsers.PERIOD)
                try:
                    await loop.run_in_executor(_SESSION_CLOSER, app.state.disabled_users.refresh)
                except Exception:  # the database may be down for a moment; try again later
                    continue

        app.state.disabled_poll = asyncio.get_running_loop().create_task(poll())

    def on_shutdown(app: Litestar) -> None:
        task = getattr(app.state, "disabled_poll", None)
        if task is not None:
            task.cancel()
        jobs = getattr(app.state, "jobs", None)
        if jobs is not None:
            app.state.sessions.configure(info={})
            app.state.write_sessions.configure(info={})
            jobs.close()
        if engine is None and getattr(app.state, "engine", None) is not None:
            app.state.engine.dispose()

    return [on_startup, size_thread_pool, start_jobs, watch_disabled_users], [on_shutdown]


def _dependencies() -> dict[str, Provide]:
    return {
        "session": Provide(provide_session),
        "settings": Provide(provide_settings, sync_to_thread=False),
        "clock": Provide(provide_clock, sync_to_thread=False),
        "checkpoints": Provide(provide_checkpoints, sync_to_thread=False),
    }


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
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
        security=[{"BearerToken": []}],
    )


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, migrate: bool = True
) -> Litestar:
    """Build the app.  ``engine`` may be given (tests); otherwise one is made from the settings."""
    settings = settings or Settings.from_env()
    configure_process(settings)

    # The form-protection secret is derived from the signing key once it is known (startup);
    # the API authenticates with bearer tokens, not cookies, so it needs no CSRF check.
    csrf = CSRFConfig(
        secret=secrets.token_hex(32),
        cookie_name="csrftoken",
        cookie_samesite="lax",
        exclude=["^/api/", "^/ogc", "^/schema"],
    )

    on_startup, on_shutdown = _lifecycle(settings, engine, migrate, csrf)
    app = Litestar(
        # One Router registers every handler in one pass.  Registering them one by one, litestar
        # 2.25 re-runs on_registration for handlers already on a shared path and wraps their
        # sync_to_thread callable twice (the response is then an un-awaited coroutine).
        route_handlers=[Router(path="/", route_handlers=route_handlers()), static_router()],
        template_config=template_config(),
        csrf_config=csrf,
        dependencies=_dependencies(),
        middleware=[auth_middleware()],
        logging_config=None,  # logging is the process's (api.ops.configure_logging), not litestar's
        exception_handlers=exception_handlers(error_page),  # type: ignore[arg-type]
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        state=State(
            {
                "settings": settings,
                "clock": Clock(settings.today),
                # the project answers this process keeps under their revision (api.answers)
                "answers": AnswerCache(settings.answer_cache_mb * 1024 * 1024),
                # the ports of the agents' use cases: the commitment checkpoints on the 代办清单
                "checkpoints": AGENT_CHECKPOINTS,
                # the plot registry answers the planner about a plot's zone (approvals.ports)
                "plot_assessments": PLOT_ASSESSMENTS,
            }
        ),
        openapi_config=_openapi_config(),
        cors_config=CORSConfig(allow_origins=[]),
        plugins=[StrictStructSchemaPlugin()],
        debug=settings.debug,
        request_max_body_size=64 * 1024 * 1024,
    )
    app.before_send.append(allow_header_fix(app.routes))
    # outside routing and the exception handlers: every answer (401, 404, 500) is measured,
    # logged and carries its request id
    app.asgi_handler = observe_requests(app.asgi_handler)
    return app


def create_app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory`` (``onetrip serve``, several worker processes): logging,
    then the app, then :func:`api.ops.settle_heap` once it has started."""
    from api.ops import settle_heap

    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    # a server's heap, once started, is frozen out of the collector's walks (tests, which build
    # many apps in one process, keep the collector as it is)
    app.on_startup.append(settle_heap)
    return app


__all__ = ["Request", "create_app", "create_app_from_env", "sessionmaker"]
