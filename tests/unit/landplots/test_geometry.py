"""CRS handling: Gauss–Krüger 3° zones from longitude, areas in m² and 亩, reprojection."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from landplots import geometry as geo
from landplots.errors import GeometryError


@pytest.mark.parametrize(
    ("lon", "zone", "epsg"),
    [
        (75.0, 25, 4534),  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
        (116.4, 39, 4548),  # Beijing: CM 117E
        (120.2, 40, 4549),  # Hangzhou: CM 120E
        (121.4, 40, 4549),
        (121.6, 41, 4550),  # east of 121.5°: CM 123E, not a fixed zone
        (135.0, 45, 4554),
    ],
)
def test_gk3_zone_and_epsg_follow_the_longitude(lon, zone, epsg):
    assert geo.gk3_zone(lon) == zone
    assert geo.gk3_epsg(lon) == epsg
    from pyproj import CRS

    crs = CRS.from_epsg(epsg)
    assert "CGCS2000" in crs.name and f"CM {3 * zone}E" in crs.name


def test_outside_the_chinese_zones_is_refused():
    with pytest.raises(GeometryError, match="longitude"):
        geo.gk3_epsg(10.0)


def _square_in(epsg: int, x: float, y: float, side: float) -> shapely.Polygon:
    """A square of known area laid out in a GK projection, returned in EPSG:4490."""
    t = Transformer.from_crs(epsg, 4490, always_xy=True)
    sq = shapely.box(x, y, x + side, y + side).segmentize(side / 20)
    return shapely.transform(sq, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def test_area_of_a_known_parcel_in_m2_and_mu():
    # a 200 m × 200 m parcel near Hangzhou, drawn in CGCS2000 GK CM 120E
    parcel = _square_in(4549, 500_000 + 20_000, 3_350_000, 200.0)
    m2, mu, epsg = geo.area(parcel)
    assert epsg == 4549
    assert m2 == pytest.approx(40_000.0, rel=1e-6)
    assert mu == pytest.approx(60.0, rel=1e-6)  # 1 亩 = 10000/15 m²


def test_area_agrees_with_the_geodesic_area():
    geod = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid, to the millimetre
    for lon in (120.2, 121.45, 121.55, 87.6):
        poly = shapely.box(lon, 30.3, lon + 0.01, 30.31)
        m2, _, _ = geo.area(poly)
        geodesic = abs(geod.geometry_area_perimeter(poly)[0])
        assert m2 == pytest.approx(geodesic, rel=1e-3)  # GK distortion in a 3° zone < 0.1 %


def test_areas_are_vectorised_per_zone():
    polys = np.array(
        [shapely.box(120.2, 30.3, 120.21, 30.31), shapely.box(121.6, 30.3, 121.61, 30.31)],
        dtype=object,
    )
    m2, epsgs = geo.areas(polys)
    assert epsgs.tolist() == [4549, 4550]
    assert (m2 > 1_000_000).all()


def test_metric_distance_in_the_zone_of_the_point():
    p = shapely.Point(120.2, 30.3)
    east = shapely.Point(120.2 + 1000 / 96_200, 30.3)  # ~1 km east
    d = geo.metric_distances(p, np.array([east], dtype=object))[0]
    assert d == pytest.approx(1000, rel=0.01)


def test_outside_china_is_detected():
    geoms = np.array(
        [shapely.box(120, 30, 120.1, 30.1), shapely.box(30, 120, 30.1, 120.1)], dtype=object
    )
    assert geo.outside_china(geoms).tolist() == [False, True]
