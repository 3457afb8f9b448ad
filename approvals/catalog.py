"""The catalogue of approval items (事项清单) as plain domain values, and its validation.

A catalogue is loaded from a JSON/YAML document (schema in :mod:`approvals.catalog_schema`),
then checked as a whole: every finding names the item code and the field, and every finding is
reported, not only the first.  The result is immutable and safe to share between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from operator import attrgetter
from typing import Any, Literal, cast

from approvals.catalog_checks import condition_findings, item_problems, item_requirements
from approvals.catalog_cycles import acyclic, find_cycles
from approvals.catalog_io import canonical_sha256, msgspec_writes_as_json, schema_problems
from approvals.errors import CatalogError, CycleError, UnknownPrerequisiteError
from approvals.fast_init import fast_frozen_init
from i18n import Text

STAGES: dict[int, tuple[str, str]] = {
    1: ("立项用地规划许可", "project approval and land-use planning permit"),
    2: ("工程建设许可", "construction project planning permit"),
    3: ("施工许可", "construction permit"),
    4: ("竣工验收", "completion acceptance"),
}

Effect = Literal["waive", "commitment"]
#: Who does an item: a department reviews it (the government's clock, working days), or it is the
#: enterprise's own work (企业自身用时) or an intermediary's service (中介服务用时).
Owner = Literal["review", "enterprise", "intermediary"]
Unit = Literal["workdays", "calendar_days"]
OWNER_NAMES: dict[str, tuple[str, str]] = {
    "enterprise": ("项目单位（企业自身）", "the enterprise"),
    "intermediary": ("中介机构", "an intermediary"),
}
#: The plan's milestones an item's end may mark, in project order.
MILESTONES: dict[str, tuple[str, str]] = {
    "project_code": ("赋码", "project code"),
    "construction_permit": ("施工许可", "construction permit"),
    "completion_acceptance": ("竣工验收", "completion acceptance"),
    "production": ("投产", "production"),
}


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class Material:
    """A material the applicant supplies; ``deferrable`` ones may be missing at intake (容缺)."""

    code: str
    name: str
    name_en: str = ""
    deferrable: bool = False
    deferral_days: int = 10
    applies_if: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Output:
    """A certificate (证照) the item issues; later items needing it receive it automatically."""

    code: str
    name: str
    name_en: str = ""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Requirement:
    """``code`` must finish before this item starts, less ``lead`` working days (提前介入)."""

    code: str
    lead: int = 0


@dataclass(frozen=True, slots=True)
class Waiver:
    """The item is waived or reduced to a commitment when the zone holds ``assessment``."""

    assessment: str
    effect: Effect
    days: int | None = None
    basis: str = ""


@dataclass(frozen=True, slots=True)
class SplitPart:
    code: str
    name: str
    days: int
    requires: tuple[Requirement, ...] | None = None  # None: the split item's prerequisites
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class Split:
    """The item split into parts with their own prerequisites (桩基先行 / 分步审批)."""

    parts: tuple[SplitPart, ...]
    applies_if: Mapping[str, Any] | None = None
    basis: str = ""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Item:
    """One approval item (审批事项), or — ``kind`` enterprise / intermediary — an activity that is
    not a government review (方案设计, 施工, 试生产; 测绘, 报告编制): ``days`` is then its typical
    duration in ``unit`` and ``department`` names the owner (``enterprise``/``intermediary``)
    unless the catalogue gives one."""

    code: str
    name: str
    department: str
    stage: int
    days: int
    requires: tuple[Requirement, ...] = ()
    name_en: str = ""
    statutory_days: int | None = None
    legal_basis: str = ""
    applies_if: Mapping[str, Any] | None = None
    materials: tuple[Material, ...] = ()
    outputs: tuple[Output, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    split: Split | None = None
    special_procedures: tuple[str, ...] = ()
    kind: Owner = "review"
    unit: Unit = "workdays"
    milestone: str | None = None


@dataclass(frozen=True, slots=True)
class MergeGroup:
    """Items reviewed as one (二合一 / 多评合一 / 联合验收); all member departments sign."""

    code: str
    name: str
    members: tuple[str, ...]
    name_en: str = ""
    department: str | None = None
    days: int | None = None
    unmerged: Literal["serial", "parallel"] = "serial"
    legal_basis: str = ""
    applies_if: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Option:
    value: Any
    label: str
    label_en: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """A question of the questionnaire (一次告知); its answer is the project attribute ``key``."""

    key: str
    text: str
    type: Literal["boolean", "number", "choice", "text"]
    text_en: str = ""
    unit: str = ""
    options: tuple[Option, ...] = ()
    default: Any = None
    ask_if: Mapping[str, Any] | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass(frozen=True)
class Catalogue:
    """A validated catalogue.  ``items`` keeps the file's order (used for stable output)."""

    items: Mapping[str, Item]
    departments: Mapping[str, Department] = field(default_factory=dict)
    questions: Mapping[str, Question] = field(default_factory=dict)
    merge_groups: Mapping[str, MergeGroup] = field(default_factory=dict)
    code: str = "catalog"
    name: str = ""
    name_en: str = ""
    version: str = ""
    sha256: str = ""
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: whether some item is an enterprise's or intermediary's activity (a two-clock plan)
    has_activities: bool = False
    #: milestone → the item whose end marks it
    milestones: Mapping[str, str] = field(default_factory=dict)
    #: when every prerequisite is a plain code written earlier in the file (no splits, no
    #: merges): per item, the positions in ``items`` of its prerequisites, in their order;
    #: the planner's indices without a look-up per edge (None otherwise)
    positions: Sequence[Sequence[int]] | None = field(default=None, repr=False, compare=False)

    def department_name(self, code: str, lang: str = "zh") -> str:
        dept = self.departments.get(code)
        if dept is None:
            owner = OWNER_NAMES.get(code)  # an activity's owner rather than a department
            return code if owner is None else owner[1 if lang == "en" else 0]
        return (dept.name_en or dept.name) if lang == "en" else dept.name

    @property
    def part_parent(self) -> dict[str, str]:
        """Split-part code → the item it belongs to."""
        return {p.code: i.code for i in self.items.values() if i.split for p in i.split.parts}

    def group_of(self, code: str) -> MergeGroup | None:
        for group in self.merge_groups.values():
            if code in group.members:
                return group
        return None


