"""The canonical bytes that are hashed and signed: RFC 8785 JSON Canonicalization Scheme (JCS).

Every signed or hashed document is a JSON object with a ``"v"`` field (the format version,
:data:`FORMAT_VERSION`) and a ``"type"`` naming what it is (``onetrip.commitment``,
``onetrip.acceptance``, ``onetrip.ledger.entry`` …), serialised with JCS: UTF-8, object keys
sorted by their UTF-16 code units, no insignificant whitespace, numbers in the shortest
ECMAScript form (``1.0`` is ``1``), strings with the minimal escapes.  Anyone can reproduce the
bytes in any language with a JCS library and check a hash or a signature.

Preconditions: values are ``None``, ``bool``, ``int`` (|n| < 2**53), finite ``float``, ``str``,
lists/tuples and dicts with string keys.  Dates travel as ISO 8601 strings.

>>> canonical_bytes({"b": 1.0, "a": "标准地", "v": 1})
b'{"a":"\\xe6\\xa0\\x87\\xe5\\x87\\x86\\xe5\\x9c\\xb0","b":1,"v":1}'
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import rfc8785

from commitments.errors import CanonicalError

#: Version of every canonical document this code writes; readers accept the versions they know.
FORMAT_VERSION = 1
KNOWN_VERSIONS = frozenset({1})


def _check(value: Any, path: str) -> bool:
    """Raise on values JSON cannot carry canonically; return whether ``value`` holds a float or
    a key outside the Basic Multilingual Plane (where JCS needs the full algorithm)."""
    slow = False
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalError(
                f"{path}：数值 {value} 无法规范化", f"{path}: {value} has no canonical form"
            )
        return True
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        raise CanonicalError(
            f"{path}：整数 {value} 超出 JSON 安全范围",
            f"{path}: integer {value} out of JSON's safe range",
        )
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise CanonicalError(
                    f"{path}：键 {k!r} 不是字符串", f"{path}: key {k!r} is not a string"
                )
            if max(k, default="\0") > "\uffff":
                slow = True
            slow = _check(v, f"{path}.{k}") or slow
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            slow = _check(v, f"{path}[{i}]") or slow
    return slow


def canonical_bytes(document: Any) -> bytes:
    """The RFC 8785 bytes of ``document``.

    Raises
    ------
    CanonicalError
        Naming the path of a value JSON cannot carry canonically (NaN, infinity, a huge
        integer, a non-string key).
    """
    if not _check(document, "$"):
        # Without floats and with BMP keys, JCS is exactly sorted compact JSON without ASCII
        # escaping (UTF-16 and code-point orders agree on the BMP); the tests check it against
        # the reference implementation.
        return json.dumps(
            document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
        ).encode()
    try:
        return rfc8785.dumps(document)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        raise CanonicalError(f"无法规范化：{e}", f"cannot canonicalise: {e}") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_hash(document: Any) -> str:
    """Hex SHA-256 of the canonical bytes of ``document``."""
    return sha256_hex(canonical_bytes(document))
