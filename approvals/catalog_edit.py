"""Editing a catalogue document item by item (pure): the administrator's change checked field by
field, applied to a copy of the document (a new version; the old one is never touched), and the
difference between two versions summarised for the versions page.

The full checks of :func:`approvals.catalog.parse_catalog` (cycles, unknown prerequisites, …)
run afterwards on the edited copy; the findings here name the item and the field in words an
administrator reads.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from i18n import Text

#: The fields of an item the administrator edits, by name (中文, English).
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "name": ("名称", "name"),
    "department": ("承办部门", "department"),
    "stage": ("阶段", "stage"),
    "days": ("承诺时限", "committed days"),
    "statutory_days": ("法定时限", "statutory days"),
    "legal_basis": ("法律依据", "legal basis"),
    "requires": ("前置事项", "prerequisites"),
    "materials": ("申请材料", "materials"),
}

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class MaterialEdit:
    code: str
    name: str


@dataclass(frozen=True)
class ItemEdit:
    """What the administrator sets on one item; ``requires`` None keeps the prerequisites."""

    name: str
    department: str
    days: int | None
    statutory_days: int | None
    legal_basis: str
    materials: tuple[MaterialEdit, ...]
    requires: tuple[str, ...] | None = None
    stage: int | None = None


@dataclass(frozen=True)
class CatalogueDiff:
    """Items added, removed and changed (code → the names of the changed fields)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _label(item_code: str, item_name: str, fld: str) -> tuple[str, str]:
    zh, en = FIELD_NAMES.get(fld, (fld, fld))
    shown = f"{item_code}「{item_name}」" if item_name else item_code
    return f"事项 {shown}的{zh}", f"item {item_code}, {en}"


def edit_problems(
    doc: Mapping[str, Any], code: str, edit: ItemEdit, *, new: bool = False
) -> list[Text]:
    """Every problem of ``edit`` on item ``code`` of ``doc``, each naming the item and field.

    >>> doc = {"departments": [{"code": "fgw", "name": "发改局"}],
    ...        "items": [{"code": "A", "name": "甲", "department": "fgw", "stage": 1, "days": 5}]}
    >>> e = ItemEdit("甲", "fgw", -1, 3, "", (MaterialEdit("M1", "表"), MaterialEdit("M1", "表二")))
    >>> [p.zh for p in edit_problems(doc, "A", e)]  # doctest: +NORMALIZE_WHITESPACE
    ['事项 A「甲」的承诺时限：不能为负数（-1）',
     '事项 A「甲」的申请材料：材料编号 M1 重复']
    >>> e = ItemEdit("甲", "xx", 8, 5, "", ())
    >>> [p.zh for p in edit_problems(doc, "A", e)]  # doctest: +NORMALIZE_WHITESPACE
    ['事项 A「甲」的承办部门：未知部门 xx',
     '事项 A「甲」的法定时限：法定时限 5 天少于承诺时限 8 天']
    >>> new = ItemEdit("乙", "fgw", 1, None, "", (), stage=1)
    >>> [p.zh for p in edit_problems(doc, "A", new, new=True)]
    ['事项 A「乙」的编号：事项编号 A 已存在']
    """
    problems: list[Text] = []
    items = {i["code"]: i for i in doc.get("items") or ()}
    name = edit.name.strip()

    def bad(fld: str, zh: str, en: str) -> None:
        where_zh, where_en = _label(code, name or (items.get(code) or {}).get("name", ""), fld)
        problems.append(Text(f"{where_zh}：{zh}", f"{where_en}: {en}"))

    if new:
        if not _CODE.match(code):
            problems.append(
                Text(
                    f"事项编号「{code}」无效：只能由字母、数字和 - _ . 组成",
                    f"item code '{code}' is invalid: letters, digits and - _ . only",
                )
            )
        elif code in items or any(
            p.get("code") == code
            for i in items.values()
            for p in (i.get("split") or {}).get("parts") or ()
        ):
            problems.append(
                Text(
                    f"事项 {code}「{name}」的编号：事项编号 {code} 已存在",
                    f"item {code}: code exists",
                )
            )
        if edit.stage is None or edit.stage < 1:
            bad("stage", "阶段须为正整数", "the stage must be a positive whole number")
    elif code not in items:
        problems.append(Text(f"事项 {code} 不存在", f"no item {code}"))
        return problems
    if not name:
        bad("name", "不能为空", "required")
    elif len(name) > 200:
        bad("name", "不能超过 200 字", "at most 200 characters")
    departments = {d["code"] for d in doc.get("departments") or ()}
    kind = (items.get(code) or {}).get("kind", "review")
    if kind == "review" and departments and edit.department not in departments:
        bad(
            "department",
            f"未知部门 {edit.department or '（空）'}",
            f"unknown department '{edit.department}'",
        )
    if edit.days is None:
        bad("days", "须填写整数天数", "a whole number of days is required")
    elif edit.days < 0:
        bad("days", f"不能为负数（{edit.days}）", f"cannot be negative ({edit.days})")
    if edit.statutory_days is not None:
        if edit.statutory_days < 0:
            bad(
                "statutory_days",
                f"不能为负数（{edit.statutory_days}）",
                f"cannot be negative ({edit.statutory_days})",
            )
        elif edit.days is not None and edit.days >= 0 and edit.statutory_days < edit.days:
            bad(
                "statutory_days",
                f"法定时限 {edit.statutory_days} 天少于承诺时限 {edit.days} 天",
                f"{edit.statutory_days} days is less than the committed {edit.days} days",
            )
    seen: set[str] = set()
    for m in edit.materials:
        if not m.code.strip():
            bad("materials", f"材料「{m.name}」缺少编号", f"material '{m.name}' has no code")
        elif not _CODE.match(m.code.strip()):
            bad("materials", f"材料编号「{m.code}」无效", f"material code '{m.code}' is invalid")
        elif m.code.strip() in seen:
            bad("materials", f"材料编号 {m.code.strip()} 重复", f"material code {m.code} twice")
        if not m.name.strip():
            bad("materials", f"材料 {m.code} 缺少名称", f"material {m.code} has no name")
        seen.add(m.code.strip())
    for r in edit.requires or ():
        if r == code:
            bad("requires", "事项不能以自身为前置", "an item cannot require itself")
    return problems


