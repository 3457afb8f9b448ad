"""Domain errors → HTTP responses, in one place.

Every error answers ``application/problem+json`` (RFC 9457) with a precise ``detail`` in the
caller's language (``Accept-Language`` or ``?lang=``) and, for validation errors, the list of
``errors`` each naming the culprit.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from sqlalchemy.exc import InterfaceError, OperationalError

from agent_service.errors import (
    AgentConflict,
    AgentError,
    AgentForbidden,
    AgentInputError,
    AgentNotFound,
)
from approvals.errors import (
    AccessDenied,
    ApprovalsError,
    CalendarError,
    CatalogError,
    DocumentError,
    NotFoundError,
    ProjectError,
    StaleVersion,
)
from approvals.workflow import MaterialsMissing, WorkflowError
from commitments.errors import (
    CommitmentAccessDenied,
    CommitmentError,
    CommitmentNotFound,
    CommitmentStateError,
    LedgerError,
)
from i18n import Lang, LocalizedError, normalize_lang
from landplots.errors import (
    GeometryError,
    GisFileError,
    ImportRefused,
    LandplotsError,
    QueryError,
)
from landplots.errors import NotFoundError as LandplotsNotFound

PROBLEM_JSON = "application/problem+json"


class NotFound(LocalizedError):
    """A resource does not exist (or the caller may not know that it does)."""


class Conflict(LocalizedError):
    """The request conflicts with the current state (stale version, duplicate)."""


class Forbidden(LocalizedError):
    """The caller's role does not allow this action."""


class Unauthorized(LocalizedError):
    """No valid credentials."""


class BadRequest(LocalizedError):
    """The request is malformed in a way the schema did not catch."""


#: Most specific first.  Unlisted LocalizedErrors are 422: the input was understood but refused.
log = logging.getLogger("onetrip.errors")

STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (Unauthorized, HTTP_401_UNAUTHORIZED),
    (Forbidden, HTTP_403_FORBIDDEN),
    (NotFound, HTTP_404_NOT_FOUND),
    (Conflict, HTTP_409_CONFLICT),
    (BadRequest, HTTP_400_BAD_REQUEST),
    (NotFoundError, HTTP_404_NOT_FOUND),
    (AccessDenied, HTTP_403_FORBIDDEN),
    (StaleVersion, HTTP_409_CONFLICT),
    (MaterialsMissing, HTTP_422_UNPROCESSABLE_ENTITY),
    (WorkflowError, HTTP_409_CONFLICT),
    (DocumentError, HTTP_400_BAD_REQUEST),
    (CatalogError, HTTP_422_UNPROCESSABLE_ENTITY),
    (ProjectError, HTTP_422_UNPROCESSABLE_ENTITY),
    (CalendarError, HTTP_422_UNPROCESSABLE_ENTITY),
    (ApprovalsError, HTTP_422_UNPROCESSABLE_ENTITY),
    (LandplotsNotFound, HTTP_404_NOT_FOUND),
    (QueryError, HTTP_400_BAD_REQUEST),
    (GeometryError, HTTP_400_BAD_REQUEST),
    (GisFileError, HTTP_400_BAD_REQUEST),
    (ImportRefused, HTTP_422_UNPROCESSABLE_ENTITY),
    (LandplotsError, HTTP_422_UNPROCESSABLE_ENTITY),
    (AgentNotFound, HTTP_404_NOT_FOUND),
    (AgentForbidden, HTTP_403_FORBIDDEN),
    (AgentConflict, HTTP_409_CONFLICT),
    (AgentInputError, HTTP_422_UNPROCESSABLE_ENTITY),
    (AgentError, HTTP_422_UNPROCESSABLE_ENTITY),
    (CommitmentNotFound, HTTP_404_NOT_FOUND),
    (CommitmentAccessDenied, HTTP_403_FORBIDDEN),
    (CommitmentStateError, HTTP_409_CONFLICT),
    (LedgerError, HTTP_409_CONFLICT),
    (CommitmentError, HTTP_422_UNPROCESSABLE_ENTITY),  # signatures, inspections, policies
    (LocalizedError, HTTP_422_UNPROCESSABLE_ENTITY),
]

