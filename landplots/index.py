"""An in-process spatial index of plots (shapely STRtree): the SQLite backend's answer to
PostGIS's GiST.

The index holds, for each plot, its code and geometry (EPSG:4490), sorted by
code, and answers the spatial predicates exactly (the tree narrows by envelope, GEOS decides).
It is immutable; the service rebuilds it when the registry's version token changes
(:mod:`landplots.services.index_cache`).

>>> import shapely
>>> idx = PlotIndex.build(["B", "A"], [shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
>>> idx.codes_at(idx.bbox(0.5, 0.5, 2.5, 0.6))
['A', 'B']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry.base import BaseGeometry


class PlotIndex:
    """Spatial index over ``(code, geometry)`` rows; positions are in code order."""

    __slots__ = ("bounds", "codes", "geoms", "token", "tree")

    def __init__(self, codes: np.ndarray, geoms: np.ndarray, token: str = "") -> None:
        self.codes = codes
        self.geoms = geoms
        self.token = token
        self.tree = STRtree(geoms)
        self.bounds = _bounds(geoms)

    @classmethod
    def build(
        cls,
        codes: Sequence[str] | np.ndarray,
        geoms: Sequence[BaseGeometry] | np.ndarray,
        token: str = "",
    ) -> PlotIndex:
        codes_a = np.asarray(codes, dtype=object)
        order = np.argsort(codes_a, kind="stable")
        return cls(
            codes_a[order],
            np.asarray(geoms, dtype=object)[order],
            token,
        )

    def __len__(self) -> int:
        return len(self.codes)

    # Each query returns sorted positions (hence code order).
    def bbox(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Plots intersecting the box (boundary contact counts, as in PostGIS ST_Intersects)."""
        return self.intersects(shapely.box(minx, miny, maxx, maxy))

    def intersects(self, geom: BaseGeometry) -> np.ndarray:
        return np.sort(self.tree.query(geom, predicate="intersects"))

    def containing(self, point: BaseGeometry) -> np.ndarray:
        """Plots that contain the point (ST_Contains: a point on the boundary is not inside)."""
        return np.sort(self.tree.query(point, predicate="within"))

    def covered_by(self, geom: BaseGeometry) -> np.ndarray:
        """Plots lying wholly inside ``geom`` (ST_CoveredBy: boundary contact allowed)."""
        return np.sort(self.tree.query(geom, predicate="covers"))

    def nearest_candidates(self, point: BaseGeometry, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` plots nearest to the point in plain lon/lat distance (PostGIS ``<->``),
        and those distances in degrees, nearest first (ties broken by code)."""
        n = len(self.codes)
        if n == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        k = min(k, n)
        # Grow a search box around the point until it holds k plots, then rank exactly.
        minx, miny, maxx, maxy = self.bounds
        span = max(maxx - minx, maxy - miny, 1e-9)
        radius = span * np.sqrt(k / n) / 2 or 1e-6
        x, y = shapely.get_x(point), shapely.get_y(point)
        while True:
            cand = self.tree.query(shapely.box(x - radius, y - radius, x + radius, y + radius))
            if len(cand) >= k or radius > 2 * span + 360:
                break
            radius *= 2
        if len(cand) < k:
            cand = np.arange(n)
        d = shapely.distance(point, self.geoms[cand])
        order = np.lexsort((cand, d))
        cand, d = cand[order], d[order]
        # everything within the k-th distance is inside the searched circle only if the
        # k-th distance does not exceed the box's half side
        if d[k - 1] > radius and len(cand) < n:
            cand = np.arange(n)
            d = shapely.distance(point, self.geoms)
            order = np.lexsort((cand, d))
            cand, d = cand[order], d[order]
        return cand[:k], d[:k]

    def codes_at(self, positions: np.ndarray) -> list[str]:
        return self.codes[positions].tolist()


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    if not len(geoms):
        return (0.0, 0.0, 0.0, 0.0)
    b = shapely.total_bounds(geoms)
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])
