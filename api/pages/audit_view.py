"""The audit trail made readable: local time (Asia/Shanghai, to the minute) and each change as
``key: value`` lines, Chinese as it is (no ``\\u`` escapes)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")


def local_time(at: datetime | None) -> str:
    """``2026-12-05 08:03`` in China's time (naive values are UTC, as the database keeps them)."""
    if at is None:
        return ""
    if at.tzinfo is None:
        from datetime import UTC

        at = at.replace(tzinfo=UTC)
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if v is None:
        return "—"
    if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
        return "、".join(_value(x) for x in v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    return str(v)


def lines(doc: Any) -> list[tuple[str, str]]:
    """A change's fields as (key, value) pairs; a scalar document as one pair with no key."""
    if doc is None or doc == {}:
        return []
    if isinstance(doc, dict):
        return [(str(k), _value(v)) for k, v in doc.items()]
    return [("", _value(doc))]


def readable(entries: Any, lang: str = "zh") -> list[dict[str, Any]]:
    from access.policy import ROLE_LABELS

    return [
        {
            "id": a.id,
            "at": local_time(a.at),
            "actor": a.actor,
            "role": ROLE_LABELS.get(a.role, (a.role, a.role))[1 if lang == "en" else 0],
            "action": a.action,
            "before": lines(a.before),
            "after": lines(a.after),
        }
        for a in entries
    ]
