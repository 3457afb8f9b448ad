"""The checks of one catalogue entry that :func:`approvals.catalog.parse_catalog` runs on items
out of the ordinary (and on merge groups and questions): departments, limits, conditions naming
questions, materials, waivers, duplicate prerequisites.  Every finding names where it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from approvals.conditions import condition_problems, referenced_attributes
from i18n import Text

if TYPE_CHECKING:
    from approvals.catalog import Department, Item, Question, Requirement


def item_requirements(item: Item, where: str) -> list[tuple[str, tuple[Requirement, ...]]]:
    """The item's prerequisites and each split part's, each with where it is written."""
    out = [(where, item.requires)]
    if item.split:
        for j, p in enumerate(item.split.parts):
            out.append((f"{where}.split.parts[{j}] ({p.code})", p.requires or ()))
    return out


def condition_findings(cond: Any, where: str, questions: Mapping[str, Question]) -> list[Text]:
    """What is wrong with a condition: its form, or an attribute that is no question."""
    if cond is None:
        return []
    found = [Text(f"{p}", p) for p in condition_problems(cond, where)]
    if not found and questions:
        for attr in referenced_attributes(cond):
            if attr not in questions:
                found.append(
                    Text(
                        f"{where}：属性 '{attr}' 不是问卷中的问题",
                        f"{where}: attribute '{attr}' is not a question of the questionnaire",
                    )
                )
    return found


def item_problems(
    item: Item, where: str, departments: Mapping[str, Department], questions: Mapping[str, Question]
) -> list[Text]:
    """Every finding about one item out of the ordinary, in the order of its fields."""
    problems: list[Text] = []
    if item.kind != "review" and item.split is not None:
        problems.append(
            Text(
                f"{where}.split：企业或中介的活动不能拆分审批",
                f"{where}.split: an enterprise's or intermediary's activity cannot be split",
            )
        )
    if item.kind == "review" and item.unit != "workdays":
        problems.append(
            Text(
                f"{where}.unit：审批事项按工作日计时",
                f"{where}.unit: a review item counts working days",
            )
        )
    if item.kind != "review":
        pass  # its department names the owner, not one of the catalogue's departments
    elif departments and item.department not in departments:
        problems.append(
            Text(
                f"{where}.department：未知部门 '{item.department}'",
                f"{where}.department: unknown department '{item.department}'",
            )
        )
    if item.statutory_days is not None and item.statutory_days < item.days:
        problems.append(
            Text(
                f"{where}.days：承诺时限 {item.days} 超过法定时限 {item.statutory_days}",
                f"{where}.days: committed limit {item.days} exceeds the statutory limit {item.statutory_days}",
            )
        )
    problems += condition_findings(item.applies_if, f"{where}.applies_if", questions)
    problems += _material_and_waiver_problems(item, where, questions)
    if item.split:
        problems += condition_findings(
            item.split.applies_if, f"{where}.split.applies_if", questions
        )
    for j, r in enumerate(item.requires):
        if [x.code for x in item.requires].count(r.code) > 1 and j == [
            x.code for x in item.requires
        ].index(r.code):
            problems.append(
                Text(
                    f"{where}.requires：前置事项 '{r.code}' 重复",
                    f"{where}.requires: prerequisite '{r.code}' listed twice",
                )
            )
    return problems


def _material_and_waiver_problems(
    item: Item, where: str, questions: Mapping[str, Question]
) -> list[Text]:
    """Duplicate material codes, materials' conditions, and waivers' days and assessments."""
    problems: list[Text] = []
    seen: set[str] = set()
    for j, m in enumerate(item.materials):
        if m.code in seen:
            problems.append(
                Text(
                    f"{where}.materials[{j}]：材料编码 '{m.code}' 重复",
                    f"{where}.materials[{j}]: duplicate material code '{m.code}'",
                )
            )
        seen.add(m.code)
        problems += condition_findings(
            m.applies_if, f"{where}.materials[{j}].applies_if", questions
        )
    for j, w in enumerate(item.waivers):
        if w.effect == "commitment" and w.days is not None and w.days > item.days:
            problems.append(
                Text(
                    f"{where}.waivers[{j}].days：承诺制时限 {w.days} 长于原时限 {item.days}",
                    f"{where}.waivers[{j}].days: the commitment limit {w.days} is longer than the item's {item.days}",
                )
            )
        if w.effect == "waive" and w.days is not None:
            problems.append(
                Text(
                    f"{where}.waivers[{j}].days：免于审批的事项不应有时限",
                    f"{where}.waivers[{j}].days: a waived item takes no days",
                )
            )
    if len({w.assessment for w in item.waivers}) != len(item.waivers):
        problems.append(
            Text(
                f"{where}.waivers：同一区域评价重复出现",
                f"{where}.waivers: an assessment type appears twice",
            )
        )
    return problems
