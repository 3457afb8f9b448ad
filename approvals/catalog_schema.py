"""The published JSON Schema of catalogue files (事项清单), printed by ``onetrip catalog schema``.

The minimal accepted form is ``{"items": [{"code", "name", "department", "stage", "days",
"requires": [codes]}]}``; everything else is optional.  Structural rules live here; rules that
span items (unknown prerequisites, cycles, duplicate codes, merge membership) are checked in
:mod:`approvals.catalog` after the schema passes.
"""

from __future__ import annotations

from typing import Any

#: The seven regional assessments (区域评价) a zone may hold (浙政办发〔2018〕73号).
REGIONAL_ASSESSMENT_TYPES: dict[str, tuple[str, str]] = {
    "energy": ("区域能评", "regional energy-use assessment"),
    "environment": ("区域规划环评", "regional planning environmental impact assessment"),
    "flood": ("防洪影响评价", "flood impact assessment"),
    "soil_water": ("水土保持", "soil and water conservation"),
    "water_resources": ("水资源论证", "water resources assessment"),
    "mineral": ("压覆矿产资源评估", "assessment of overlaid mineral resources"),
    "geohazard": ("地质灾害危险性评估", "geological hazard risk assessment"),
}

_CODE = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^\S+$"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_TEXT = {"type": "string", "maxLength": 4000}
_DAYS = {"type": "integer", "minimum": 0, "maximum": 10000}

_CONDITION: dict[str, Any] = {
    "description": "Applicability condition over project attributes: {attr, eq|ne|gt|gte|lt|lte|in|not_in|exists} or {all|any: [...]} or {not: ...}.",
    "type": "object",
    "minProperties": 1,
    "properties": {
        "attr": {"type": "string", "minLength": 1},
        "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
        "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
        "not": {"$ref": "#/$defs/condition"},
        "in": {"type": "array"},
        "not_in": {"type": "array"},
        "gt": {"type": "number"},
        "gte": {"type": "number"},
        "lt": {"type": "number"},
        "lte": {"type": "number"},
        "exists": {"type": "boolean"},
        "eq": {},
        "ne": {},
    },
    "additionalProperties": False,
}

_REQUIREMENT = {
    "description": "A prerequisite: a code (finish-to-start), or {code, lead}: may start `lead` working days before the prerequisite ends (模拟审查/提前介入).",
    "oneOf": [
        _CODE,
        {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": _CODE,
                "lead": {"type": "integer", "minimum": 0, "maximum": 10000},
            },
            "additionalProperties": False,
        },
    ],
}

