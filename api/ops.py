"""Operating the service (运维): probes, Prometheus metrics, request ids and JSON logs.

* ``GET /health`` — the process is alive (no database call: a load balancer's liveness probe);
* ``GET /ready`` — the database answers, its schema is at the latest migration and the job
  engine is reachable; 503 with the failing check otherwise (a readiness probe takes the server
  out of rotation instead of sending it requests it would fail);
* ``GET /metrics`` — Prometheus text format: request latency histograms per route template
  (``/api/projects/{project_id}``, never the raw path: bounded label values), requests per
  status, unhandled errors, the job queue's depth and the jobs' final failures (read from the
  database at scrape time: every server reports the same shared figures).  With several
  processes behind one port (``onetrip serve --workers N``) the counters live in
  ``PROMETHEUS_MULTIPROC_DIR`` so that any process answers for all of them;
* every request gets an id (the caller's ``X-Request-ID`` when well-formed, else a new one),
  sent back in ``X-Request-ID`` and put on every log line of the request; with
  ``ONETRIP_LOG_FORMAT=json`` logs are one JSON object per line (``onetrip.http`` logs one line
  per request).
"""

from __future__ import annotations

import contextvars
import gc
import json
import logging
import os
import re
import time
import uuid
from typing import Any

from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Response
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from api.schemas.common import LivenessOut, ReadinessOut, to

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_UNROUTED = "(unmatched)"

http_log = logging.getLogger("onetrip.http")

