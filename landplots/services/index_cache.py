"""The registry's version token and the in-process spatial index on SQLite.

SQLite has no spatial index here (no SpatiaLite): spatial predicates are answered by an
in-process :class:`~landplots.index.PlotIndex` (shapely STRtree) cached per database and rebuilt
lazily when the registry's version token changes.  Every write sets a fresh random token in
``landplot_registry`` in the same transaction, so any thread or process sees a change at its
next query (one primary-key read) and never trusts an index built from a rolled-back write.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from landplots.index import PlotIndex
from landplots.model import Zone
from landplots.orm import RegistryStateRow, ZoneRow
from storage.base import utcnow


@dataclass
class IndexSnapshot:
    token: str
    index: PlotIndex
    zones: list[Zone]

    def zone(self, code: str) -> Zone | None:
        for z in self.zones:
            if z.code == code:
                return z
        return None


_CACHE: dict[str, IndexSnapshot] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


_TOKEN_SQL = text("SELECT token FROM landplot_registry WHERE id = 1")


def registry_token(session: Session) -> str:
    """The registry's current version token ('' before the first write)."""
    return session.connection().execute(_TOKEN_SQL).scalar() or ""


def bump_registry(session: Session) -> str:
    token = uuid.uuid4().hex
    res = session.execute(
        update(RegistryStateRow)
        .where(RegistryStateRow.id == 1)
        .values(version=RegistryStateRow.version + 1, token=token, updated_at=utcnow())
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        session.add(RegistryStateRow(id=1, version=1, token=token, updated_at=utcnow()))
        session.flush()
    return token


def snapshot(session: Session) -> IndexSnapshot:
    """The in-process index for the session's SQLite database, rebuilt when the token moved."""
    token = registry_token(session)
    key = session.get_bind().url.render_as_string(hide_password=False)
    snap = _CACHE.get(key)
    if snap is not None and snap.token == token:
        return snap
    with _CACHE_LOCK:
        snap = _CACHE.get(key)
        if snap is not None and snap.token == token:
            return snap
        rows = session.execute(text("SELECT code, geometry FROM landplots")).all()
        codes = [r[0] for r in rows]
        geoms = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.zeros(0, object)
        zones = [z.to_domain() for z in session.scalars(select(ZoneRow).order_by(ZoneRow.code))]
        snap = IndexSnapshot(token, PlotIndex.build(codes, geoms, token), zones)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = snap
        return snap


def forget_index(session: Session | None = None) -> None:
    """Drop cached indexes (all, or the session's database's)."""
    with _CACHE_LOCK:
        if session is None:
            _CACHE.clear()
        else:
            _CACHE.pop(session.get_bind().url.render_as_string(hide_password=False), None)
