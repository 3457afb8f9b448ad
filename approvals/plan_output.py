"""A plan's JSON form (the CLI contract, plus descriptive extras): :func:`plan_dict` for Python
callers, :func:`plan_json` for the bytes (msgspec in C, the stdlib when msgspec cannot), and the
names of stages and mechanisms in either language.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import msgspec

from approvals.catalog import STAGES

if TYPE_CHECKING:
    from approvals.planning import Plan

MECHANISM_NAMES: dict[str, tuple[str, str]] = {
    "waivers": (
        "标准地区域评价免审/承诺",
        "standard-plot regional assessments (waivers, commitments)",
    ),
    "early_starts": ("模拟审查/提前介入", "early starts (simulated review)"),
    "merges": ("合并审查（二合一/多评合一/联合验收）", "merged reviews"),
    "splits": ("分步审批（桩基先行）", "split approvals (piling first)"),
}


def stage_name(stage: int, lang: str = "zh") -> str:
    zh, en = STAGES.get(stage, (str(stage), str(stage)))
    return en if lang == "en" else zh


class _ItemJson(msgspec.Struct, gc=False):
    """An item of :func:`plan_json`: the fields in the order of the keys of
    :func:`plan_dict`'s items; msgspec writes tuples as arrays and dates as YYYY-MM-DD."""

    code: Any
    name: Any
    name_en: Any
    department: Any
    departments: Any
    stage: Any
    batch: Any
    days: Any
    es: Any
    ef: Any
    ls: Any
    lf: Any
    slack: Any
    critical: Any
    start_date: Any
    end_date: Any
    kind: Any
    mode: Any
    members: Any
    part_of: Any
    requires: Any
    owner: Any
    unit: Any


class _RequirementJson(msgspec.Struct, gc=False):
    """A prerequisite of an item of :func:`plan_json`, written as ``{"code": …, "lead": …}``
    (built and written in C, unlike a dict per prerequisite)."""

    code: Any
    lead: Any


def plan_dict(p: Plan, lang: str = "zh") -> dict[str, Any]:
    """The JSON form of the CLI contract (plus descriptive extras)."""
    items = [
        {
            "code": i.code,
            "name": i.name,
            "name_en": i.name_en,
            "department": i.department,
            "departments": list(i.departments),
            "stage": i.stage,
            "batch": i.batch,
            "days": i.days,
            "es": i.es,
            "ef": i.ef,
            "ls": i.ls,
            "lf": i.lf,
            "slack": i.slack,
            "critical": i.critical,
            "start_date": i.start_date.isoformat(),
            "end_date": i.end_date.isoformat(),
            "kind": i.kind,
            "mode": i.mode,
            "members": list(i.members),
            "part_of": i.part_of,
            "requires": [{"code": c, "lead": lead} for c, lead in i.requires.items()],
            "owner": i.owner,
            "unit": i.unit,
        }
        for i in p.items
    ]
    return _document(p, lang, items)


def plan_json(p: Plan, lang: str = "zh") -> bytes:
    """``json.dumps(plan_dict(p, lang), ensure_ascii=False, indent=2)`` and a newline, in
    UTF-8: the same bytes written by msgspec in C, the items as structs rather than dicts
    (the stdlib writes indented JSON in Python: 9 s for 100,000 items).  Anything msgspec
    cannot write (a lone surrogate) takes the stdlib path."""
    return b"".join(plan_json_pieces(p, lang))


#: Items written per piece by :func:`plan_json_pieces`: a few megabytes of JSON at a time.
ITEMS_PER_PIECE = 4096
_ITEMS_MARK = "\x00onetrip-items\x00"
_ITEMS_MARK_JSON = b'  "items": "\\u0000onetrip-items\\u0000"'


_PIECE_HEAD = b'{\n  "items": [\n'
_PIECE_TAIL = b"\n  ]\n}"


