"""Pages of the commitments (承诺制): the public list (公示), the regulators' overview with their
tasks and the compliance report, a commitment's page with the inspection form, and the block on
the project page where the enterprise sees its commitment and downloads the letter.

The project page (:mod:`api.pages.projects`) shows :func:`project_block`; the header's links are
in :data:`api.pages.layout.NAV`; ``ROUTES`` are gathered by :func:`api.pages.page_routes`.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.actor import Role
from access.policy import Action, can, roles_for
from api.auth import Principal, actor_of
from api.clock import Clock
from api.pages import layout as pages
from api.pages import texts as page_texts
from api.pages.listing import Listing, paging_of
from approvals.orm import ProjectRow
from approvals.service import work_calendar
from commitments.errors import CommitmentNotFound, InspectionError
from commitments.evaluation import DERIVATIONS, FIGURES
from commitments.model import IndicatorTerm
from commitments.orm import CheckpointRow, CommitmentRow, SigningKeyRow
from commitments.services import documents as documents_service
from commitments.services import drafting as drafting_service
from commitments.services import grading as grading_service
from commitments.services import inspections as inspections_service
from commitments.services import keys as keys_service
from commitments.services import ledger_store as ledger_store_service
from commitments.services import monitoring as monitoring_service
from commitments.services import publication as publication_service
from commitments.services import queries as queries_service
from commitments.services import signatures as signatures_service
from commitments.signing import grouped

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)


#: A project refused a permit or refused at intake: no commitment is drafted for it.
CLOSED_UNFAVOURABLY = frozenset({"rejected", "refused"})


def with_commitment(q: Any) -> Any:
    """A project statement with its commitment (at most one, ``commitments.project_id`` is
    unique) outer-joined, as the row's ``CommitmentRow`` (for
    :func:`approvals.services.queries.get_project_with`)."""
    return q.outerjoin(CommitmentRow, CommitmentRow.project_id == ProjectRow.id).add_columns(
        CommitmentRow
    )


def project_block(
    session: Session,
    project: ProjectRow,
    commitment: CommitmentRow | None,
    user: Principal,
    lang: str,
) -> str:
    """The commitment of a project on its page (the letter, the verdicts; a draft's signing).
    ``commitment``: the project's, read with it (:func:`with_commitment`)."""
    owner = can(actor_of(user), Action.COMMITMENT_SIGN, project)
    closed = project.status in CLOSED_UNFAVOURABLY  # 不予许可 / 不予受理: nothing to commit to
    if commitment is None and not (owner and project.plot_code and not closed):
        return ""
    detail = (
        queries_service.commitment_detail(session, commitment, lang)
        if commitment is not None
        else None
    )
    return _ENV.get_template("commitments_block.html").render(
        lang=lang,
        project=project,
        c=detail,
        owner=owner,
        grouped=grouped,
    )


@get("/public/commitments", include_in_schema=False, sync_to_thread=True)
def public_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    lang = pages.page_lang(request)
    head = ledger_store_service.latest_tree_head(session)
    return Template(
        "commitments_public.html",
        context=pages.context(
            request,
            session,
            clock,
            items=publication_service.public_list(session, lang),
            head=head,
            grouped=grouped,
        ),
    )


@get("/regulator/commitments", include_in_schema=False, sync_to_thread=True)
def regulator_page(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request, *roles_for(Action.COMPLIANCE_READ))
    lang = pages.page_lang(request)
    from landplots.services.registry import all_zones

    paging = paging_of(request, tuple(queries_service.COMMITMENT_SORTS), "-created_at")
    page = queries_service.commitment_page(session, actor_of(user), paging)
    listing = Listing(
        path=request.url.path,
        page=page,
        sort_labels={k: page_texts.text(v, lang) for k, v in _COMMITMENT_SORT_LABELS.items()},
    )
    items = []
    for c in page.items:
        d = queries_service.commitment_detail(session, c, lang)
        verdicts = [v for cp in d["checkpoints"] for v in cp["verdicts"]]
        items.append(
            {
                **d,
                "met": sum(v["status"] == "met" for v in verdicts),
                "breached": sum(v["status"] != "met" for v in verdicts),
                "next_due": next(
                    (cp["due_on"] for cp in d["checkpoints"] if cp["status"] == "scheduled"), None
                ),
            }
        )
    return Template(
        "commitments_list.html",
        context=pages.context(
            request,
            session,
            clock,
            items=items,
            listing=listing,
            tasks=monitoring_service.regulator_tasks(session, actor_of(user), clock.today()),
            zones=all_zones(session),
            grades=grading_service.grades(session),
        ),
    )


_COMMITMENT_SORT_LABELS = {
    "created_at": "created_sort",
    "number": "number_sort",
    "status": "status",
    "zone": "zone_sort",
    "plot": "plot_sort",
    "published_on": "published_sort",
}


@get("/regulator/compliance-report.pdf", include_in_schema=False, sync_to_thread=True)
def report_download(
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    zone: Annotated[str, QueryParameter(max_length=64)] = "",
) -> Response[bytes]:
    pages.require_user(request, *roles_for(Action.COMPLIANCE_READ))
    return Response(
        documents_service.compliance_pdf(session, zone, clock.today()),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(zone)}-compliance.pdf"
        },
    )


