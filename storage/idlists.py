"""A list of ids as ONE bound parameter: an array on PostgreSQL, a JSON array on SQLite.

``column.in_(ids)`` renders one parameter per id anew on every execution (its SQL then differs
by the list's length, so neither SQLAlchemy's compiled cache nor the driver's prepared
statements help): a tenth of a list's CPU where a page's rows were looked up that way (issue 16).
A statement built once with :func:`in_ids` takes the ids as one value from :func:`ids_value`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY


def in_ids(column: Any, name: str = "ids") -> dict[str, Any]:
    """``column`` among the ids of the parameter ``name``, per dialect name."""
    param = bindparam(name, type_=String)
    return {
        "postgresql": column == any_(cast(param, ARRAY(Integer))),
        "sqlite": column.in_(select(func.json_each(param).table_valued("value").c.value)),
    }


def ids_value(dialect: str, ids: Iterable[int]) -> str:
    """The ids as :func:`in_ids` takes them: an array's text (``{1,2}``; psycopg's list dumper
    costs ten times more) on PostgreSQL, JSON on SQLite."""
    text = ",".join(str(int(i)) for i in ids)
    return "{" + text + "}" if dialect == "postgresql" else "[" + text + "]"
