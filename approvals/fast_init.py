"""A faster ``__init__`` for frozen, slotted dataclasses built by the hundred thousand.

A frozen dataclass's generated ``__init__`` sets each field with
``object.__setattr__(self, name, value)``: a global lookup, an attribute lookup and a generic
attribute assignment (which searches the type for the descriptor) per field.  For an
:class:`~approvals.catalog.Item` (18 fields) that is most of the cost of building one, and a
100,000-item catalogue builds 100,000 of them (issue 16).  :func:`fast_frozen_init` replaces
it with one that calls each slot's descriptor directly: same signature, same defaults, same
values stored; instances stay frozen (``__setattr__`` still raises), compare, hash, pickle and
``dataclasses.replace`` as before.

>>> from dataclasses import FrozenInstanceError, dataclass, replace
>>> @fast_frozen_init
... @dataclass(frozen=True, slots=True)
... class P:
...     x: int
...     y: str = "a"
>>> p = P(1)
>>> p, P(1, y="b"), replace(p, x=2), p == P(1), hash(p) == hash(P(1))
(P(x=1, y='a'), P(x=1, y='b'), P(x=2, y='a'), True, True)
>>> try:
...     p.x = 3
... except FrozenInstanceError:
...     print("frozen")
frozen
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def fast_frozen_init(cls: type[T]) -> type[T]:
    """Give the frozen, slotted dataclass ``cls`` an ``__init__`` that sets its slots through
    their descriptors.  Refuses classes it cannot serve exactly (not a frozen slotted
    dataclass, a ``__post_init__``, ``InitVar``/``init=False`` fields, default factories)."""
    params = getattr(cls, "__dataclass_params__", None)
    if not is_dataclass(cls) or params is None or not params.frozen or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__}: not a frozen slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: has __post_init__")
    namespace: dict[str, Any] = {}
    signature: list[str] = []
    body: list[str] = []
    for i, f in enumerate(fields(cls)):
        if not f.init or f.kw_only is True or f.default_factory is not MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: not a plain init field")
        namespace[f"_set{i}"] = getattr(cls, f.name).__set__
        if f.default is MISSING:
            signature.append(f.name)
        else:
            namespace[f"_default{i}"] = f.default
            signature.append(f"{f.name}=_default{i}")
        body.append(f"    _set{i}(self, {f.name})\n")
    source = f"def __init__(self, {', '.join(signature)}):\n" + ("".join(body) or "    pass\n")
    exec(source, namespace)  # built above from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    setattr(cls, "__init__", init)  # noqa: B010 - not a method assignment mypy would accept
    return cls
