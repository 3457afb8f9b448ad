"""The published catalogue (事项清单) and the questionnaire (一次告知): public."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.orm import Session

from api.clock import Clock
from api.openapi import problems
from api.schemas.catalog import CatalogueOut, QuestionnaireOut
from api.schemas.common import to
from approvals.catalog import STAGES, Catalogue
from approvals.graph import Mechanisms
from approvals.planning import plan
from approvals.project import Project, parse_assessment
from approvals.questionnaire import next_questions, relevant_questions, resolve_answers
from approvals.service import active_catalogue, work_calendar


def question_out(q: Any, lang: str = "zh") -> dict[str, Any]:
    return {
        "key": q.key,
        "text": q.text,
        "text_en": q.text_en,
        "type": q.type,
        "unit": q.unit,
        "options": [
            {"value": o.value, "label": o.label, "label_en": o.label_en} for o in q.options
        ],
        "default": q.default,
    }


def catalogue_out(c: Catalogue) -> dict[str, Any]:
    return {
        "code": c.code,
        "name": c.name,
        "name_en": c.name_en,
        "version": c.version,
        "sha256": c.sha256,
        "stages": {str(k): {"name": v[0], "name_en": v[1]} for k, v in STAGES.items()},
        "departments": [
            {"code": d.code, "name": d.name, "name_en": d.name_en} for d in c.departments.values()
        ],
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "name_en": i.name_en,
                "department": i.department,
                "stage": i.stage,
                "days": i.days,
                "statutory_days": i.statutory_days,
                "legal_basis": i.legal_basis,
                "requires": [{"code": r.code, "lead": r.lead} for r in i.requires],
                "materials": [
                    {"code": m.code, "name": m.name, "deferrable": m.deferrable}
                    for m in i.materials
                ],
                "outputs": [{"code": o.code, "name": o.name} for o in i.outputs],
                "waivers": [
                    {"assessment": w.assessment, "effect": w.effect, "days": w.days}
                    for w in i.waivers
                ],
                "applies_if": i.applies_if,
                "split": bool(i.split),
                "special_procedures": list(i.special_procedures),
            }
            for i in c.items.values()
        ],
        "merge_groups": [
            {
                "code": g.code,
                "name": g.name,
                "members": list(g.members),
                "days": g.days,
                "department": g.department,
            }
            for g in c.merge_groups.values()
        ],
        "questions": [question_out(q) for q in c.questions.values()],
    }


@get(
    "/api/catalog",
    operation_id="getCatalog",
    responses=problems(),
    tags=["catalogue"],
    sync_to_thread=True,
    security=[{}],
    summary="当前事项清单 The active catalogue",
)
def get_catalog(session: NamedDependency[Session]) -> CatalogueOut:
    """The published catalogue: items, departments, limits, materials, legal basis, questions."""
    return to(CatalogueOut, catalogue_out(active_catalogue(session)))


class QuestionnaireIn(msgspec.Struct, forbid_unknown_fields=True):
    answers: dict[str, Any] = msgspec.field(default_factory=dict)
    regional_assessments: list[Any] = msgspec.field(default_factory=list)
    start_date: date | None = None


@post(
    "/api/questionnaire",
    operation_id="answerQuestionnaire",
    opt={"read_only": True},
    tags=["catalogue"],
    sync_to_thread=True,
    status_code=200,
    security=[{}],
    responses=problems(400, 422),
    summary="一次告知问卷 The questionnaire",
)
def questionnaire(
    data: JSONBody[QuestionnaireIn],
    session: NamedDependency[Session],
    clock: NamedDependency[Clock],
) -> QuestionnaireOut:
    """Answer what is known; get the next questions, and — once complete — the complete list of
    items and materials that will apply, told once (一次告知)."""
    catalogue = active_catalogue(session)
    pending = [q for q in next_questions(catalogue, data.answers) if not q.has_default]
    out: dict[str, Any] = {
        "complete": not pending,
        "questions": [question_out(q) for q in relevant_questions(catalogue, data.answers)],
        "next_questions": [question_out(q) for q in pending],
    }
    if pending:
        return to(QuestionnaireOut, out)
    answers = resolve_answers(catalogue, data.answers)
    assessments = tuple(
        parse_assessment(a, f"regional_assessments[{i}]")
        for i, a in enumerate(data.regional_assessments)
    )
    # the one-time notice lists what departments review (the plan a filing baselines): the
    # enterprise's and intermediaries' own activities are left out
    p = plan(
        catalogue,
        Project(answers, assessments),
        work_calendar(session),
        data.start_date or clock.today(),
        Mechanisms(activities=False),
    )
    full = p.to_dict()
    out["notice"] = {
        "items": [
            {
                k: i[k]
                for k in (
                    "code",
                    "name",
                    "department",
                    "departments",
                    "stage",
                    "days",
                    "mode",
                    "members",
                )
            }
            for i in full["items"]
        ],
        "waived": full["waived"],
        "reduced_to_commitment": full["reduced_to_commitment"],
        "materials_to_submit": [m for m in full["materials"] if m["provided_by"] is None],
        "certificates_passed_on": [m for m in full["materials"] if m["provided_by"] is not None],
        "makespan_workdays": full["makespan_workdays"],
        "serial_workdays": full["serial_workdays"],
        "finish_date": full["finish_date"],
    }
    return to(QuestionnaireOut, out)


ROUTES = [get_catalog, questionnaire]
