"""Closing the loop (issue 17 §4): the public verification of a certificate's or a counter
document's number, revoking a certificate, an enterprise's credit records (信用记录) with its
applicable prices, and the price table per 亩均 grade the administration sets."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from sqlalchemy.orm import Session

from access.actor import Role
from access.policy import Action
from api.auth import allowed
from api.clock import Clock
from api.openapi import WRITE, problems
from api.routes.common import IdPath, actor
from api.schemas.common import to
from api.schemas.credit import CreditOut, PriceTableOut, RevokedOut, VerificationOut
from approvals.services import certificates
from commitments.grading import GRADES
from commitments.model import CONSEQUENCE_KINDS
from commitments.services import credit
from i18n import Forbidden

NumberPath = Annotated[str, PathParameter(min_length=4, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


@get(
    "/api/verify/{number:str}",
    operation_id="verifyDocument",
    tags=["certificates"],
    sync_to_thread=True,
    security=[{}],  # public: where a paper's QR code leads
    responses=problems(400, 404, 503),
    summary="核验电子证照或文书编号 Verify a certificate or document number (public)",
)
def verify_document(number: NumberPath, session: NamedDependency[Session]) -> VerificationOut:
    return to(VerificationOut, certificates.verify(session, number))


class RevokeIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=500)]


@post(
    "/api/certificates/{number:str}/revoke",
    operation_id="revokeCertificate",
    tags=["certificates"],
    sync_to_thread=True,
    status_code=200,
    guards=[allowed(Action.CERTIFICATE_REVOKE)],
    responses=problems(*WRITE),
    summary="注销电子证照 Revoke a certificate",
)
def revoke_certificate(
    number: NumberPath,
    data: JSONBody[RevokeIn],
    request: Request[Any, Any, Any],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> RevokedOut:
    cert = certificates.revoke_certificate(
        session, actor(request), number, data.reason, clock.today()
    )
    session.commit()
    return to(
        RevokedOut,
        {
            "number": cert.number,
            "status": cert.status,
            "revoked_on": cert.revoked_on,
            "reason": cert.revoked_reason,
        },
    )


def prices_out(prices: dict[str, float]) -> list[dict[str, Any]]:
    return [
        {"resource": res, "name": zh, "unit": unit, "price": prices[res]}
        for res, (zh, _en, unit) in credit.RESOURCES.items()
    ]


def credit_out(view: credit.CreditView) -> dict[str, Any]:
    return {
        "enterprise_id": view.enterprise.id,
        "enterprise": view.enterprise.name,
        "grade": view.grade,
        "grade_name": GRADES[view.grade][0] if view.grade else None,
        "score": view.score,
        "graded_on": view.graded_on,
        "applied_grade": view.applied_grade,
        "records": [
            {
                "id": r.id,
                "recorded_on": r.recorded_on,
                "commitment_id": r.commitment_id,
                "indicator": r.indicator,
                "verdict": r.verdict,
                "consequence": r.consequence,
                "consequence_name": CONSEQUENCE_KINDS.get(r.consequence, ("未触发违约条款",))[0],
                "amount_wan": r.amount_wan,
                "deadline": r.deadline,
                "joint_sanction": r.joint_sanction,
                "description": r.description,
            }
            for r in view.records
        ],
        "prices": prices_out(view.prices),
    }


@get(
    "/api/credit",
    operation_id="getOwnCredit",
    tags=["credit"],
    sync_to_thread=True,
    guards=[allowed(Action.CREDIT_READ)],
    responses=problems(400, 401, 403, 503),
    summary="本企业的信用记录与适用价格 The caller's enterprise's credit records and prices",
)
def own_credit(request: Request[Any, Any, Any], session: NamedDependency[Session]) -> CreditOut:
    who = actor(request)
    if who.role != Role.ENTERPRISE or who.enterprise_id is None:
        raise Forbidden(
            "只有项目单位有本企业的信用记录；请使用 /api/enterprises/{id}/credit",
            "only an enterprise has its own credit; use /api/enterprises/{id}/credit",
        )
    return to(CreditOut, credit_out(credit.credit_view(session, who, who.enterprise_id)))


@get(
    "/api/enterprises/{enterprise_id:int}/credit",
    operation_id="getEnterpriseCredit",
    tags=["credit"],
    sync_to_thread=True,
    guards=[allowed(Action.CREDIT_READ)],
    responses=problems(400, 401, 403, 404, 503),
    summary="企业信用记录与适用价格 An enterprise's credit records and prices",
)
def enterprise_credit(
    enterprise_id: IdPath, request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> CreditOut:
    return to(CreditOut, credit_out(credit.credit_view(session, actor(request), enterprise_id)))


def table_out(table: dict[str, dict[str, float]]) -> dict[str, Any]:
    return {
        "rows": [
            {"grade": g, "grade_name": GRADES[g][0], "prices": prices_out(table[g])} for g in GRADES
        ]
    }


@get(
    "/api/prices",
    operation_id="getPriceTable",
    tags=["credit"],
    sync_to_thread=True,
    guards=[allowed(Action.CREDIT_READ)],
    responses=problems(400, 401, 403, 503),
    summary="亩均等级差别化价格表 The price table per 亩均 grade",
)
def price_table(session: NamedDependency[Session]) -> PriceTableOut:
    return to(PriceTableOut, table_out(credit.price_table(session)))


class PricesIn(msgspec.Struct, forbid_unknown_fields=True):
    #: grade (A–D) → resource (land, power, water, gas) → price
    prices: dict[str, dict[str, float]]


@put(
    "/api/prices",
    operation_id="setPriceTable",
    tags=["credit"],
    sync_to_thread=True,
    guards=[allowed(Action.PRICE_MANAGE)],
    responses=problems(*WRITE),
    summary="设置差别化价格表 Set the price table per 亩均 grade",
)
def set_price_table(
    data: JSONBody[PricesIn], request: Request[Any, Any, Any], session: NamedDependency[Session]
) -> PriceTableOut:
    table = credit.set_prices(session, actor(request), data.prices)
    session.commit()
    return to(PriceTableOut, table_out(table))


ROUTES = [
    verify_document,
    revoke_certificate,
    own_credit,
    enterprise_credit,
    price_table,
    set_price_table,
]