def apply_edit(
    doc: Mapping[str, Any], code: str, edit: ItemEdit, *, new: bool = False, version: str = ""
) -> dict[str, Any]:
    """A copy of ``doc`` with item ``code`` edited (or added), its catalogue version set to
    ``version``; ``doc`` itself is not changed.  Materials keep their other fields (deferral,
    conditions) when their code stays.

    >>> doc = {"catalog": {"version": "1"}, "items": [{"code": "A", "name": "甲",
    ...        "department": "d", "stage": 1, "days": 5,
    ...        "materials": [{"code": "M1", "name": "表", "deferrable": True}]}]}
    >>> new = apply_edit(doc, "A", ItemEdit("甲", "d", 3, None, "依据",
    ...                  (MaterialEdit("M1", "新表"), MaterialEdit("M2", "图"))), version="1-1")
    >>> new["items"][0]["days"], new["items"][0]["materials"], new["catalog"]["version"]
    (3, [{'code': 'M1', 'name': '新表', 'deferrable': True}, {'code': 'M2', 'name': '图'}], '1-1')
    >>> doc["items"][0]["days"], doc["catalog"]["version"]
    (5, '1')
    """
    out: dict[str, Any] = copy.deepcopy(dict(doc))
    items: list[dict[str, Any]] = out.setdefault("items", [])
    if new:
        item: dict[str, Any] = {"code": code, "stage": edit.stage or 1}
        items.append(item)
    else:
        item = next(i for i in items if i["code"] == code)
    old_materials = {m["code"]: m for m in item.get("materials") or ()}
    item["name"] = edit.name.strip()
    if item.get("kind", "review") == "review" or edit.department:
        item["department"] = edit.department
    if edit.stage is not None:
        item["stage"] = edit.stage
    item["days"] = edit.days
    if edit.statutory_days is None:
        item.pop("statutory_days", None)
    else:
        item["statutory_days"] = edit.statutory_days
    if edit.legal_basis.strip():
        item["legal_basis"] = edit.legal_basis.strip()
    else:
        item.pop("legal_basis", None)
    materials = []
    for m in edit.materials:
        kept = dict(old_materials.get(m.code.strip(), {}))
        kept.update(code=m.code.strip(), name=m.name.strip())
        if (
            m.code.strip() in old_materials
            and old_materials[m.code.strip()].get("name") != m.name.strip()
        ):
            kept.pop("name_en", None)  # renamed: the old English name no longer fits
        materials.append(kept)
    if materials:
        item["materials"] = materials
    else:
        item.pop("materials", None)
    if edit.requires is not None:
        if edit.requires:
            leads = {r["code"]: r for r in item.get("requires") or () if isinstance(r, dict)}
            item["requires"] = [leads.get(r, r) for r in edit.requires]
        else:
            item.pop("requires", None)
    if version:
        out.setdefault("catalog", {})
        out["catalog"] = {**out["catalog"], "version": version}
    return out


