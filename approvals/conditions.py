"""Applicability conditions over a project's attributes (一次告知).

A condition is a small JSON/YAML tree, so that administrators can write it in the catalogue and
anyone can read it back:

- ``{"attr": "hazardous", "eq": true}`` — comparison; operators ``eq ne gt gte lt lte in
  not_in`` and ``exists`` (``true``/``false``);
- ``{"all": [c1, c2]}``, ``{"any": [c1, c2]}``, ``{"not": c}``.

``{"attr": "x"}`` alone means "x is truthy".

>>> evaluate({"all": [{"attr": "investment", "gte": 5000}, {"attr": "land_source", "eq": "standard"}]},
...          {"investment": 8000, "land_source": "standard"})
True
>>> sorted(referenced_attributes({"any": [{"attr": "a"}, {"not": {"attr": "b", "in": [1]}}]}))
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists")
COMBINATORS = ("all", "any", "not")


class MissingAttribute(Exception):
    """The condition needs an attribute the project does not give."""

    def __init__(self, attr: str) -> None:
        super().__init__(attr)
        self.attr = attr


def condition_problems(cond: Any, where: str) -> list[str]:
    """Structural problems of a condition tree (empty when it is well formed)."""
    if not isinstance(cond, Mapping):
        return [f"{where}: a condition must be an object"]
    keys = set(cond)
    combos = keys & set(COMBINATORS)
    if combos:
        if len(keys) != 1:
            return [
                f"{where}: '{next(iter(combos))}' cannot be combined with other keys {sorted(keys - combos)}"
            ]
        key = next(iter(combos))
        if key == "not":
            return condition_problems(cond["not"], f"{where}.not")
        parts = cond[key]
        if not isinstance(parts, list) or not parts:
            return [f"{where}.{key}: must be a non-empty list of conditions"]
        problems: list[str] = []
        for i, part in enumerate(parts):
            problems += condition_problems(part, f"{where}.{key}[{i}]")
        return problems
    if "attr" not in cond:
        return [f"{where}: needs 'attr', or one of {', '.join(COMBINATORS)}"]
    if not isinstance(cond["attr"], str) or not cond["attr"]:
        return [f"{where}.attr: must be a non-empty string"]
    ops = keys - {"attr"}
    unknown = ops - set(COMPARISONS)
    if unknown:
        return [f"{where}: unknown operator(s) {sorted(unknown)}; use {', '.join(COMPARISONS)}"]
    if len(ops) > 1:
        return [f"{where}: one operator per comparison, got {sorted(ops)}"]
    if ops & {"in", "not_in"}:
        op = next(iter(ops))
        if not isinstance(cond[op], list):
            return [f"{where}.{op}: must be a list"]
    if ops & {"gt", "gte", "lt", "lte"}:
        op = next(iter(ops))
        if not _is_number(cond[op]):
            return [f"{where}.{op}: must be a number"]
    if "exists" in ops and not isinstance(cond["exists"], bool):
        return [f"{where}.exists: must be true or false"]
    return []


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def referenced_attributes(cond: Any) -> Iterator[str]:
    """Every attribute name a condition reads."""
    if not isinstance(cond, Mapping):
        return
    if "attr" in cond:
        yield cond["attr"]
    for key in ("all", "any"):
        for part in cond.get(key) or []:
            yield from referenced_attributes(part)
    if "not" in cond:
        yield from referenced_attributes(cond["not"])


def evaluate(cond: Mapping[str, Any] | None, attrs: Mapping[str, Any]) -> bool:
    """Whether ``cond`` holds for ``attrs``; ``None`` always holds.

    Raises
    ------
    MissingAttribute
        When a comparison (other than ``exists``) reads an attribute absent from ``attrs``.
    """
    if cond is None:
        return True
    if "all" in cond:
        return all(evaluate(c, attrs) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, attrs) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], attrs)
    name = cond["attr"]
    if "exists" in cond:
        return (name in attrs and attrs[name] is not None) == cond["exists"]
    if name not in attrs or attrs[name] is None:
        raise MissingAttribute(name)
    value = attrs[name]
    if "eq" in cond:
        return value == cond["eq"]
    if "ne" in cond:
        return value != cond["ne"]
    if "in" in cond:
        return value in cond["in"]
    if "not_in" in cond:
        return value not in cond["not_in"]
    for op, test in (
        ("gt", lambda a, b: a > b),
        ("gte", lambda a, b: a >= b),
        ("lt", lambda a, b: a < b),
        ("lte", lambda a, b: a <= b),
    ):
        if op in cond:
            return _is_number(value) and test(value, cond[op])
    return bool(value)
