"""The progressive questionnaire (一次告知): which questions to ask, and checked answers.

Questions are asked in catalogue order; a question with ``ask_if`` is asked only once the
answers it depends on make it relevant.  After the last answer, the enterprise is told once the
complete list of items and materials (see :func:`approvals.planning.plan`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from approvals.catalog import Catalogue, Question, answer_problem
from approvals.conditions import MissingAttribute, evaluate
from approvals.errors import ProjectError


def relevant_questions(catalogue: Catalogue, answers: Mapping[str, Any]) -> list[Question]:
    """The questions to show for these answers: unconditional ones and those whose ``ask_if``
    holds; a question whose condition reads an unanswered question waits for it."""
    shown = []
    for q in catalogue.questions.values():
        try:
            if evaluate(q.ask_if, answers):
                shown.append(q)
        except MissingAttribute:
            continue
    return shown


def next_questions(catalogue: Catalogue, answers: Mapping[str, Any]) -> list[Question]:
    """Relevant questions still unanswered (empty: the questionnaire is complete)."""
    return [q for q in relevant_questions(catalogue, answers) if q.key not in answers]


def resolve_answers(catalogue: Catalogue, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Check the answers against the questions and fill in defaults.

    Attributes that are not questions pass through unchanged (a catalogue without questions
    accepts any attributes).

    Raises
    ------
    ProjectError
        When an answer has the wrong type or is not among a choice's options.
    """
    resolved = dict(attributes)
    for q in catalogue.questions.values():
        if q.key in resolved and resolved[q.key] is not None:
            problem = answer_problem(q, resolved[q.key])
            if problem:
                raise ProjectError(
                    f"属性 '{q.key}'（{q.text}）：{problem.zh}",
                    f"attribute '{q.key}' ({q.text_en or q.text}): {problem.en}",
                )
        elif q.has_default:
            resolved[q.key] = q.default
    return resolved


def missing_answer_error(catalogue: Catalogue, attr: str, needed_by: str) -> ProjectError:
    question = catalogue.questions.get(attr)
    text = f"（{question.text}）" if question else ""
    text_en = f" ({question.text_en or question.text})" if question else ""
    return ProjectError(
        f"项目缺少属性 '{attr}'{text}，{needed_by} 的适用条件需要它",
        f"the project lacks attribute '{attr}'{text_en}, which {needed_by} needs to decide whether it applies",
    )


def answer_label(catalogue: Catalogue, key: str, value: Any) -> tuple[str, str]:
    """How a choice answer reads (中文, English): the option's label, not its stored value
    (an industry ``equipment`` is 装备制造); other answers as they are.

    >>> from approvals.catalog import default_catalogue
    >>> answer_label(default_catalogue(), "industry", "equipment")
    ('装备制造', 'Equipment manufacturing')
    >>> answer_label(default_catalogue(), "industry", "unknown-code")
    ('unknown-code', 'unknown-code')
    """
    question = catalogue.questions.get(key)
    for option in question.options if question else ():
        if option.value == value:
            return option.label, option.label_en or option.label
    return str(value), str(value)
