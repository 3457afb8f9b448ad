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


class _ItemJson(msgspec.Struct):
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
    items = [
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
        for i in p.items
    ]
    try:
        encoded = msgspec.json.encode(_document(p, lang, items))
        return msgspec.json.format(encoded, indent=2) + b"\n"
    except Exception:
        return (json.dumps(plan_dict(p, lang), ensure_ascii=False, indent=2) + "\n").encode()


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
