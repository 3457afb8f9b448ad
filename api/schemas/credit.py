"""Answers about 电子证照 verification, credit records (信用记录) and the price table per 亩均 grade."""

from __future__ import annotations

from api.schemas.common import Number, Out


class VerificationOut(Out):
    """What the public verification of a number tells (nothing confidential)."""

    kind: str  # certificate | receipt | notice | correction | refusal
    title: str
    number: str
    status: str  # valid | revoked
    holder: str
    item: str
    department: str
    issued_on: str
    revoked_on: str | None
    content_sha256: str


class RevokedOut(Out):
    number: str
    status: str
    revoked_on: str
    reason: str


class CreditRecord(Out):
    id: int
    recorded_on: str
    commitment_id: int
    indicator: str
    verdict: str
    consequence: str
    consequence_name: str
    amount_wan: Number
    deadline: str | None
    joint_sanction: bool
    description: str


class Price(Out):
    resource: str
    name: str
    unit: str
    price: Number


class CreditOut(Out):
    enterprise_id: int
    enterprise: str
    grade: str | None  # None: not graded yet
    grade_name: str | None
    score: Number | None
    graded_on: str | None
    applied_grade: str
    records: list[CreditRecord]
    prices: list[Price]


class PriceRow(Out):
    grade: str
    grade_name: str
    prices: list[Price]


class PriceTableOut(Out):
    rows: list[PriceRow]
