"""Why each item is in the plan, or not (一次告知的依据): the answers that made an item apply,
the items waived or reduced to a commitment (承诺制) by the zone's regional assessments with their
reason and legal basis — what the project page shows next to the plan.

Read from the baseline the project was filed with (the CLI's plan JSON: ``waived``,
``reduced_to_commitment``) and the catalogue version it was filed under (conditions, bases).
"""

from __future__ import annotations

from typing import Any

from approvals.catalog import Catalogue, Item, Question
from approvals.conditions import referenced_attributes


def _answer(q: Question | None, value: Any, lang: str) -> str:
    en = lang == "en"
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("是" if value else "否")
    if q is not None:
        for o in q.options:
            if o.value == value:
                return (o.label_en or o.label) if en else o.label
        if q.unit and value is not None:
            return f"{value} {q.unit}"
    return "—" if value is None else str(value)


def _question_text(catalogue: Catalogue, key: str, lang: str) -> str:
    q = catalogue.questions.get(key)
    if q is None:
        return key
    return (q.text_en or q.text) if lang == "en" else q.text


def _item(catalogue: Catalogue, code: str) -> Item | None:
    item = catalogue.items.get(code)
    if item is None and code in catalogue.part_parent:
        item = catalogue.items.get(catalogue.part_parent[code])
    return item


def _waiver_basis(item: Item | None, assessment: str) -> str:
    if item is None:
        return ""
    for w in item.waivers:
        if w.assessment == assessment and w.basis:
            return w.basis
    return item.legal_basis


def applicability(
    catalogue: Catalogue, baseline: dict[str, Any], attributes: dict[str, Any], lang: str
) -> dict[str, list[dict[str, Any]]]:
    """``applied``: each planned item with the answers its condition read (empty when it applies
    to every project) and its legal basis; ``waived`` and ``reduced``: what the zone's
    assessments took away, with reason and basis."""
    en = lang == "en"
    applied = []
    for it in baseline.get("items", []):
        codes = list(it.get("members") or []) or [it["code"]]
        answers: list[dict[str, str]] = []
        bases: list[str] = []
        for code in codes:
            item = _item(catalogue, code)
            if item is None:
                continue
            if item.legal_basis and item.legal_basis not in bases:
                bases.append(item.legal_basis)
            for key in dict.fromkeys(referenced_attributes(item.applies_if)):
                entry = {
                    "question": _question_text(catalogue, key, lang),
                    "answer": _answer(catalogue.questions.get(key), attributes.get(key), lang),
                }
                if entry not in answers:
                    answers.append(entry)
        applied.append(
            {
                "code": it["code"],
                "name": (it.get("name_en") or it["name"]) if en else it["name"],
                "answers": answers,
                "basis": "；".join(bases),
            }
        )
    waived = [
        {**w, "basis": _waiver_basis(_item(catalogue, w["code"]), w.get("assessment", ""))}
        for w in baseline.get("waived", [])
    ]
    reduced = [
        {**r, "basis": _waiver_basis(_item(catalogue, r["code"]), r.get("assessment", ""))}
        for r in baseline.get("reduced_to_commitment", [])
    ]
    return {"applied": applied, "waived": waived, "reduced": reduced}
