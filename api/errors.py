"""Domain errors → HTTP responses, in one place.

Every error answers ``application/problem+json`` (RFC 9457) with a precise ``detail`` in the
caller's language (``Accept-Language`` or ``?lang=``) and, for validation errors, the list of
``errors`` each naming the culprit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
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

from i18n import (
    Conflict,
    Forbidden,
    Invalid,
    Lang,
    LocalizedError,
    Malformed,
    NotFound,
    normalize_lang,
)

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("onetrip.errors")


class Unauthorized(LocalizedError):
    """No valid credentials (an HTTP notion: the domain never asks who is signed in)."""


#: Every domain error is one of these kinds (see :mod:`i18n`); the most specific class in an
#: error's MRO that is listed here decides.  Unlisted LocalizedErrors (a family's bare root) are
#: 422: the input was understood but refused.
STATUS_BY_KIND: dict[type[Exception], int] = {
    Unauthorized: HTTP_401_UNAUTHORIZED,
    Forbidden: HTTP_403_FORBIDDEN,
    NotFound: HTTP_404_NOT_FOUND,
    Conflict: HTTP_409_CONFLICT,
    Malformed: HTTP_400_BAD_REQUEST,
    Invalid: HTTP_422_UNPROCESSABLE_ENTITY,
    LocalizedError: HTTP_422_UNPROCESSABLE_ENTITY,
}

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


def page_lang(request: Request) -> Lang:
    """A page's language: ``?lang=``, else the ``lang`` cookie the header's switch sets, else
    Chinese (a page does not follow the browser's Accept-Language: a Chinese counter's browser
    may well say en-US)."""
    return normalize_lang(request.query_params.get("lang") or request.cookies.get("lang") or "zh")


#: litestar's own messages that may reach a page, in the page's language.
_FRAMEWORK_DETAILS = {
    "csrf": ("页面已过期，请刷新后重试", "The page is out of date: reload it and try again"),
    "not found": ("未找到您要的页面", "No such page"),
}
_BILINGUAL = re.compile(r"^(?P<zh>.*[\u4e00-\u9fff].*?)\s*\((?P<en>[^()]*)\)\s*$", re.S)


def page_detail(detail: str, status: int, lang: Lang) -> str:
    """What an HTTP error's detail says on a page: one language, never the framework's English.

    >>> page_detail("未登录 (not authenticated)", 401, "zh")
    '未登录'
    >>> page_detail("CSRF token verification failed", 403, "zh")
    '页面已过期，请刷新后重试'
    >>> page_detail("Not Found", 404, "zh")
    '未找到您要的页面'
    >>> page_detail("Method Not Allowed", 405, "zh")
    '不支持的请求方法'
    """
    m = _BILINGUAL.match(detail)
    if m:
        return m["en"] if lang == "en" else m["zh"]
    if re.search(r"[\u4e00-\u9fff]", detail):
        return detail
    lowered = detail.lower()
    for key, (zh, en) in _FRAMEWORK_DETAILS.items():
        if key in lowered:
            return en if lang == "en" else zh
    if lang == "en":
        return detail or TITLES.get(status, ("", "Error"))[1]
    return TITLES.get(status, ("错误", ""))[0]


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
    for cls in type(exc).__mro__:
        status = STATUS_BY_KIND.get(cls)
        if status is not None:
            return status
    return HTTP_422_UNPROCESSABLE_ENTITY


def is_page(request: Request) -> bool:
    """A request for an HTML page rather than the API, the OGC API or the schema."""
    path = request.url.path
    return not path.startswith(("/api/", "/ogc", "/schema", "/static/")) and path not in PROBES


#: The operators' endpoints (api.ops): machine-read, answered like the API.
PROBES = frozenset({"/health", "/ready", "/metrics"})

#: Renders an error as an HTML page: (request, status, detail, headers) → response.  The pages
#: package provides it (:func:`api.pages.layout.error_page`); the app factory passes it in, so
#: this module never imports the pages.
PageRenderer = Callable[[Request, int, str, "dict[str, str] | None"], Response[Any]]


def exception_handlers(render_page: PageRenderer) -> dict[type[Exception], Any]:
    """The app's exception handlers: problem+json for the API, ``render_page`` for pages."""

    def localized_error(request: Request, exc: LocalizedError) -> Response[Any]:
        if is_page(request):
            return render_page(request, status_for(exc), exc.text(page_lang(request)), None)
        lang = request_lang(request)
        extra: dict[str, Any] = {}
        problems = getattr(exc, "problems", None)  # CatalogError, ImportRefused: every finding
        if problems is not None:
            extra["errors"] = [p(lang) for p in problems]
        fields = getattr(exc, "fields", None)  # FilingInvalid: what is wrong, by field
        if fields is not None:
            extra["fields"] = {k: t(lang) for k, t in fields.items()}
        return problem(request, status_for(exc), exc.text(lang), **extra)

    def http_exception(request: Request, exc: HTTPException) -> Response[Any]:
        if is_page(request):
            return render_page(
                request,
                exc.status_code,
                page_detail(str(exc.detail or ""), exc.status_code, page_lang(request)),
                dict(exc.headers or {}),  # e.g. Allow on a 405
            )
        extra: dict[str, Any] = {}
        if isinstance(exc, ValidationException) and exc.extra:
            extra["errors"] = exc.extra
        detail = exc.detail
        if isinstance(exc, NotAuthorizedException | PermissionDeniedException) and not detail:
            detail = TITLES[exc.status_code][1]
        return problem(request, exc.status_code, detail, headers=dict(exc.headers or {}), **extra)

    def database_unavailable(request: Request, exc: Exception) -> Response[Any]:
        """The database did not answer (restarting, unreachable): 503 with Retry-After; the pool
        re-validates connections (pre-ping), so the service recovers by itself when it is back."""
        log.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        lang = page_lang(request) if is_page(request) else request_lang(request)
        detail = (
            "数据库暂不可用，请稍后重试"
            if lang == "zh"
            else "the database is unavailable; retry shortly"
        )
        if is_page(request):
            return render_page(request, 503, detail, None)
        return problem(request, 503, detail, headers={"Retry-After": "2"})

    def internal_error(request: Request, exc: Exception) -> Response[Any]:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        lang = page_lang(request) if is_page(request) else request_lang(request)
        detail = (
            "服务器内部错误，已记录。" if lang == "zh" else "Internal error; it has been logged."
        )
        if is_page(request):
            return render_page(request, HTTP_500_INTERNAL_SERVER_ERROR, detail, None)
        return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, detail)

    return {
        LocalizedError: localized_error,
        HTTPException: http_exception,
        OperationalError: database_unavailable,
        InterfaceError: database_unavailable,
        Exception: internal_error,
    }
