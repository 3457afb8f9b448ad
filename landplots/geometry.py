"""Coordinate reference systems, in one place: storage in CGCS2000, areas in Gauss–Krüger.

- Storage CRS: CGCS2000 geographic, EPSG:4490, axis order lon/lat (x = longitude).  Files in
  any CRS are reprojected to it (:func:`to_storage_crs`).  WGS 84 / CRS84 coordinates agree
  with CGCS2000 to within a few decimetres; PROJ treats the change as a no-op, and so do we.
- Areas: in the CGCS2000 3-degree Gauss–Krüger zone of the plot's own longitude (zone
  ``n = floor((lon + 1.5) / 3)``, central meridian ``3n``°), never a fixed zone: a plot at
  121.6°E is measured on CM 123°E, one at 121.4°E on CM 120°E.  We use the "CM" family
  EPSG:4534–4554 (``CGCS2000 / 3-degree Gauss-Kruger CM 75E`` … ``CM 135E``, false easting
  500 km), not the zone-numbered family EPSG:4513–4533 whose false easting carries the zone
  number (``40 500 000`` m): both give the same areas, the CM family keeps projected eastings
  readable.  The distortion of area within a 3° zone is below 0.1 % at Chinese latitudes.
- 1 亩 = 10000/15 m² ≈ 666.67 m².
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from landplots.errors import GeometryError

STORAGE_EPSG = 4490
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
M2_PER_MU = 10000.0 / 15.0

#: The area of use of CGCS2000 (EPSG:4490), a little widened: lon/lat outside it means the
#: file's CRS is wrong (or its axes are swapped).
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)

#: First and last CGCS2000 3-degree Gauss–Krüger zones (CM 75°E … CM 135°E).
GK3_FIRST_ZONE, GK3_LAST_ZONE = 25, 45
GK3_CM_EPSG_BASE = 4534  # EPSG:4534 = CM 75E (zone 25) … EPSG:4554 = CM 135E (zone 45)


def mu_from_m2(m2: float | np.ndarray) -> float | np.ndarray:
    """Square metres to 亩 (1 亩 = 10000/15 m²)."""
    return m2 / M2_PER_MU


def gk3_zone(lon: float) -> int:
    """The 3-degree Gauss–Krüger zone number of a longitude (zone 40 has CM 120°E).

    >>> gk3_zone(120.2), gk3_zone(121.4), gk3_zone(121.6)
    (40, 40, 41)
    """
    return int(np.floor((lon + 1.5) / 3.0))


def gk3_epsg(lon: float) -> int:
    """The EPSG code of the CGCS2000 3° Gauss–Krüger CM projection for a longitude.

    >>> gk3_epsg(120.2)  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
    4549

    Raises
    ------
    GeometryError
        When the longitude lies outside the CGCS2000 zones 25–45 (73.5°E–136.5°E).
    """
    zone = gk3_zone(lon)
    if not GK3_FIRST_ZONE <= zone <= GK3_LAST_ZONE:
        raise GeometryError(
            f"经度 {lon:.4f} 不在 CGCS2000 3 度带范围（73.5°E–136.5°E）内",
            f"longitude {lon:.4f} lies outside the CGCS2000 3-degree zones (73.5°E–136.5°E)",
        )
    return GK3_CM_EPSG_BASE + zone - GK3_FIRST_ZONE


@lru_cache(maxsize=64)
def _to_gk(epsg: int) -> Transformer:
    return Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)


@lru_cache(maxsize=64)
def _from_gk(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, STORAGE_EPSG, always_xy=True)


def project_to_gk(geoms: np.ndarray | BaseGeometry, epsg: int) -> np.ndarray | BaseGeometry:
    """Geometries in EPSG:4490 projected to the Gauss–Krüger CRS ``epsg`` (metres)."""
    t = _to_gk(epsg)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def project_from_gk(geoms: np.ndarray | BaseGeometry, epsg: int) -> np.ndarray | BaseGeometry:
    """Geometries in a Gauss–Krüger CRS (metres) back to EPSG:4490."""
    t = _from_gk(epsg)
    return shapely.transform(geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def gk_epsgs(geoms: np.ndarray) -> np.ndarray:
    """The GK 3° CM EPSG code of each geometry, from the longitude of its centroid.

    Precondition: geometries are in EPSG:4490 and inside :data:`CHINA_BOUNDS`.
    """
    lon = shapely.get_x(shapely.centroid(geoms))
    zones = np.floor((lon + 1.5) / 3.0).astype(np.int64)
    return GK3_CM_EPSG_BASE + np.clip(zones, GK3_FIRST_ZONE, GK3_LAST_ZONE) - GK3_FIRST_ZONE


def areas(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area in m² of each geometry in its own GK 3° zone, and that zone's EPSG code.

    Vectorised: one projection per zone present.  Precondition: valid polygons in EPSG:4490
    inside :data:`CHINA_BOUNDS`.
    """
    geoms = np.asarray(geoms, dtype=object)
    epsgs = gk_epsgs(geoms) if len(geoms) else np.zeros(0, dtype=np.int64)
    out = np.zeros(len(geoms), dtype=np.float64)
    for epsg in np.unique(epsgs):
        sel = epsgs == epsg
        out[sel] = shapely.area(project_to_gk(geoms[sel], int(epsg)))
    return out, epsgs


def area(geom: BaseGeometry) -> tuple[float, float, int]:
    """(m², 亩, GK EPSG) of one geometry in EPSG:4490."""
    m2, epsg = areas(np.array([geom], dtype=object))
    return float(m2[0]), float(mu_from_m2(m2[0])), int(epsg[0])


def metric_distances(point: BaseGeometry, geoms: np.ndarray) -> np.ndarray:
    """Distances in metres from ``point`` to each geometry, measured in the GK zone of the point.

    Precondition: everything in EPSG:4490, within a few hundred kilometres of the point (the
    projection's scale error grows with distance from its central meridian).
    """
    epsg = gk3_epsg(shapely.get_x(point))
    p = project_to_gk(point, epsg)
    return shapely.distance(p, project_to_gk(np.asarray(geoms, dtype=object), epsg))


def crs_epsg_or_wkt(crs: object) -> str:
    """A short human name of a CRS (``EPSG:4547`` or its name) for messages."""
    if crs is None:
        return "?"
    c = CRS.from_user_input(crs)
    epsg = c.to_epsg()
    return f"EPSG:{epsg}" if epsg else c.name


def is_storage_crs(crs: object) -> bool:
    """Whether coordinates in ``crs`` are already CGCS2000 / WGS 84 lon/lat (no reprojection
    needed beyond axis order).  EPSG:4326 and CRS84 count: the datums agree to decimetres."""
    c = CRS.from_user_input(crs)
    return c.to_epsg() in (4490, 4326) or c.name in ("WGS 84 (CRS84)",)


def outside_china(geoms: np.ndarray) -> np.ndarray:
    """Mask of geometries whose bounds leave :data:`CHINA_BOUNDS` (a wrong or swapped CRS)."""
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    minx, miny, maxx, maxy = CHINA_BOUNDS
    with np.errstate(invalid="ignore"):
        return ~((b[:, 0] >= minx) & (b[:, 2] <= maxx) & (b[:, 1] >= miny) & (b[:, 3] <= maxy))
