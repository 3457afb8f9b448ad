"""Portable geometry column: PostGIS ``geometry(GEOMETRY, 4490)`` on PostgreSQL, WKB on SQLite.

The one place where database values become shapely geometries and back.  On PostgreSQL the
column is a real PostGIS geometry (GeoAlchemy2 binds ``ST_GeomFromEWKT`` and reads
``ST_AsEWKB``), indexed with GiST by :func:`gist_index`; on SQLite (no SpatiaLite here) it is
the ISO WKB in a ``BLOB``, and spatial questions are answered by an in-process index
(:mod:`landplots.index`) kept in step with the table.

GiST indexes are created by a DDL event on PostgreSQL only and are named in
:data:`SPATIAL_INDEXES`, so that :func:`migrations.runner.include_object` leaves them out of
alembic's model/migration comparison (alembic cannot express a dialect-only index).
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geometry as _PostGISGeometry
from geoalchemy2.elements import WKBElement
from shapely.geometry.base import BaseGeometry
from sqlalchemy import DDL, LargeBinary, Table, event
from sqlalchemy.types import TypeDecorator

#: CGCS2000 geographic (lon/lat): the storage CRS of every geometry.
STORAGE_SRID = 4490

#: Names of the GiST indexes created on PostgreSQL (hidden from alembic's comparison).
SPATIAL_INDEXES: set[str] = set()


class Geometry(TypeDecorator[BaseGeometry]):
    """A shapely geometry stored in CGCS2000 (EPSG:4490).

    Precondition: bound values are shapely geometries with lon/lat coordinates in EPSG:4490
    (the caller reprojects; see :mod:`landplots.geometry`).  Read values are shapely
    geometries.
    """

    impl = LargeBinary
    cache_ok = True
    # GeoAlchemy2's DDL hooks look these up on every column type; we manage our own index.
    spatial_index = False
    use_N_D_index = False

    def __init__(self, srid: int = STORAGE_SRID) -> None:
        super().__init__()
        self.srid = srid

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect is not None and dialect.name == "postgresql":
            return dialect.type_descriptor(
                _PostGISGeometry("GEOMETRY", srid=self.srid, spatial_index=False)
            )
        return LargeBinary() if dialect is None else dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect: Any) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return WKBElement(shapely.to_wkb(value), srid=self.srid)
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Any) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return shapely.from_wkb(bytes(value.data))
        return shapely.from_wkb(bytes(value))


def gist_index(table: Table, column: str) -> str:
    """Create ``ix_<table>_<column>`` USING GIST on PostgreSQL when the table is created.

    Migrations create the same index themselves (with the same name).
    """
    name = f"ix_{table.name}_{column}"
    SPATIAL_INDEXES.add(name)
    event.listen(
        table,
        "after_create",
        DDL(f'CREATE INDEX "{name}" ON "{table.name}" USING gist ("{column}")').execute_if(
            dialect="postgresql"
        ),
    )
    return name