def next_version(version: str, taken: Sequence[str]) -> str:
    """The version name of an edit of ``version``: its base with the next free revision number.

    >>> next_version("2026.1", ["2026.1"])
    '2026.1-1'
    >>> next_version("2026.1-1", ["2026.1", "2026.1-1", "2026.1-2"])
    '2026.1-3'
    """
    base = re.sub(r"-\d+$", "", version) or "1"
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


#: The fields compared item by item (what a version's summary names).
COMPARED = ("name", "department", "stage", "days", "statutory_days", "legal_basis", "requires")


def diff_documents(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> CatalogueDiff:
    """Which items ``new`` adds, removes and changes compared with ``old`` (None: all added).

    >>> a = {"items": [{"code": "A", "name": "甲", "days": 5,
    ...                 "materials": [{"code": "M1", "name": "表"}]},
    ...                {"code": "B", "name": "乙", "days": 2}]}
    >>> b = {"items": [{"code": "A", "name": "甲", "days": 3,
    ...                 "materials": [{"code": "M1", "name": "新表"}]},
    ...                {"code": "C", "name": "丙", "days": 1}]}
    >>> diff_documents(a, b)
    CatalogueDiff(added=('C',), removed=('B',), changed=(('A', ('days', 'materials')),))
    >>> diff_documents(a, a).empty
    True
    """
    new_items = {i["code"]: i for i in new.get("items") or ()}
    if old is None:
        return CatalogueDiff(added=tuple(new_items))
    old_items = {i["code"]: i for i in old.get("items") or ()}
    changed = []
    for code, item in new_items.items():
        before = old_items.get(code)
        if before is None:
            continue
        fields = [f for f in COMPARED if before.get(f) != item.get(f)]
        mats = [(m.get("code"), m.get("name")) for m in before.get("materials") or ()]
        if mats != [(m.get("code"), m.get("name")) for m in item.get("materials") or ()]:
            fields.append("materials")
        if fields:
            changed.append((code, tuple(fields)))
    return CatalogueDiff(
        added=tuple(c for c in new_items if c not in old_items),
        removed=tuple(c for c in old_items if c not in new_items),
        changed=tuple(changed),
    )


def diff_summary(diff: CatalogueDiff, lang: str = "zh") -> str:
    """The difference in one line a person reads.

    >>> diff_summary(CatalogueDiff(("C",), ("B",), (("A", ("days", "materials")),)))
    '新增 C；删除 B；修改 A（承诺时限、申请材料）'
    >>> diff_summary(CatalogueDiff())
    '无变化'
    """
    en = lang == "en"
    parts = []
    if diff.added:
        shown = ", ".join(diff.added) if en else "、".join(diff.added)
        parts.append(f"added {shown}" if en else f"新增 {shown}")
    if diff.removed:
        shown = ", ".join(diff.removed) if en else "、".join(diff.removed)
        parts.append(f"removed {shown}" if en else f"删除 {shown}")
    for code, fields in diff.changed:
        names = [FIELD_NAMES.get(f, (f, f))[1 if en else 0] for f in fields]
        parts.append(
            f"changed {code} ({', '.join(names)})" if en else f"修改 {code}（{'、'.join(names)}）"
        )
    if not parts:
        return "no change" if en else "无变化"
    return "; ".join(parts) if en else "；".join(parts)