def indicator_rows(document: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The plot's indicators as committed (bounds with units) beside the project's planned
    figures, each marked when the plan already misses it."""
    rows = []
    for t in document.get("indicators", []):
        term = IndicatorTerm.from_dict(t)
        rows.append(
            {
                "key": term.key,
                "name": (term.name_en or term.name) if lang == "en" else term.name,
                "bound": term.describe(),
                "unit": term.unit,
                "planned": term.planned,
                "misses": term.planned_misses(),
            }
        )
    return rows


def enterprise_keys(session: Session, enterprise_id: int) -> list[SigningKeyRow]:
    """The enterprise's registered public keys (newest first)."""
    return list(
        session.scalars(
            select(SigningKeyRow)
            .where(
                SigningKeyRow.owner == "enterprise", SigningKeyRow.enterprise_id == enterprise_id
            )
            .order_by(SigningKeyRow.created_at.desc())
        )
    )


@get("/commitments/{commitment_id:int}", include_in_schema=False, sync_to_thread=True)
def commitment_page(
    commitment_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request)
    lang = pages.page_lang(request)
    c = queries_service.get_commitment(session, actor_of(user), commitment_id)
    detail = queries_service.commitment_detail(session, c, lang)
    indicators = indicator_rows(detail["document"], lang)
    forms = []
    if can(actor_of(user), Action.INSPECTION_RECORD):
        for cp in detail["checkpoints"]:
            if cp["status"] != "scheduled":
                continue
            figures = []
            for key in cp["keys"]:
                num, den, _ = DERIVATIONS.get(key, (key, None, 1.0))
                for f in (num, den):
                    if f and f in FIGURES and f not in [x["name"] for x in figures]:
                        zh, en, unit = FIGURES[f]
                        figures.append(
                            {"name": f, "label": en if lang == "en" else zh, "unit": unit}
                        )
                    elif f == key and f not in FIGURES:
                        figures.append({"name": f, "label": f, "unit": ""})
            forms.append({"checkpoint": cp, "figures": figures})
    return Template(
        "commitments_detail.html",
        context=pages.context(
            request,
            session,
            clock,
            c=detail,
            forms=forms,
            grouped=grouped,
            can_accept=can(actor_of(user), Action.COMMITMENT_COUNTERSIGN),
            indicators=indicators,
            misses=[i for i in indicators if i["misses"]],
            keys=enterprise_keys(session, c.enterprise_id),
            can_sign=can(actor_of(user), Action.COMMITMENT_SIGN, c) and c.status == "draft",
            credit_url=f"/enterprises/{c.enterprise_id}/credit"
            if can(actor_of(user), Action.CREDIT_READ, c)
            else None,
        ),
    )


@get("/commitments/{commitment_id:int}/letter.pdf", include_in_schema=False, sync_to_thread=True)
def letter_download(
    commitment_id: FromPath[int], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[bytes]:
    user = pages.require_user(request)
    c = queries_service.get_commitment(session, actor_of(user), commitment_id)
    return Response(
        documents_service.letter_pdf(session, c),
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(c.number + '.pdf')}"},
    )


@post("/checkpoints/{checkpoint_id:int}/inspect", include_in_schema=False, sync_to_thread=True)
def inspect_submit(
    checkpoint_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Redirect:
    user = pages.require_user(request, *roles_for(Action.INSPECTION_RECORD))
    cp = session.get(CheckpointRow, checkpoint_id)
    if cp is None:
        raise CommitmentNotFound(
            f"检查点 {checkpoint_id} 不存在", f"checkpoint {checkpoint_id} not found"
        )
    url = f"/commitments/{cp.commitment_id}"
    upload = data.get("evidence")
    evidence = []
    if isinstance(upload, UploadFile):
        content = upload.file.read(inspections_service.MAX_EVIDENCE_BYTES + 1)
        if content:
            evidence.append(
                {
                    "name": upload.filename or "evidence",
                    "content_base64": base64.b64encode(content).decode(),
                }
            )

    def act() -> None:
        figures: dict[str, Any] = {}
        for k, v in data.items():
            if k.startswith("f_") and str(v).strip():
                try:
                    figures[k[2:]] = float(str(v).strip())
                except ValueError:
                    raise InspectionError(
                        f"检查数据项 {k[2:]} 的值 '{v}' 不是数字",
                        f"figure {k[2:]}: '{v}' is not a number",
                    ) from None
        inspections_service.record_inspection(
            session,
            actor_of(user),
            checkpoint_id,
            figures,
            evidence,
            clock.today(),
            work_calendar(session),
            str(data.get("note") or ""),
        )

    return pages.run_form_action(
        request,
        session,
        url,
        act,
        ("检查结果已录入，结论已生成", "inspection recorded; verdicts computed"),
    )


@post("/commitments/{commitment_id:int}/accept", include_in_schema=False, sync_to_thread=True)
def accept_submit(
    commitment_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Redirect:
    user = pages.require_user(request, *roles_for(Action.COMMITMENT_COUNTERSIGN))
    return pages.run_form_action(
        request,
        session,
        f"/commitments/{commitment_id}",
        lambda: signatures_service.accept_commitment(
            session, actor_of(user), commitment_id, clock.today(), work_calendar(session)
        ),
        ("已确认并公示", "accepted and published"),
    )


@get("/projects/{project_id:int}/commitment/new", include_in_schema=False, sync_to_thread=True)
def draft_page(
    project_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Template:
    user = pages.require_user(request, Role.ENTERPRISE)  # administrators draft over the API
    from approvals.services import queries

    p = queries.get_project(session, actor_of(user), project_id)
    return Template(
        "commitments_new.html", context=pages.context(request, session, clock, project=p)
    )


@post("/projects/{project_id:int}/commitment", include_in_schema=False, sync_to_thread=True)
def draft_submit(
    project_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> Redirect:
    user = pages.require_user(request, Role.ENTERPRISE)  # administrators draft over the API
    return pages.run_form_action(
        request,
        session,
        f"/projects/{project_id}/commitment/new",
        lambda: drafting_service.create_commitment(
            session, actor_of(user), project_id, clock.today(), work_calendar(session)
        ),
        ("承诺书已起草，请用企业私钥签署", "commitment drafted; sign it with your private key"),
        then=lambda c: f"/commitments/{c.id}",
    )


@post("/commitments/{commitment_id:int}/signature", include_in_schema=False, sync_to_thread=True)
def signature_submit(
    commitment_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    user = pages.require_user(request, *roles_for(Action.COMMITMENT_SIGN))
    queries_service.get_commitment(session, actor_of(user), commitment_id)  # not visible: 404
    url = f"/commitments/{commitment_id}"
    return pages.run_form_action(
        request,
        session,
        url,
        lambda: signatures_service.submit_signature(
            session,
            actor_of(user),
            commitment_id,
            data.get("key", "").strip(),
            data.get("signature", "").strip(),
        ),
        ("签名已核验并记入台账", "signature verified and entered in the ledger"),
    )


@post("/commitments/{commitment_id:int}/keys", include_in_schema=False, sync_to_thread=True)
def key_register_submit(
    commitment_id: FromPath[int],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    """Register the public half of a key made in the browser (or elsewhere); the private key
    never reaches the server."""
    user = pages.require_user(request, *roles_for(Action.COMMITMENT_SIGN))
    queries_service.get_commitment(session, actor_of(user), commitment_id)  # not visible: 404
    return pages.run_form_action(
        request,
        session,
        f"/commitments/{commitment_id}",
        lambda: keys_service.register_enterprise_key(
            session,
            actor_of(user),
            data.get("public_key", "").strip(),
            label=data.get("label", "").strip(),
        ),
        ("公钥已登记", "public key registered"),
    )


@get(
    "/commitments/{commitment_id:int}/canonical.json", include_in_schema=False, sync_to_thread=True
)
def canonical_download(
    commitment_id: FromPath[int], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> Response[bytes]:
    user = pages.require_user(request)
    c = queries_service.get_commitment(session, actor_of(user), commitment_id)
    return Response(
        c.document.encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(c.number + '.json')}"
        },
    )


ROUTES = [
    public_page,
    regulator_page,
    report_download,
    commitment_page,
    letter_download,
    inspect_submit,
    accept_submit,
    draft_page,
    draft_submit,
    signature_submit,
    key_register_submit,
    canonical_download,
]


__all__ = ["ROUTES", "project_block"]
