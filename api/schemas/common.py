"""What the answer schemas share: the base class and the conversion from a service's dict."""

from __future__ import annotations

import os
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

#: Set in tests: every conversion checks that it kept every key and value of the service's dict
#: (a key the schema does not declare would otherwise be dropped silently).
CHECK = bool(os.environ.get("ONETRIP_CHECK_SCHEMAS"))


#: A figure (JSON Schema's ``number`` holds integers too; ``int | float`` would document a
#: ``oneOf`` that a whole number like ``55.0`` matches twice).
Number = float


class Out(msgspec.Struct, kw_only=True):
    """An answer body.  Keys a service leaves out are ``UNSET`` fields (omitted when encoded)."""


class PageMeta(Out):
    """How a list answer was cut: ``total`` rows in all, this is ``page`` of ``pages``, ``size``
    rows a page, sorted by ``sort`` (``-`` descending)."""

    total: int
    page: int
    size: int
    pages: int
    sort: str


def to(kind: type[T] | Any, data: Any, *, builtins: bool = False) -> T:
    """``data`` (a service's dict, or a list of them) as the answer ``kind`` documents, as the
    JSON encoder sees it (dates as ISO strings, keys as strings).

    The answer is the plain builtins, not a ``kind`` instance: building the struct only to
    encode it again cost ~10 % of a busy server's CPU (issue 16).  That the builtins *are* a
    ``kind`` is checked where it is cheap to be strict — in the tests (``ONETRIP_CHECK_SCHEMAS``,
    set by ``tests/conftest.py``): every answer is converted to ``kind`` and must come back key
    for key and value for value, so a key the schema does not declare, a wrong type or a
    missing required field fails the test that produced it.

    ``builtins``: the caller's ``data`` is made of JSON's builtins already (dicts with string
    keys, lists, strings, numbers, booleans, ``None``: no dates, tuples or structs), and may hold
    :class:`msgspec.Raw` (a JSON document passed on verbatim, e.g. a JSON column read as text), so
    it is answered as it is rather than copied — a large answer's copy is a tenth of its CPU.
    Checked with the rest under ``ONETRIP_CHECK_SCHEMAS``, its documents decoded."""
    if not builtins:
        data = msgspec.to_builtins(data, str_keys=True)
    if CHECK:
        plain = _decode_raw(data) if builtins else data
        if builtins and (copy := msgspec.to_builtins(plain, str_keys=True)) != plain:
            raise AssertionError(f"{kind}: not builtins: {_diff(copy, plain)}")
        again = msgspec.to_builtins(msgspec.convert(plain, kind), str_keys=True)
        if again != plain:
            raise AssertionError(f"{kind} lost part of the answer: {_diff(plain, again)}")
    return data  # type: ignore[no-any-return]


def _decode_raw(data: Any) -> Any:
    if isinstance(data, msgspec.Raw):
        return msgspec.json.decode(data)
    if isinstance(data, dict):
        return {k: _decode_raw(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_decode_raw(v) for v in data]
    return data


def _diff(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a.keys() | b.keys():
            if k not in b:
                return f"{where}.{k} dropped"
            if k not in a:
                return f"{where}.{k} added"
            d = _diff(a[k], b[k], f"{where}.{k}")
            if d:
                return d
        return ""
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            d = _diff(x, y, f"{where}[{i}]")
            if d:
                return d
        return "" if len(a) == len(b) else f"{where} length"
    return "" if a == b else f"{where}: {a!r} != {b!r}"


class HealthOut(Out):
    """The database answers; ``revision`` is its schema revision, ``head`` the code's."""

    status: str
    revision: str | None
    head: str


class LivenessOut(Out):
    status: str


class ReadinessCheck(Out):
    ok: bool
    error: str | msgspec.UnsetType = msgspec.UNSET
    current: str | msgspec.UnsetType | None = msgspec.UNSET
    head: str | msgspec.UnsetType | None = msgspec.UNSET
    backend: str | msgspec.UnsetType | None = msgspec.UNSET


class ReadinessOut(Out):
    """``checks``: database, migrations, jobs — each ``ok`` or naming what is wrong."""

    status: str
    checks: dict[str, ReadinessCheck]
