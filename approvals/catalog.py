"""The catalogue of approval items (事项清单) as plain domain values, and its validation.

A catalogue is loaded from a JSON/YAML document (schema in :mod:`approvals.catalog_schema`),
then checked as a whole: every finding names the item code and the field, and every finding is
reported, not only the first.  The result is immutable and safe to share between requests.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, cast

from approvals.catalog_schema import CATALOG_SCHEMA
from approvals.conditions import condition_problems, referenced_attributes
from approvals.errors import CatalogError, CycleError, UnknownPrerequisiteError
from i18n import Text

if TYPE_CHECKING:  # networkx and jsonschema load only when a catalogue needs them (fast start-up)
    import networkx as nx

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

#: Python's ``\s`` (``re`` on str) spelled out for the Rust engine, whose ``\s`` differs on a few
#: code points (U+001C–U+001F, U+0085, U+FEFF): codes must be judged exactly as jsonschema does.
_PY_SPACE = (
    r"\t\n\x0B\f\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}"
    r"\x{202F}\x{205F}\x{3000}"
)
#: The schema's patterns for jsonschema-rs; ``$`` becomes ``\n?$`` since Python's ``re.search``
#: (jsonschema's) lets ``$`` match before one final newline and Rust's does not.
_RUST_PATTERNS = {
    r"^\S+$": rf"^[^{_PY_SPACE}]+\n?$",
    r"^[A-Za-z_][A-Za-z0-9_]*$": r"^[A-Za-z_][A-Za-z0-9_]*\n?$",
}


def _with_rust_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (_RUST_PATTERNS[v] if k == "pattern" else _with_rust_patterns(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_with_rust_patterns(v) for v in node]
    return node


@lru_cache(maxsize=1)
def _rust_validator() -> Any:
    """jsonschema-rs compiled once: the fast path (a 100,000-item catalogue in well under a
    second); ``None`` when it is not installed.  It only says valid or not: when a document is
    invalid, jsonschema lists every problem precisely."""
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(_with_rust_patterns(CATALOG_SCHEMA))
    except (ImportError, KeyError):  # not installed, or a pattern not translated above
        return None


@lru_cache(maxsize=1)
def _fast_validate() -> Any:
    """fastjsonschema compiles the (draft-07-compatible) schema to Python on first use: the fast
    path for documents jsonschema-rs cannot take (values outside JSON, such as YAML dates)."""
    import fastjsonschema

    # a deep copy: fastjsonschema writes into the schema it compiles; the published one stays intact
    schema = copy.deepcopy(CATALOG_SCHEMA)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return fastjsonschema.compile(schema)


@lru_cache(maxsize=1)
def _full_validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(CATALOG_SCHEMA)


_ZH_VALIDATOR = {
    "required": "缺少必填字段",
    "type": "类型错误",
    "minimum": "小于允许的最小值",
    "maximum": "大于允许的最大值",
    "enum": "取值不在允许范围内",
    "additionalProperties": "含有未定义的字段",
    "pattern": "格式不符",
    "minLength": "不能为空",
    "maxLength": "过长",
    "minItems": "条目过少",
    "uniqueItems": "含有重复条目",
    "oneOf": "格式不符",
}


_kind = attrgetter("kind")
_milestone = attrgetter("milestone")


def _where(doc: Any, path: Sequence[Any]) -> str:
    """``items[3] (A04).requires[1]`` for a jsonschema path, naming the item by its code."""
    out = ""
    node = doc
    for i, step in enumerate(path):
        if isinstance(step, int):
            out += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            code = node.get("code") if isinstance(node, Mapping) else None
            if isinstance(code, str) and i < 3:
                out += f" ({code})"
        else:
            out += f".{step}" if out else str(step)
            node = node.get(step) if isinstance(node, Mapping) else None
    return out or "(document)"


def schema_problems(doc: Any) -> list[Text]:
    """Every JSON-Schema violation of ``doc``, each naming the item code and field."""
    rust = _rust_validator()
    judged = False
    if rust is not None:
        try:
            if rust.is_valid(doc):
                return []
            judged = True
        except Exception:  # a value JSON has no type for (a YAML date, an int key)
            pass
    if not judged:
        import fastjsonschema

        try:
            _fast_validate()(doc)
            return []
        except fastjsonschema.JsonSchemaException:
            pass
    problems: list[Text] = []
    errors = _full_validator().iter_errors(doc)
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        where = _where(doc, list(error.absolute_path))
        message = error.message
        if error.validator == "oneOf" and isinstance(error.instance, Mapping | str):
            message = "must be a code string or an object {code, lead}"
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in error.message else ""
            where = f"{where}.{missing}" if missing else where
            message = "is required"
        zh = _ZH_VALIDATOR.get(str(error.validator), "不符合架构")
        problems.append(Text(f"{where}：{zh}（{message}）", f"{where}: {message}"))
    return problems


def _requirements(raw: Sequence[Any] | None) -> tuple[Requirement, ...]:
    out = []
    for r in raw or ():
        out.append(
            Requirement(r) if isinstance(r, str) else Requirement(r["code"], int(r.get("lead", 0)))
        )
    return tuple(out)


def _canonical_sha256(doc: Any, plain: bool = False) -> str:
    """SHA-256 of ``json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    default=str)``.  ``plain``: the document holds only JSON values that msgspec writes exactly as
    that (no dates, no floats in exponent form; see :func:`_msgspec_writes_as_json`), so msgspec
    writes the same bytes in C, several times faster."""
    if plain:
        import msgspec

        try:
            return hashlib.sha256(msgspec.json.encode(doc, order="sorted")).hexdigest()
        except (TypeError, ValueError, UnicodeEncodeError, msgspec.EncodeError):
            pass
    blob = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


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


def _msgspec_writes_as_json(value: Any) -> bool:
    """Whether msgspec writes ``value`` as ``json.dumps`` does: str, int, bool, None, lists and
    str-keyed dicts of them, and floats that both write without an exponent (json.dumps writes
    ``1e+16`` and ``1e-05``, msgspec ``1e16`` and ``0.00001``; NaN and dates differ too)."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return True
    if t is float:
        return value == 0 or 1e-4 <= abs(value) < 1e15
    if t is list:
        return all(map(_msgspec_writes_as_json, value))
    if t is dict:
        return all(type(k) is str for k in value) and all(
            map(_msgspec_writes_as_json, value.values())
        )
    return False


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

    items: dict[str, Item] = {}
    doc_items = doc["items"]
    # code → where it was first defined: an index into ``doc_items`` (an item; the text is made
    # only for a message) or the place of a split part or merge group
    all_codes: dict[str, int | str] = {}

    def claim(code: str, where: str) -> None:
        if code in all_codes:
            first = all_codes[code]
            if isinstance(first, int):
                first = f"items[{first}] ({doc_items[first]['code']})"
            problems.append(
                Text(
                    f"{where}：编码 '{code}' 重复（已在 {first} 定义）",
                    f"{where}: duplicate code '{code}' (already defined at {first})",
                )
            )
        else:
            all_codes[code] = where

    # one Requirement per item code, shared by every item that requires it (it is immutable);
    # looked up in C with map() for prerequisites written earlier in the file
    shared: dict[str, Requirement] = {}
    # per item, its prerequisites when all are plain codes (checked below with C-level set and
    # map operations rather than one Python step per prerequisite), else None
    plain_codes: list[Sequence[str] | None] = []
    any_split = False
    for i, raw in enumerate(doc_items):
        code = raw["code"]
        if code in all_codes:
            claim(code, f"items[{i}] ({code})")
        else:
            all_codes[code] = i
        get = raw.get
        split = None
        if get("split"):
            where = f"items[{i}] ({code})"
            s = raw["split"]
            parts = []
            for j, p in enumerate(s["parts"]):
                claim(p["code"], f"{where}.split.parts[{j}] ({p['code']})")
                reqs = _requirements(p["requires"]) if "requires" in p else None
                parts.append(SplitPart(p["code"], p["name"], p["days"], reqs, p.get("name_en", "")))
            split = Split(tuple(parts), s.get("applies_if"), s.get("basis", ""))
            any_split = True
        requires = get("requires")
        if requires:
            try:
                reqs = tuple(map(shared.__getitem__, requires))
                plain_codes.append(requires)
            except (KeyError, TypeError):  # a code further down, or {code, lead} objects
                reqs = _requirements(requires)
                plain_codes.append(requires if all(type(r) is str for r in requires) else None)
        else:
            reqs = ()
            plain_codes.append(())
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
        shared[code] = Requirement(code)
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
        problems += _item_problems(item, f"items[{i}] ({code})", departments, questions)

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
        problems += _condition_problems(group.applies_if, f"{where}.applies_if", questions)
        groups[code] = group

    for i, q in enumerate(questions.values()):
        problems += _condition_problems(q.ask_if, f"questions[{i}] ({q.key}).ask_if", questions)

    if problems:
        raise CatalogError(problems, source)

    unknown: list[Text] = []
    # Without splits and merges, prerequisites that all come earlier in the file prove there
    # is no cycle (the usual way of writing a catalogue); checked in the same pass.
    in_order = not any_split and not groups
    known = all_codes.__contains__
    # without splits and merges every code was claimed by an item: its position is an int
    position = cast("Callable[[str], int]", all_codes.__getitem__)
    for idx, item in enumerate(items.values()):
        if item.split is None:  # the common case: the messages only when something is wrong
            codes = plain_codes[idx]
            if codes is not None:
                if not codes:
                    continue
                if (
                    all(map(known, codes))
                    and item.code not in codes
                    and (not groups or not any(map(groups.__contains__, codes)))
                ):
                    if in_order and max(map(position, codes)) >= idx:
                        in_order = False
                    continue
            else:
                in_order = False
                code = item.code
                for r in item.requires:
                    if r.code not in all_codes or r.code in groups or r.code == code:
                        break
                else:
                    continue
        for where, reqs in _all_requirements(item, f"items[{idx}] ({item.code})"):
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
        sha256=_canonical_sha256(
            doc, all(map(_msgspec_writes_as_json, _free_values(meta, questions, items, groups)))
        ),
        document=doc,
        has_activities=has_activities,
        milestones={i.milestone: i.code for i in marked if i.milestone},
    )
    if not in_order and not _acyclic(catalogue):
        raise CycleError(find_cycles(catalogue), source)
    return catalogue


