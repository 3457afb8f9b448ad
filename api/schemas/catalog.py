"""The catalogue (事项清单), the questionnaire (一次告知) and the plan's shared parts."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from api.schemas.common import Out


class Named(Out):
    code: str
    name: str


class NamedEn(Out):
    code: str
    name: str
    name_en: str


class StageName(Out):
    name: str
    name_en: str


class Requirement(Out):
    code: str
    lead: int


class CatalogueMaterial(Out):
    code: str
    name: str
    deferrable: bool


class Waiver(Out):
    assessment: str
    effect: str
    days: int | None


class CatalogueItem(Out):
    code: str
    name: str
    name_en: str
    department: str
    stage: int
    days: int
    statutory_days: int | None
    legal_basis: str
    requires: list[Requirement]
    materials: list[CatalogueMaterial]
    outputs: list[Named]
    waivers: list[Waiver]
    applies_if: dict[str, Any] | None
    split: bool
    special_procedures: list[str]


class MergeGroup(Out):
    code: str
    name: str
    members: list[str]
    days: int
    department: str


class Option(Out):
    value: Any
    label: str
    label_en: str


class Question(Out):
    key: str
    text: str
    text_en: str
    type: str
    unit: str
    options: list[Option]
    default: Any = None


class CatalogueOut(Out):
    code: str
    name: str
    name_en: str
    version: str
    sha256: str
    stages: dict[str, StageName]
    departments: list[NamedEn]
    items: list[CatalogueItem]
    merge_groups: list[MergeGroup]
    questions: list[Question]


class Waived(Out):
    """An item waived by a regional assessment (区域评估)."""

    code: str
    name: str
    department: str
    assessment: str
    reason: str
    days_saved: int


class ReducedToCommitment(Out):
    """An item reduced to a commitment (承诺制) by a regional assessment."""

    code: str
    name: str
    assessment: str
    days_before: int
    days_after: int
    reason: str


class PlanMaterial(Out):
    code: str
    name: str
    deferrable: bool
    needed_by: list[str]
    provided_by: str | None


class NoticeItem(Out):
    code: str
    name: str
    department: str
    departments: list[str]
    stage: int
    days: int
    mode: str
    members: list[str]


class QuestionnaireNotice(Out):
    items: list[NoticeItem]
    waived: list[Waived]
    reduced_to_commitment: list[ReducedToCommitment]
    materials_to_submit: list[PlanMaterial]
    certificates_passed_on: list[PlanMaterial]
    makespan_workdays: int
    serial_workdays: int
    finish_date: str


class QuestionnaireOut(Out):
    complete: bool
    questions: list[Question]
    next_questions: list[Question]
    notice: QuestionnaireNotice | msgspec.UnsetType = msgspec.UNSET


# --- editing the catalogue (a new version per change) --------------------------------------------


class MaterialIn(msgspec.Struct, forbid_unknown_fields=True):
    """A material of an item: its code (kept when renamed) and name."""

    code: Annotated[str, msgspec.Meta(max_length=64)]
    name: Annotated[str, msgspec.Meta(max_length=200)]


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    """An item as the administrator sets it; ``requires`` omitted keeps the prerequisites,
    ``stage`` is needed for a new item.  Days are working days (also negative ones are read, and
    refused with a message naming the item and the field)."""

    name: Annotated[str, msgspec.Meta(max_length=200)]
    department: Annotated[str, msgspec.Meta(max_length=64)]
    days: Annotated[int, msgspec.Meta(ge=-100000, le=100000)]
    statutory_days: Annotated[int, msgspec.Meta(ge=-100000, le=100000)] | None = None
    legal_basis: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    materials: Annotated[list[MaterialIn], msgspec.Meta(max_length=200)] = []
    requires: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=200)]
        | None
    ) = None
    stage: Annotated[int, msgspec.Meta(ge=-100, le=100)] | None = None
    #: the version the edit was made on; another active version meanwhile is a 409
    base_version_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None


class NewItemIn(ItemIn, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[str, msgspec.Meta(max_length=64)]


class CatalogueDiffOut(Out):
    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]
    summary: str


class CatalogueVersionOut(Out):
    id: int
    code: str
    version: str
    name: str
    active: bool
    loaded_at: str
    loaded_by: str
    items: int
    projects: int
    diff: CatalogueDiffOut


class CatalogueVersionsOut(Out):
    versions: list[CatalogueVersionOut]