# --- loading -------------------------------------------------------------------------------

_kind = attrgetter("kind")
_milestone = attrgetter("milestone")


def _requirements(raw: Sequence[Any] | None) -> tuple[Requirement, ...]:
    out = []
    for r in raw or ():
        out.append(
            Requirement(r) if isinstance(r, str) else Requirement(r["code"], int(r.get("lead", 0)))
        )
    return tuple(out)


def _free_values(
    meta: Mapping[str, Any],
    questions: Mapping[str, Question],
    items: Mapping[str, Item],
    groups: Mapping[str, MergeGroup],
) -> Iterator[Any]:
    """The values of a valid catalogue document whose type the schema leaves open (conditions,
    questions' defaults and option values, the version); every other value is a string, a
    bounded integer (possibly written 3.0), a boolean, or a list or object of them."""
    yield meta.get("version")
    for q in questions.values():
        yield q.default
        yield q.ask_if
        for o in q.options:
            yield o.value
    for g in groups.values():
        yield g.applies_if
    for item in items.values():
        if item.applies_if is not None or item.materials or item.split is not None:
            yield item.applies_if
            for m in item.materials:
                yield m.applies_if
            if item.split is not None:
                yield item.split.applies_if


@dataclass(slots=True)
class _Parsing:
    """What the phases of :func:`parse_catalog` share: every finding so far, and every code
    claimed (an item, a split part or a merge group) with where it was first defined."""

    doc_items: Sequence[Any]
    problems: list[Text]
    # code → where it was first defined: an index into ``doc_items`` (an item; the text is made
    # only for a message) or the place of a split part or merge group
    all_codes: dict[str, int | str] = field(default_factory=dict)

    def claim(self, code: str, where: str) -> None:
        all_codes = self.all_codes
        if code in all_codes:
            first = all_codes[code]
            if isinstance(first, int):
                first = f"items[{first}] ({self.doc_items[first]['code']})"
            self.problems.append(
                Text(
                    f"{where}：编码 '{code}' 重复（已在 {first} 定义）",
                    f"{where}: duplicate code '{code}' (already defined at {first})",
                )
            )
        else:
            all_codes[code] = where