# Buckets around what users notice: 5 ms … 10 s.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_SECONDS = Histogram(
    "onetrip_http_request_duration_seconds",
    "Time to answer a request, by method and route template",
    ["method", "route"],
    buckets=_BUCKETS,
)
REQUESTS = Counter(
    "onetrip_http_requests_total",
    "Requests answered, by method, route and status",
    ["method", "route", "status"],
)
ERRORS = Counter(
    "onetrip_http_errors_total",
    "Requests answered with a 5xx status, by route",
    ["method", "route"],
)
KEPT_ANSWERS = Counter(
    "onetrip_kept_answers_total",
    "Project answers looked up among those a process keeps (api.answers), by kind and outcome",
    ["kind", "outcome"],
)
GC_PAUSES = Histogram(
    "onetrip_gc_pause_seconds",
    "The server's garbage collections (every thread stands still meanwhile), by generation",
    ["generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)


# --- the heap of a server process -------------------------------------------------------------

#: Allocations between two collections of the youngest generation (CPython 3.11's default is
#: 700; 3.12 raised it to 2,000).  A decision allocates thousands of ORM objects: at 700 the
#: young collections ran several times a request and promoted them to the older generations.
GC_YOUNG_THRESHOLD = 10_000


def settle_heap(_app: Any = None) -> None:
    """Once a server process has started (a startup hook of ``onetrip serve``'s app): collect,
    then freeze what is alive — the modules, the app, the caches built at startup — out of the
    collector's reach, and collect the young generation less often.

    Why (issue 16, target 2): a full collection walked every object the process had — some
    310,000 once the app has started (SQLAlchemy, litestar, shapely, pandas, the mappers, the
    routes) — and took **100–260 ms** under load: every request in flight waited that long,
    every few seconds (``bench/README.md``).
    Frozen objects are never walked again, so a full collection walks only what was allocated
    since (15–20 ms).  Objects frozen are still freed when their last reference goes; only a
    cycle among them would outlive its use (startup makes few).  ``onetrip_gc_pause_seconds`` on
    ``/metrics`` shows the pauses."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    if _time_collection not in gc.callbacks:
        gc.callbacks.append(_time_collection)


_gc_started = [0.0]  # the collector runs holding the GIL: one collection at a time


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        GC_PAUSES.labels(str(info["generation"])).observe(time.perf_counter() - _gc_started[0])


# --- request ids and logs ---------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and extra fields."""

    _STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
        "message",
        "asctime",
        "request_id",
        "color_message",
    }

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


JsonFormatter.converter = time.gmtime  # type: ignore[assignment]

LOG_FORMATS = ("text", "json")


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    """Root logging for a server or worker process: text (default) or JSON lines on stderr."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"ONETRIP_LOG_FORMAT={fmt!r}：应为 text 或 json / expected text or json")
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_onetrip", False):
            root.removeHandler(old)
    handler._onetrip = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own loggers write through the root handler, in the same format
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


# --- the middleware ---------------------------------------------------------------------------


def observe_requests(app: Any) -> Any:
    """ASGI middleware: a request id, the latency and status metrics, one log line."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = ""
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("path_template") or _UNROUTED
            method = scope.get("method", "")
            if route not in ("/metrics",):
                REQUEST_SECONDS.labels(method, route).observe(elapsed)
                REQUESTS.labels(method, route, str(status)).inc()
                if status >= 500:
                    ERRORS.labels(method, route).inc()
            http_log.info(
                "%s %s %s %.1f ms",
                method,
                scope.get("path", ""),
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "path": scope.get("path", ""),
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            REQUEST_ID.reset(token)

    return middleware


# --- probes -----------------------------------------------------------------------------------


@get(
    "/health",
    operation_id="liveness",
    tags=["system"],
    security=[{}],
    sync_to_thread=False,
    summary="进程存活 Liveness",
)
def liveness() -> LivenessOut:
    """The process answers (no dependency is checked: restart it only when this fails)."""
    return LivenessOut(status="ok")


def readiness_checks(state: Any) -> dict[str, dict[str, Any]]:
    """Each dependency a request needs, checked now."""
    from sqlalchemy import text

    from migrations.runner import current_revision, head_revision

    checks: dict[str, dict[str, Any]] = {}
    try:
        with state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # the database is down or refuses us
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
    else:
        current, head = current_revision(state.engine), head_revision()
        checks["migrations"] = {"ok": current == head, "current": current, "head": head}
    jobs = getattr(state, "jobs", None)
    reachable = bool(jobs is not None and jobs.reachable())
    checks["jobs"] = {"ok": reachable, "backend": getattr(jobs, "backend", None)}
    return checks


@get(
    "/ready",
    operation_id="readiness",
    tags=["system"],
    security=[{}],
    sync_to_thread=True,
    summary="可以接收请求 Readiness",
    responses={
        503: ResponseSpec(
            data_container=ReadinessOut,
            description="未就绪（列出原因）Not ready: names what is not",
        )
    },
)
def readiness(request: Request[Any, Any, Any]) -> Response[ReadinessOut]:
    """200 when the database, the schema and the job engine are all ready; 503 naming what is not."""
    checks = readiness_checks(request.app.state)
    ready = all(c["ok"] for c in checks.values())
    return Response(
        to(ReadinessOut, {"status": "ready" if ready else "not ready", "checks": checks}),
        status_code=200 if ready else 503,
    )


class JobsCollector:
    """The job engine's shared figures, read when Prometheus scrapes."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Any:
        from sqlalchemy import func, select

        from storage.jobs import JobRunRow

        depth = GaugeMetricFamily(
            "onetrip_job_queue_jobs", "Jobs in the queue, by status", labels=["status"]
        )
        failed = GaugeMetricFamily(
            "onetrip_job_failures", "Job runs whose retries are exhausted, by job", labels=["job"]
        )
        up = GaugeMetricFamily("onetrip_job_engine_up", "1 when the job engine is reachable")
        jobs = getattr(self.state, "jobs", None)
        try:
            for status, n in (jobs.depth() if jobs is not None else {}).items():
                depth.add_metric([status], n)
            up.add_metric([], 1.0 if jobs is not None and jobs.reachable() else 0.0)
        except Exception:
            up.add_metric([], 0.0)
        try:
            with self.state.sessions() as session:
                rows = session.execute(
                    select(JobRunRow.name, func.count())
                    .where(JobRunRow.status == "failed")
                    .group_by(JobRunRow.name)
                ).all()
            for name, n in rows:
                failed.add_metric([name], n)
        except Exception:
            pass  # the database is down: /ready says so; the scrape still answers
        yield depth
        yield failed
        yield up


class HeapCollector:
    """The objects :func:`settle_heap` froze in the process answering the scrape (0: not
    settled — an app built by a test, not by ``onetrip serve``)."""

    def collect(self) -> Any:
        yield GaugeMetricFamily(
            "onetrip_gc_frozen_objects",
            "Objects frozen out of the garbage collector's walks at startup (this process)",
            value=gc.get_freeze_count(),
        )


def _registry(state: Any) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # every process's counters, summed
    else:
        for collector in (REQUEST_SECONDS, REQUESTS, ERRORS, KEPT_ANSWERS, GC_PAUSES):
            registry.register(collector)  # also in the default registry: shown here too
    registry.register(JobsCollector(state))
    registry.register(HeapCollector())
    return registry


#: The classic Prometheus text format (what ``generate_latest`` writes).
METRICS_MEDIA_TYPE = "text/plain; version=0.0.4"


@get(
    "/metrics",
    operation_id="metrics",
    tags=["system"],
    security=[{}],
    sync_to_thread=True,
    summary="Prometheus 指标 Metrics",
    media_type=METRICS_MEDIA_TYPE,
    response_description="Prometheus 文本格式 The Prometheus text exposition format",
)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text exposition format."""
    return Response(
        generate_latest(_registry(request.app.state)),
        media_type=METRICS_MEDIA_TYPE,
    )


ROUTES = [liveness, readiness, metrics]

__all__ = ["REQUEST_ID", "ROUTES", "configure_logging", "observe_requests", "readiness_checks"]
