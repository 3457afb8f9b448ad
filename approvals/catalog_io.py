"""Reading a catalogue document fast and checking its shape: the JSON Schema (jsonschema-rs, then
fastjsonschema, then jsonschema for the precise findings) and the canonical SHA-256 of the
document.  Pure functions of the document; :func:`approvals.catalog.parse_catalog` calls them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from approvals.catalog_schema import CATALOG_SCHEMA
from i18n import Text

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


def canonical_sha256(doc: Any, plain: bool = False) -> str:
    """SHA-256 of ``json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    default=str)``.  ``plain``: the document holds only JSON values that msgspec writes exactly as
    that (no dates, no floats in exponent form; see :func:`msgspec_writes_as_json`), so msgspec
    writes the same bytes in C, several times faster."""
    if plain:
        import msgspec

        try:
            return hashlib.sha256(msgspec.json.encode(doc, order="sorted")).hexdigest()
        except (TypeError, ValueError, UnicodeEncodeError, msgspec.EncodeError):
            pass
    blob = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def msgspec_writes_as_json(value: Any) -> bool:
    """Whether msgspec writes ``value`` as ``json.dumps`` does: str, int, bool, None, lists and
    str-keyed dicts of them, and floats that both write without an exponent (json.dumps writes
    ``1e+16`` and ``1e-05``, msgspec ``1e16`` and ``0.00001``; NaN and dates differ too)."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return True
    if t is float:
        return value == 0 or 1e-4 <= abs(value) < 1e15
    if t is list:
        return all(map(msgspec_writes_as_json, value))
    if t is dict:
        return all(type(k) is str for k in value) and all(
            map(msgspec_writes_as_json, value.values())
        )
    return False