def parse_catalog(doc: Any, source: str = "") -> Catalogue:
    """Validate a catalogue document and build the :class:`Catalogue`.

    Raises
    ------
    CatalogError
        Listing every problem found (schema violations first; if the schema passes, duplicate
        codes, unknown departments, prerequisites and merge members, invalid conditions and
        waivers).
    UnknownPrerequisiteError
        When the only problems are prerequisites naming no item.
    CycleError
        When the prerequisites (with merges and splits applied) form cycles; each is named.
    """
    problems = schema_problems(doc)
    if problems:
        raise CatalogError(problems, source)

    meta = doc.get("catalog") or {}
    departments = {
        d["code"]: Department(d["code"], d["name"], d.get("name_en", ""))
        for d in doc.get("departments") or ()
    }
    questions = _parse_questions(doc, problems)
    state = _Parsing(doc["items"], problems)
    items, plain_codes, earlier, any_split = _parse_items(state, departments, questions)
    groups = _parse_merge_groups(state, doc, items, departments, questions)
    for i, q in enumerate(questions.values()):
        problems += condition_findings(q.ask_if, f"questions[{i}] ({q.key}).ask_if", questions)
    if problems:
        raise CatalogError(problems, source)

    # Without splits and merges, prerequisites that all come earlier in the file prove there
    # is no cycle (the usual way of writing a catalogue); checked in the same pass.
    positions = _check_prerequisites(
        items, plain_codes, earlier, state.all_codes, groups, not any_split and not groups, source
    )

    has_activities = any(map("review".__ne__, map(_kind, items.values())))
    marked = (
        [i for i in items.values() if i.milestone] if any(map(_milestone, items.values())) else []
    )
    catalogue = Catalogue(
        items=items,
        departments=departments,
        questions=questions,
        merge_groups=groups,
        code=str(meta.get("code", "catalog")),
        name=str(meta.get("name", "")),
        name_en=str(meta.get("name_en", "")),
        version=str(meta.get("version", "")),
        sha256=canonical_sha256(
            doc, all(map(msgspec_writes_as_json, _free_values(meta, questions, items, groups)))
        ),
        document=doc,
        has_activities=has_activities,
        milestones={i.milestone: i.code for i in marked if i.milestone},
        positions=positions,
    )
    if positions is None and not acyclic(catalogue):
        raise CycleError(find_cycles(catalogue), source)
    return catalogue


def _parse_questions(doc: Any, problems: list[Text]) -> dict[str, Question]:
    """The questions, each default checked against its question (findings into ``problems``)."""
    questions: dict[str, Question] = {}
    for i, q in enumerate(doc.get("questions") or ()):
        where = f"questions[{i}] ({q['key']})"
        if q["key"] in questions:
            problems.append(Text(f"{where}：问题键重复", f"{where}: duplicate question key"))
        options = tuple(
            Option(o["value"], o["label"], o.get("label_en", "")) for o in q.get("options") or ()
        )
        if q["type"] == "choice" and not options:
            problems.append(
                Text(
                    f"{where}.options：选择题必须给出选项",
                    f"{where}.options: a choice needs options",
                )
            )
        question = Question(
            q["key"],
            q["text"],
            q["type"],
            q.get("text_en", ""),
            q.get("unit", ""),
            options,
            q.get("default"),
            q.get("ask_if"),
        )
        if question.has_default:
            problem = answer_problem(question, question.default)
            if problem:
                problems.append(
                    Text(f"{where}.default：{problem.zh}", f"{where}.default: {problem.en}")
                )
        questions[q["key"]] = question
    return questions