def _all_requirements(item: Item, where: str) -> list[tuple[str, tuple[Requirement, ...]]]:
    out = [(where, item.requires)]
    if item.split:
        for j, p in enumerate(item.split.parts):
            out.append((f"{where}.split.parts[{j}] ({p.code})", p.requires or ()))
    return out


def _condition_problems(cond: Any, where: str, questions: Mapping[str, Question]) -> list[Text]:
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


def _item_problems(
    item: Item, where: str, departments: Mapping[str, Department], questions: Mapping[str, Question]
) -> list[Text]:
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
    problems += _condition_problems(item.applies_if, f"{where}.applies_if", questions)
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
        problems += _condition_problems(
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
    if item.split:
        problems += _condition_problems(
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


def _structural_edges(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """The edges of :func:`structural_graph`, without building it."""
    group_of = {m: g.code for g in catalogue.merge_groups.values() for m in g.members}

    def node(code: str) -> str:
        return group_of.get(code, code)

    def edge(pred: str, succ: str) -> Iterator[tuple[str, str]]:
        u, v = node(pred), node(succ)
        if u != v or pred == succ:
            yield u, v

    for item in catalogue.items.values():
        for r in item.requires:
            yield from edge(r.code, item.code)
        if item.split:
            for p in item.split.parts:
                yield from edge(p.code, item.code)  # the whole is done when its parts are
                for r in item.requires if p.requires is None else p.requires:
                    yield from edge(r.code, p.code)


def structural_graph(catalogue: Catalogue) -> nx.DiGraph:
    """Every item and split part with every prerequisite edge, merge groups contracted.

    It is the union of every possible plan, so a cycle here is a cycle some project would hit.
    Edges between members of one merge group vanish inside the group (they are reviewed as one).
    """
    import networkx as nx

    group_of = {m: g.code for g in catalogue.merge_groups.values() for m in g.members}

    def node(code: str) -> str:
        return group_of.get(code, code)

    g = nx.DiGraph()

    def edge(pred: str, succ: str) -> None:
        u, v = node(pred), node(succ)
        if u != v or pred == succ:
            g.add_edge(u, v)

    for item in catalogue.items.values():
        g.add_node(node(item.code))
        for r in item.requires:
            edge(r.code, item.code)
        if item.split:
            for p in item.split.parts:
                edge(p.code, item.code)  # the whole is done when its parts are
                for r in item.requires if p.requires is None else p.requires:
                    edge(r.code, p.code)
    return g


def _acyclic(catalogue: Catalogue) -> bool:
    """Whether the structural graph has no cycle, without networkx: when every prerequisite of
    a catalogue without splits or merges comes earlier in the file (the usual way of writing
    one), one pass proves it; otherwise Kahn's algorithm over the edges decides."""
    items = catalogue.items
    if not catalogue.merge_groups:
        position = {code: i for i, code in enumerate(items)}
        for i, item in enumerate(items.values()):
            if item.split is not None:
                break
            for r in item.requires:
                if position.get(r.code, i) >= i:
                    break
            else:
                continue
            break
        else:
            return True
    succs: dict[str, list[str]] = {}
    indeg: dict[str, int] = {}
    for u, v in _structural_edges(catalogue):
        succs.setdefault(u, []).append(v)
        indeg[v] = indeg.get(v, 0) + 1
    ready = [u for u in succs if u not in indeg]
    done = 0
    while ready:
        u = ready.pop()
        done += 1
        for v in succs.get(u, ()):
            indeg[v] -= 1
            if not indeg[v]:
                ready.append(v)
    return done == len(succs.keys() | indeg.keys())


def find_cycles(catalogue: Catalogue) -> list[list[str]]:
    """One cycle (codes in order) per strongly connected component that has one."""
    import networkx as nx

    g = structural_graph(catalogue)
    cycles = []
    for component in nx.strongly_connected_components(g):
        sub = g.subgraph(component)
        if len(component) > 1 or any(sub.has_edge(n, n) for n in component):
            cycle = [u for u, _ in nx.find_cycle(sub)]
            # start at the smallest code so the message is stable
            k = cycle.index(min(cycle))
            cycles.append(cycle[k:] + cycle[:k])
    return sorted(cycles)


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