def plan_json_pieces(p: Plan, lang: str = "zh") -> list[bytes | memoryview]:
    """:func:`plan_json`'s bytes in pieces (joined, they are its text; written one after the
    other, they spare a copy of the whole text).

    The document around the items is written once with a mark in their place; the items a few
    thousand at a time (their structs, the compact and the indented text of one piece alive at
    a time rather than of all 100,000)."""
    try:
        if not p.items:
            encoded = msgspec.json.encode(_document(p, lang, []))
            return [msgspec.json.format(encoded, indent=2), b"\n"]
        head = msgspec.json.format(
            msgspec.json.encode(_document(p, lang, _ITEMS_MARK)),  # type: ignore[arg-type]
            indent=2,
        )
        before, mark, after = head.partition(_ITEMS_MARK_JSON)
        if not mark or _ITEMS_MARK_JSON in after:  # the mark written by someone else too
            raise ValueError("items mark")
        pieces: list[bytes | memoryview] = [before, b'  "items": [\n']
        encode, fmt = msgspec.json.encode, msgspec.json.format
        items = p.items
        for at in range(0, len(items), ITEMS_PER_PIECE):
            # {"items": [...]} puts the items at their depth in the document: the piece is
            # that text less its first and last lines
            text = fmt(encode({"items": _items_json(items[at : at + ITEMS_PER_PIECE])}), indent=2)
            if not (text.startswith(_PIECE_HEAD) and text.endswith(_PIECE_TAIL)):
                raise ValueError("items piece")
            if at:
                pieces.append(b",\n")
            pieces.append(memoryview(text)[len(_PIECE_HEAD) : -len(_PIECE_TAIL)])
        pieces += [b"\n  ]", after, b"\n"]
        return pieces
    except Exception:
        return [(json.dumps(plan_dict(p, lang), ensure_ascii=False, indent=2) + "\n").encode()]


def _items_json(items: list[Any]) -> list[_ItemJson]:
    return [
        _ItemJson(
            i.code,
            i.name,
            i.name_en,
            i.department,
            i.departments,
            i.stage,
            i.batch,
            i.days,
            i.es,
            i.ef,
            i.ls,
            i.lf,
            i.slack,
            i.critical,
            i.start_date,
            i.end_date,
            i.kind,
            i.mode,
            i.members,
            i.part_of,
            list(map(_RequirementJson, i.requires, i.requires.values())),
            i.owner,
            i.unit,
        )
        for i in items
    ]


def _document(p: Plan, lang: str, items: list[Any]) -> dict[str, Any]:
    return {
        "project": p.project_name,
        "catalog": {
            "code": p.catalogue_code,
            "version": p.catalogue_version,
            "sha256": p.catalogue_sha256,
        },
        "start_date": p.start_date.isoformat(),
        "first_workday": p.first_workday.isoformat(),
        "makespan_workdays": p.makespan,
        "serial_workdays": p.serial,
        "saved_workdays": p.parallel_saving,
        "finish_date": p.finish_date.isoformat(),
        "critical_path": list(p.critical_path),
        "approval_workdays": p.approval_workdays,
        "enterprise_days": p.enterprise_days,
        "intermediary_days": p.intermediary_days,
        "stages": [
            {
                "stage": st.stage,
                "name": stage_name(st.stage, lang),
                "approval_workdays": st.approval_workdays,
                "start_date": st.start_date.isoformat(),
                "end_date": st.end_date.isoformat(),
            }
            for st in p.stages
        ],
        "milestones": {k: v.isoformat() if v else None for k, v in p.milestones.items()},
        "days_code_to_construction_permit": p.days_code_to_construction_permit,
        "items": items,
        "waived": [
            {
                "code": w.code,
                "name": w.name,
                "department": w.department,
                "assessment": w.assessment,
                "reason": w.reason_en if lang == "en" else w.reason_zh,
                "days_saved": w.days_saved,
            }
            for w in p.waived
        ],
        "reduced_to_commitment": [
            {
                "code": r.code,
                "name": r.name,
                "assessment": r.assessment,
                "days_before": r.days_before,
                "days_after": r.days_after,
                "reason": r.reason_en if lang == "en" else r.reason_zh,
            }
            for r in p.reduced
        ],
        "not_applicable": list(p.not_applicable),
        "savings": {
            k: {
                "workdays": v.workdays,
                "review_days": v.review_days,
                "first_permit_days": v.first_permit_days,
                "mechanism": MECHANISM_NAMES[k][1 if lang == "en" else 0],
            }
            for k, v in p.savings.items()
        },
        "materials": [
            {
                "code": m.code,
                "name": m.name,
                "deferrable": m.deferrable,
                "needed_by": list(m.needed_by),
                "provided_by": m.provided_by,
            }
            for m in p.materials
        ],
        "provisional": p.provisional,
        "provisional_years": list(p.provisional_years),
    }