#: An item with no other field is built from these alone (its other fields take their defaults,
#: as :func:`_parse_items` would read them) and checked only for its department and duplicates.
_PLAIN_KEYS = frozenset(("code", "name", "department", "stage", "days", "requires", "name_en"))


# One loop over every item, kept whole: its body runs 100,000 times in `onetrip plan` on a large
# catalogue, and cutting it into per-item calls would add a Python call per item (issue 14).
def _parse_items(
    state: _Parsing, departments: Mapping[str, Department], questions: Mapping[str, Question]
) -> tuple[dict[str, Item], list[Sequence[str] | None], list[tuple[int, ...] | None], bool]:
    """The items, their codes claimed, each unusual item checked by :func:`item_problems`.

    Also returns, per item, its prerequisites when all are plain codes (checked later with
    C-level set and map operations rather than one Python step per prerequisite), else None;
    per item, its prerequisites' positions when every one is the code of an item written
    earlier (else None); and whether any item is split."""
    items: dict[str, Item] = {}
    doc_items = state.doc_items
    all_codes = state.all_codes
    claim = state.claim
    problems = state.problems
    # one Requirement per item code, shared by every item that requires it (it is immutable);
    # looked up in C with map() for prerequisites written earlier in the file
    shared: dict[str, int] = {}  # code → the position of its item
    requirement: list[Requirement] = []  # position → the item's Requirement
    plain_codes: list[Sequence[str] | None] = []
    earlier: list[tuple[int, ...] | None] = []
    any_split = False
    for i, raw in enumerate(doc_items):
        code = raw["code"]
        if code in all_codes:
            claim(code, f"items[{i}] ({code})")
        else:
            all_codes[code] = i
        if raw.keys() <= _PLAIN_KEYS:  # the usual item: no field beyond these, nothing else read
            requires = raw.get("requires")
            if requires:
                try:
                    at = tuple(map(shared.__getitem__, requires))
                    reqs = tuple(map(requirement.__getitem__, at))
                    plain_codes.append(requires)
                    earlier.append(at)
                except (KeyError, TypeError):  # as below
                    reqs = _requirements(requires)
                    plain_codes.append(requires if all(type(r) is str for r in requires) else None)
                    earlier.append(None)
            else:
                reqs = ()
                plain_codes.append(())
                earlier.append(())
            department = raw.get("department") or "review"
            item = Item(
                code,
                raw["name"],
                department,
                raw["stage"],
                raw["days"],
                reqs,
                raw.get("name_en", ""),
            )
            items.setdefault(code, item)
            shared[code] = i
            requirement.append(Requirement(code))
            if (not departments or department in departments) and (
                len(reqs) < 2 or len(set(plain_codes[-1] or [r.code for r in reqs])) == len(reqs)
            ):
                continue  # as below: nothing to find
            problems += item_problems(item, f"items[{i}] ({code})", departments, questions)
            continue
        get = raw.get
        split = None
        if get("split"):
            where = f"items[{i}] ({code})"
            s = raw["split"]
            parts = []
            for j, p in enumerate(s["parts"]):
                claim(p["code"], f"{where}.split.parts[{j}] ({p['code']})")
                part_reqs = _requirements(p["requires"]) if "requires" in p else None
                parts.append(
                    SplitPart(p["code"], p["name"], p["days"], part_reqs, p.get("name_en", ""))
                )
            split = Split(tuple(parts), s.get("applies_if"), s.get("basis", ""))
            any_split = True
        requires = get("requires")
        if requires:
            try:
                at = tuple(map(shared.__getitem__, requires))
                reqs = tuple(map(requirement.__getitem__, at))
                plain_codes.append(requires)
                earlier.append(at)
            except (KeyError, TypeError):  # a code further down, or {code, lead} objects
                reqs = _requirements(requires)
                plain_codes.append(requires if all(type(r) is str for r in requires) else None)
                earlier.append(None)
        else:
            reqs = ()
            plain_codes.append(())
            earlier.append(())
        materials = get("materials")
        outputs = get("outputs")
        waivers = get("waivers")
        special = get("special_procedures")
        kind = get("kind", "review")
        item = Item(
            code,
            raw["name"],
            get("department") or kind,
            raw["stage"],
            raw["days"],
            reqs,
            get("name_en", ""),
            get("statutory_days"),
            get("legal_basis", ""),
            get("applies_if"),
            tuple(
                Material(
                    m["code"],
                    m["name"],
                    m.get("name_en", ""),
                    bool(m.get("deferrable", False)),
                    int(m.get("deferral_days", 10)),
                    m.get("applies_if"),
                )
                for m in materials
            )
            if materials
            else (),
            tuple(Output(o["code"], o["name"], o.get("name_en", "")) for o in outputs)
            if outputs
            else (),
            tuple(
                Waiver(w["assessment"], w["effect"], w.get("days"), w.get("basis", ""))
                for w in waivers
            )
            if waivers
            else (),
            split,
            tuple(special) if special else (),
            kind,
            get("unit", "workdays"),
            get("milestone"),
        )
        items.setdefault(code, item)
        shared[code] = i
        requirement.append(Requirement(code))
        if (
            split is None
            and kind == "review"
            and item.unit == "workdays"
            and item.applies_if is None
            and item.statutory_days is None
            and not materials
            and not waivers
            and (not departments or item.department in departments)
            and (len(reqs) < 2 or len(set(plain_codes[-1] or [r.code for r in reqs])) == len(reqs))
        ):
            continue  # a plain item with nothing to find (the common case, checked in one go)
        problems += item_problems(item, f"items[{i}] ({code})", departments, questions)
    return items, plain_codes, earlier, any_split