TITLES = {
    400: ("请求格式错误", "Bad request"),
    401: ("未登录或登录已过期", "Not authenticated"),
    403: ("无权执行此操作", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("不支持的请求方法", "Method not allowed"),
    409: ("与当前状态冲突", "Conflict"),
    413: ("请求体过大", "Payload too large"),
    415: ("不支持的媒体类型", "Unsupported media type"),
    422: ("无法处理的内容", "Unprocessable content"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("服务器内部错误", "Internal server error"),
    503: ("服务暂不可用", "Service unavailable"),
}


def request_lang(request: Request) -> Lang:
    query = request.query_params.get("lang")
    if query:
        return normalize_lang(query)
    accept = request.headers.get("accept-language", "")
    return normalize_lang(accept.split(",")[0].strip() if accept else None)


def problem(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[dict[str, Any]]:
    lang = request_lang(request)
    zh, en = TITLES.get(status, ("错误", "Error"))
    body = {
        "type": "about:blank",
        "status": status,
        "title": en if lang == "en" else zh,
        "detail": detail,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(exc: Exception) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return HTTP_422_UNPROCESSABLE_ENTITY


def is_page(request: Request) -> bool:
    """A request for an HTML page rather than the API, the OGC API or the schema."""
    path = request.url.path
    return not path.startswith(("/api/", "/ogc", "/schema", "/static/")) and path not in PROBES


#: The operators' endpoints (api.ops): machine-read, answered like the API.
PROBES = frozenset({"/health", "/ready", "/metrics"})


def page_error(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> Response[Any]:
    from litestar.response import Redirect, Template

    if status == 401:
        from urllib.parse import quote

        return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
    from api.pages.routes import context

    lang = (
        request_lang(request)
        if request.query_params.get("lang")
        else ("en" if request.cookies.get("lang") == "en" else "zh")
    )
    zh, en = TITLES.get(status, ("错误", "Error"))
    try:
        with request.app.state.sessions() as session:
            ctx = context(request, session, request.app.state.clock)
    except Exception:  # the database itself may be what failed
        ctx = {
            "lang": lang,
            "t": lambda k: k,
            "nav": [],
            "user": None,
            "current_path": request.url.path,
            "today": "",
        }
    ctx.update(status=status, title=en if lang == "en" else zh, detail=detail)
    return Template("error.html", context=ctx, status_code=status, headers=headers)


def localized_error_handler(request: Request, exc: LocalizedError) -> Response[dict[str, Any]]:
    lang = request_lang(request)
    if is_page(request):
        return page_error(request, status_for(exc), exc.text(lang))
    extra: dict[str, Any] = {}
    if isinstance(exc, CatalogError | ImportRefused):
        extra["errors"] = [p(lang) for p in exc.problems]
    return problem(request, status_for(exc), exc.text(lang), **extra)


def http_exception_handler(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    if is_page(request):
        return page_error(
            request,
            exc.status_code,
            str(exc.detail or TITLES.get(exc.status_code, ("", ""))[1]),
            headers=dict(exc.headers or {}),  # e.g. Allow on a 405
        )
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        extra["errors"] = exc.extra
    detail = exc.detail
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException) and not detail:
        detail = TITLES[exc.status_code][1]
    return problem(request, exc.status_code, detail, headers=dict(exc.headers or {}), **extra)


def database_unavailable_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """The database did not answer (restarting, unreachable): 503 with Retry-After; the pool
    re-validates connections (pre-ping), so the service recovers by itself when it is back."""
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    lang = request_lang(request)
    detail = (
        "数据库暂不可用，请稍后重试"
        if lang == "zh"
        else "the database is unavailable; retry shortly"
    )
    if is_page(request):
        return page_error(request, 503, detail)
    return problem(request, 503, detail, headers={"Retry-After": "2"})


def internal_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    lang = request_lang(request)
    if is_page(request):
        return page_error(
            request,
            HTTP_500_INTERNAL_SERVER_ERROR,
            "服务器内部错误，已记录。" if lang == "zh" else "Internal error; it has been logged.",
        )
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "服务器内部错误，已记录。" if lang == "zh" else "Internal error; it has been logged.",
    )


EXCEPTION_HANDLERS = {
    LocalizedError: localized_error_handler,
    HTTPException: http_exception_handler,
    OperationalError: database_unavailable_handler,
    InterfaceError: database_unavailable_handler,
    Exception: internal_error_handler,
}

MEDIA_TYPE_JSON = MediaType.JSON