CATALOG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://onetrip.example.org/schema/catalog.schema.json",
    "title": "onetrip catalogue of approval items (事项清单)",
    "type": "object",
    "required": ["items"],
    "properties": {
        "catalog": {
            "type": "object",
            "properties": {
                "code": _CODE,
                "name": _NAME,
                "name_en": _NAME,
                "version": {"type": ["string", "number"]},
                "region": _NAME,
                "basis": _TEXT,
            },
            "additionalProperties": False,
        },
        "departments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name"],
                "properties": {"code": _CODE, "name": _NAME, "name_en": _NAME},
                "additionalProperties": False,
            },
        },
        "questions": {
            "description": "The questionnaire (一次告知) whose answers decide which items apply.",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "text", "type"],
                "properties": {
                    "key": {
                        "type": "string",
                        "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
                        "maxLength": 64,
                    },
                    "text": _NAME,
                    "text_en": _NAME,
                    "type": {"enum": ["boolean", "number", "choice", "text"]},
                    "unit": {"type": "string", "maxLength": 32},
                    "options": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["value", "label"],
                            "properties": {
                                "value": {"type": ["string", "number", "boolean"]},
                                "label": _NAME,
                                "label_en": _NAME,
                            },
                            "additionalProperties": False,
                        },
                    },
                    "default": {},
                    "ask_if": {"$ref": "#/$defs/condition"},
                },
                "additionalProperties": False,
            },
        },
        "items": {
            "type": "array",
            "items": {"$ref": "#/$defs/item"},
        },
        "merge_groups": {
            "description": "Items reviewed as one (二合一 / 多评合一 / 联合验收); every member department signs.",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "members"],
                "properties": {
                    "code": _CODE,
                    "name": _NAME,
                    "name_en": _NAME,
                    "department": _CODE,
                    "members": {
                        "type": "array",
                        "minItems": 2,
                        "items": _CODE,
                        "uniqueItems": True,
                    },
                    "days": _DAYS,
                    "unmerged": {
                        "description": "How the members would run without the merge (for the savings figure).",
                        "enum": ["serial", "parallel"],
                    },
                    "legal_basis": _TEXT,
                    "applies_if": {"$ref": "#/$defs/condition"},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
    "$defs": {
        "condition": _CONDITION,
        "item": {
            "type": "object",
            "required": ["code", "name", "stage", "days"],
            # a review item names its department; an enterprise's or intermediary's activity need not
            "if": {
                "properties": {"kind": {"enum": ["enterprise", "intermediary"]}},
                "required": ["kind"],
            },
            "else": {"required": ["department"]},
            "properties": {
                "code": _CODE,
                "name": _NAME,
                "name_en": _NAME,
                "kind": {
                    "description": "review (a government review item, the default: the government's clock), enterprise (the enterprise's own work: design, construction, trial production) or intermediary (an intermediary service, 中介服务: survey, report writing, drawings).",
                    "enum": ["review", "enterprise", "intermediary"],
                },
                "unit": {
                    "description": "Unit of `days`: workdays (the default, working days of the Chinese calendar) or calendar_days (an activity of N days occupies N calendar days). Review items count working days.",
                    "enum": ["workdays", "calendar_days"],
                },
                "milestone": {
                    "description": "The plan's milestone this item's end marks (赋码, 施工许可, 竣工验收, 投产).",
                    "enum": [
                        "project_code",
                        "construction_permit",
                        "completion_acceptance",
                        "production",
                    ],
                },
                "department": {"type": "string", "minLength": 1, "maxLength": 64},
                "stage": {
                    "description": "1 立项用地规划许可, 2 工程建设许可, 3 施工许可, 4 竣工验收",
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 4,
                },
                "days": {
                    **_DAYS,
                    "description": "Committed time limit (承诺时限) in working days; for an enterprise's or intermediary's activity, its typical duration in `unit`.",
                },
                "statutory_days": {
                    **_DAYS,
                    "description": "Statutory time limit (法定时限) in working days.",
                },
                "legal_basis": _TEXT,
                "requires": {"type": "array", "items": _REQUIREMENT},
                "applies_if": {"$ref": "#/$defs/condition"},
                "materials": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name"],
                        "properties": {
                            "code": _CODE,
                            "name": _NAME,
                            "name_en": _NAME,
                            "deferrable": {
                                "description": "May be missing at intake (容缺), supplied by a deadline.",
                                "type": "boolean",
                            },
                            "deferral_days": {"type": "integer", "minimum": 1, "maximum": 365},
                            "applies_if": {"$ref": "#/$defs/condition"},
                        },
                        "additionalProperties": False,
                    },
                },
                "outputs": {
                    "description": "Certificates the item issues (电子证照), passed on to later items.",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "name"],
                        "properties": {"code": _CODE, "name": _NAME, "name_en": _NAME},
                        "additionalProperties": False,
                    },
                },
                "waivers": {
                    "description": "Waived, or reduced to a commitment (承诺制), when the plot's zone holds a valid regional assessment.",
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["assessment", "effect"],
                        "properties": {
                            "assessment": {"enum": list(REGIONAL_ASSESSMENT_TYPES)},
                            "effect": {"enum": ["waive", "commitment"]},
                            "days": _DAYS,
                            "basis": _TEXT,
                        },
                        "additionalProperties": False,
                    },
                },
                "split": {
                    "description": "Split into parts with their own prerequisites (桩基先行 / 分步审批).",
                    "type": "object",
                    "required": ["parts"],
                    "properties": {
                        "applies_if": {"$ref": "#/$defs/condition"},
                        "basis": _TEXT,
                        "parts": {
                            "type": "array",
                            "minItems": 2,
                            "items": {
                                "type": "object",
                                "required": ["code", "name", "days"],
                                "properties": {
                                    "code": _CODE,
                                    "name": _NAME,
                                    "name_en": _NAME,
                                    "days": _DAYS,
                                    "requires": {"type": "array", "items": _REQUIREMENT},
                                },
                                "additionalProperties": False,
                            },
                        },
                    },
                    "additionalProperties": False,
                },
                "special_procedures": {
                    "description": "Procedures that stop the clock (行政许可法第四十五条): expert review, hearing, testing.",
                    "type": "array",
                    "items": {
                        "enum": [
                            "expert_review",
                            "hearing",
                            "testing",
                            "inspection",
                            "public_notice",
                        ]
                    },
                },
            },
            "additionalProperties": False,
        },
    },
}