def _parse_merge_groups(
    state: _Parsing,
    doc: Any,
    items: Mapping[str, Item],
    departments: Mapping[str, Department],
    questions: Mapping[str, Question],
) -> dict[str, MergeGroup]:
    """The merge groups, each member checked (an item, a review, not split, in one group only)."""
    claim = state.claim
    problems = state.problems
    groups: dict[str, MergeGroup] = {}
    member_of: dict[str, str] = {}
    for i, raw in enumerate(doc.get("merge_groups") or ()):
        code = raw["code"]
        where = f"merge_groups[{i}] ({code})"
        claim(code, where)
        group = MergeGroup(
            code,
            raw["name"],
            tuple(raw["members"]),
            raw.get("name_en", ""),
            raw.get("department"),
            raw.get("days"),
            raw.get("unmerged", "serial"),
            raw.get("legal_basis", ""),
            raw.get("applies_if"),
        )
        for j, m in enumerate(group.members):
            if m not in items:
                problems.append(
                    Text(
                        f"{where}.members[{j}]：未知事项 '{m}'",
                        f"{where}.members[{j}]: unknown item '{m}'",
                    )
                )
            elif items[m].kind != "review":
                problems.append(
                    Text(
                        f"{where}.members[{j}]：'{m}' 是企业或中介的活动，不能合并审查",
                        f"{where}.members[{j}]: '{m}' is an enterprise's or intermediary's activity, not a review",
                    )
                )
            elif items[m].split is not None:
                problems.append(
                    Text(
                        f"{where}.members[{j}]：拆分事项 '{m}' 不能合并审查",
                        f"{where}.members[{j}]: split item '{m}' cannot also be merged",
                    )
                )
            if m in member_of:
                problems.append(
                    Text(
                        f"{where}.members[{j}]：'{m}' 已属于合并组 {member_of[m]}",
                        f"{where}.members[{j}]: '{m}' already belongs to merge group {member_of[m]}",
                    )
                )
            member_of.setdefault(m, code)
        if group.department and departments and group.department not in departments:
            problems.append(
                Text(
                    f"{where}.department：未知部门 '{group.department}'",
                    f"{where}.department: unknown department '{group.department}'",
                )
            )
        problems += condition_findings(group.applies_if, f"{where}.applies_if", questions)
        groups[code] = group
    return groups


