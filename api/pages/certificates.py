"""电子证照 and the counter's printed documents in the pages: the public verification page a QR
code leads to (no login), a certificate's PDF, a task's documents (受理回执, 一次性告知书,
补正通知书, 不予受理决定书) under the page session, and revoking a certificate (the
administration).  Who may print is the services' answer (the task's or the project's
visibility): an enterprise its own, a department its own tasks'."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from access.policy import Action, roles_for
from api.auth import actor_of
from api.clock import Clock
from api.pages.layout import context, page_lang, require_user, run_form_action
from api.routes.common import IdPath
from approvals.errors import NotFoundError
from approvals.services import certificates, counter_documents
from storage.engine import begin_write

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

#: Status and kind names on the verification page (中文, English).
STATUS_NAMES = {"valid": ("有效", "valid"), "revoked": ("已注销", "revoked")}
KIND_NAMES = {
    "certificate": ("电子证照", "certificate"),
    "receipt": ("受理回执", "acceptance receipt"),
    "notice": ("一次性告知书", "one-time notice"),
    "correction": ("补正材料通知书", "correction notice"),
    "refusal": ("不予受理决定书", "decision not to accept"),
}


def _pdf(body: bytes, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


@get("/verify", include_in_schema=False, sync_to_thread=True)
def verify_form(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template | Redirect:
    """The form to type a number (and where it sends it)."""
    number = (request.query_params.get("number") or "").strip()
    if number:
        return Redirect(f"/verify/{quote(number)}", status_code=303)
    return Template("verify.html", context=context(request, session, clock, result=None))


@get("/verify/{number:str}", include_in_schema=False, sync_to_thread=True)
def verify_page(
    number: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    """What a certificate's or a document's QR code leads to: public, nothing confidential."""
    lang = page_lang(request)
    i = 1 if lang == "en" else 0
    try:
        result: dict[str, Any] | None = certificates.verify(session, number[:64])
    except NotFoundError:
        result = None
    if result is not None:
        result["status_name"] = STATUS_NAMES[result["status"]][i]
        result["kind_name"] = KIND_NAMES[result["kind"]][i]
    return Template(
        "verify.html",
        context=context(request, session, clock, result=result, number=number[:64]),
        status_code=200 if result else 404,
    )


@get("/certificates/{certificate_id:int}/pdf", include_in_schema=False, sync_to_thread=True)
def certificate_pdf(
    certificate_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[bytes]:
    """The certificate to print, with its QR code; 404 to whoever may not see its project."""
    user = require_user(request)
    cert, body = certificates.certificate_document(
        session, actor_of(user), certificate_id, _base_url(request)
    )
    return _pdf(body, f"{cert.name}-{cert.number}.pdf")


@get("/tasks/{task_id:int}/documents/{name:str}", include_in_schema=False, sync_to_thread=True)
def task_document(
    task_id: IdPath,
    name: FromPath[str],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
) -> Response[bytes]:
    """A counter document of the task, numbered (and registered) the first time it is printed."""
    user = require_user(request)
    begin_write(session)
    row, body = counter_documents.counter_document(
        session, actor_of(user), task_id, name[:40], _base_url(request)
    )
    session.commit()
    return _pdf(body, f"{counter_documents.layout.KINDS[row.kind][0]}-{row.number}.pdf")


@post("/certificates/revoke", include_in_schema=False, sync_to_thread=True)
def revoke_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Form,
) -> Redirect:
    user = require_user(request, *roles_for(Action.CERTIFICATE_REVOKE))
    number = str(data.get("number") or "")
    back_to = str(data.get("back") or "")
    url = back_to if back_to.startswith("/projects/") else f"/verify/{quote(number)}"
    return run_form_action(
        request,
        session,
        url,
        lambda: certificates.revoke_certificate(
            session, actor_of(user), number, str(data.get("reason") or ""), clock.today()
        ),
        (f"证照 {number} 已注销", f"certificate {number} revoked"),
    )


ROUTES = [verify_form, verify_page, certificate_pdf, task_document, revoke_page]