def _check_prerequisites(
    items: Mapping[str, Item],
    plain_codes: Sequence[Sequence[str] | None],
    earlier: Sequence[tuple[int, ...] | None],
    all_codes: Mapping[str, int | str],
    groups: Mapping[str, MergeGroup],
    in_order: bool,
    source: str,
) -> list[tuple[int, ...]] | None:
    """Raise :class:`UnknownPrerequisiteError` naming every prerequisite that is no item, a
    merge group or the item itself; else, when ``in_order`` (no splits, no merges) still holds
    (every prerequisite comes earlier in the file, which proves there is no cycle), the
    positions of each item's prerequisites (from the same look-ups), else None."""
    unknown: list[Text] = []
    positions: list[tuple[int, ...]] = []
    append = positions.append
    known = all_codes.__contains__
    # without splits and merges every code was claimed by an item: its position is an int
    position = cast("Callable[[str], int]", all_codes.__getitem__)
    for idx, item in enumerate(items.values()):
        if item.split is None:  # the common case: the messages only when something is wrong
            at = earlier[idx]
            if at is not None:  # items written earlier (found while reading): nothing to find
                append(at)
                continue
            codes = plain_codes[idx]
            if codes is not None:
                if not codes:
                    append(())
                    continue
                if (
                    all(map(known, codes))
                    and item.code not in codes
                    and (not groups or not any(map(groups.__contains__, codes)))
                ):
                    if in_order:
                        at = tuple(map(position, codes))
                        if max(at) >= idx:
                            in_order = False
                        append(at)
                    continue
            else:
                in_order = False
                code = item.code
                for r in item.requires:
                    if r.code not in all_codes or r.code in groups or r.code == code:
                        break
                else:
                    continue
        for where, reqs in item_requirements(item, f"items[{idx}] ({item.code})"):
            for j, r in enumerate(reqs):
                if r.code not in all_codes or r.code in groups:
                    unknown.append(
                        Text(
                            f"{where}.requires[{j}]：未知的前置事项 '{r.code}'",
                            f"{where}.requires[{j}]: unknown prerequisite '{r.code}'",
                        )
                    )
                elif r.code == item.code:
                    unknown.append(
                        Text(
                            f"{where}.requires[{j}]：事项不能以自身为前置",
                            f"{where}.requires[{j}]: an item cannot require itself",
                        )
                    )
    if unknown:
        raise UnknownPrerequisiteError(unknown, source)
    return positions if in_order else None


def answer_problem(question: Question, value: Any) -> Text | None:
    """Why ``value`` is not a valid answer to ``question`` (``None`` when it is)."""
    if question.type == "boolean" and not isinstance(value, bool):
        return Text(
            f"应为是/否（true/false），而不是 {value!r}", f"must be true or false, not {value!r}"
        )
    if question.type == "number" and (
        not isinstance(value, int | float) or isinstance(value, bool)
    ):
        return Text(f"应为数值，而不是 {value!r}", f"must be a number, not {value!r}")
    if question.type == "choice" and value not in [o.value for o in question.options]:
        allowed = ", ".join(repr(o.value) for o in question.options)
        return Text(
            f"应为 {allowed} 之一，而不是 {value!r}", f"must be one of {allowed}, not {value!r}"
        )
    if question.type == "text" and not isinstance(value, str):
        return Text(f"应为文本，而不是 {value!r}", f"must be text, not {value!r}")
    return None


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue: an industrial 标准地 project in Zhejiang (cached)."""
    from approvals.documents import parse_document

    text = (
        resources.files("approvals")
        .joinpath("data/catalog_zhejiang_standard_land.yaml")
        .read_text("utf-8")
    )
    return parse_catalog(
        parse_document(text, "catalog_zhejiang_standard_land.yaml"), "default catalogue"
    )
